"""Bundled demo inputs (installed as ``gridgov._data``); see README.md for provenance."""
