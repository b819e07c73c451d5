"""The screens: server-rendered pages for grid workers, deputies, staff, planners and
residents, served by ``gridgov serve`` next to the JSON API.

Pages are Jinja2 templates (autoescaped: user text never becomes markup) under
``templates/``; every asset they use (styles, scripts, the offline Leaflet) is a file under
``static/``, mounted at :data:`STATIC_URL`, so a page works on an intranet with no internet.
Inline ``<script>`` and ``<style>`` carry the response's CSP nonce (``{{ nonce }}``).
Every word a person reads comes from the message catalogue (``{{ t("page.key") }}``),
Chinese unless the person chose English (``?lang=en``, kept in a cookie).

The pages call the same core services as the JSON API: a page is a view, never a second
implementation of a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.params import csp_nonce
from gridgov import __version__
from gridgov.messages import current_lang, normalise_lang, text

__all__ = ["LANG_COOKIE", "STATIC_URL", "TEMPLATES", "install", "page_lang", "render"]

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
#: Where the page assets are served.
STATIC_URL = "/static"
#: The cookie keeping a person's language choice.
LANG_COOKIE = "gridgov_lang"

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html", "xml"), default=True),
    undefined=StrictUndefined,  # a misspelt variable is a bug, not a blank on the page
    trim_blocks=True,
    lstrip_blocks=True,
)


def page_lang(request: Request) -> str:
    """The language of a page: ``?lang=`` if given, else the person's cookie, else
    the service's setting (``GRIDGOV_LANG``), else Chinese."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value:
            lang = normalise_lang(value)
            if lang is not None:
                return lang
    return current_lang()


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` filled with ``context`` for this request.

    Every template also gets ``nonce`` (the CSP nonce for inline script/style), ``lang``,
    ``t(key, **values)`` (a catalogue message in the page's language), ``static(path)``
    (the URL of an asset) and ``version``.
    """
    lang = page_lang(request)

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    def static(path: str) -> str:
        return f"{STATIC_URL}/{path.lstrip('/')}?v={__version__}"

    body = _ENV.get_template(template).render(
        {
            "request": request,
            "nonce": csp_nonce(request),
            "lang": lang,
            "t": t,
            "static": static,
            "version": __version__,
            **(context or {}),
        }
    )
    response = HTMLResponse(body, status_code=status_code)
    chosen = request.query_params.get("lang")
    if chosen and normalise_lang(chosen) is not None:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def install(app: FastAPI) -> None:
    """Mount the page assets on ``app`` (the page routers are included by their modules):
    ours at :data:`STATIC_URL`, the offline Leaflet and Leaflet.markercluster from their
    XStatic packages' folders at ``/static/vendor/leaflet`` and ``/static/vendor/markercluster``
    (mounted first: the mount at ``/static`` would otherwise answer 404 under it)."""
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as markercluster

    for name, folder in (("leaflet", leaflet.BASE_DIR), ("markercluster", markercluster.BASE_DIR)):
        app.mount(
            f"{STATIC_URL}/vendor/{name}", StaticFiles(directory=folder), name=f"vendor-{name}"
        )
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="static")
