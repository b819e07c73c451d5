"""The routers of the staff and account screens, included in the app in one call."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install_screens"]


def install_screens(app: FastAPI) -> None:
    """Include the login, account and staff pages in ``app``."""
    from api.web import auth, staff

    app.include_router(auth.router)
    app.include_router(staff.router)
