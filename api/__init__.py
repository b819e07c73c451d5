"""The gridgov web service (FastAPI): parse a request, call the core or the store, answer.

The core never imports this package.
"""

from api.app import create_app

__all__ = ["create_app"]
