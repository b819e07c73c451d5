"""The gridgov web service (FastAPI): parse a request, call the core or the store, answer.

The core never imports this package.
"""
