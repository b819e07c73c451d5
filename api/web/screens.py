"""The routers of the people's screens, included in the app in one call."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install_screens"]


def install_screens(app: FastAPI) -> None:
    """Include the login, account, staff, field (grid worker, deputy), board (map,
    statistics), planner and account admin pages in ``app``."""
    from api.web import admin, auth, board, field, planner, staff

    for module in (auth, staff, field, board, planner, admin):
        app.include_router(module.router)
