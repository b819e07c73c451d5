"""Routers of the gridgov web service, one module per concern."""
