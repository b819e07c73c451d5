"""The PostGIS issue store's schema: numbered SQL files applied in order by
:func:`gridgov.store.postgis.migrate` (a package only so the files ship in the wheel)."""
