"""Issue stores: the ``Store`` protocol with SQLite (embedded) and PostGIS implementations.

Filled by the whistle-to-closure and multi-user service work (issues 5 and 6).
"""
