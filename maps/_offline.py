"""Self-contained HTML: Leaflet and every script and style inlined, nothing fetched.

Government intranets have no internet, so a map that pulls Leaflet from a CDN opens as a
blank page there. Folium references CDN URLs by default (``Map.default_js`` /
``default_css`` and each plugin's); :func:`make_offline` replaces them with the Leaflet
files shipped by the ``xstatic-leaflet`` package, inlined (its CSS images as data URIs),
and :func:`save_html` writes the page after checking that no ``<script src>`` or
``<link href>`` points at the network.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path
from typing import Any

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

from maps._client import CLIENT_CSS, CLIENT_JS

__all__ = ["external_references", "make_offline", "render_html", "save_html"]

#: Name of the header element holding the inlined libraries (re-adding replaces it).
_ASSETS_NAME = "gridgov_offline_assets"
#: Folium's CDN assets that are only needed by features this package never draws with
#: (Bootstrap styling, Font Awesome icon fonts, awesome-markers CSS): dropped unless used.
_DROPPABLE = {
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
}
_AWESOME = {"awesome_markers", "awesome_markers_css"}
_EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]*"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]*"""
    r"""|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//[^"')\s]*""",
    re.IGNORECASE,
)
_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S*\s*$")


def _xstatic_dir(package: str, extra: str) -> Path:
    try:
        module = __import__(f"xstatic.pkg.{package}", fromlist=["BASE_DIR"])
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            f"self-contained maps need the xstatic-{package} package: "
            f"pip install 'gridgov[{extra}]'"
        ) from exc
    return Path(module.BASE_DIR)


@functools.cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS (images as data URIs), ready to inline."""
    base = _xstatic_dir("leaflet", "maps")
    js = _SOURCE_MAP.sub("", (base / "leaflet.js").read_text(encoding="utf-8"))
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        path = base / match.group(1)
        if not path.is_file():
            return match.group(0)
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    return js, css


@functools.cache
def _jquery() -> str:
    base = _xstatic_dir("jquery", "maps")
    return _SOURCE_MAP.sub("", (base / "jquery.min.js").read_text(encoding="utf-8"))


def _inline_script(code: str) -> str:
    # A script body must not contain "</script"; the minified libraries never do, but
    # guard anyway so a future asset cannot break the page.
    return "<script>" + code.replace("</script", "<\\/script") + "</script>"


class _Raw(Element):
    """Markup inserted as is (a plain Element would parse Leaflet's source as Jinja)."""

    def __init__(self, code: str) -> None:
        super().__init__("{{ this.code }}")
        self.code = code


def _walk(element: Any) -> list[Any]:
    found = [element]
    for child in getattr(element, "_children", {}).values():
        found.extend(_walk(child))
    return found


def make_offline(m: folium.Map) -> folium.Map:
    """Replace folium's CDN references in ``m`` by inlined Leaflet (in place, idempotent).

    Parameters
    ----------
    m : folium.Map

    Returns
    -------
    folium.Map
        ``m`` itself.

    Raises
    ------
    ValueError
        If an element of the map needs a script or style that cannot be shipped inline
        (a folium plugin from a CDN, ``folium.Icon``'s awesome-markers), naming it.
    """
    root = m.get_root()
    if not isinstance(root, Figure):  # pragma: no cover - folium always makes one
        raise ValueError("the map is not inside a folium Figure; build it with folium.Map")
    wanted: set[str] = set()
    for element in _walk(root):
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if links:
                wanted.update(name for name, _url in links)
                # An instance attribute shadows the class list, so other maps keep theirs.
                setattr(element, attr, [])
    # A map rendered before (a notebook display) already holds link elements.
    for name, child in list(root.header._children.items()):
        if isinstance(child, JavascriptLink | CssLink):
            wanted.add(name)
            del root.header._children[name]
    unknown = sorted(wanted - {"leaflet", "leaflet_css", "jquery"} - _DROPPABLE - _AWESOME)
    if unknown:
        raise ValueError(
            f"the map uses assets that would be fetched from the internet: {', '.join(unknown)}; "
            "gridgov maps must open offline, so draw without those folium plugins"
        )
    if any(isinstance(element, folium.Icon) for element in _walk(root)):
        raise ValueError(
            "folium.Icon needs Leaflet.awesome-markers and Font Awesome from a CDN; "
            "use the inline SVG symbols of gridgov's maps instead"
        )
    js, css = leaflet_assets()
    assets = f"<style>{css}</style>\n<style>{CLIENT_CSS}</style>\n"
    assets += _inline_script(js) + "\n" + _inline_script(CLIENT_JS)
    root.header.add_child(_Raw(assets), name=_ASSETS_NAME, index=0)
    return m


def external_references(html: str) -> list[str]:
    """Every ``<script src>``, ``<link href>`` or CSS ``@import`` in ``html`` that points at
    the network (``http://``, ``https://`` or protocol-relative ``//``)."""
    return [match.group(0) for match in _EXTERNAL.finditer(html)]


def render_html(m: folium.Map) -> str:
    """The complete, self-contained HTML page of ``m``.

    Raises
    ------
    ValueError
        If the page would still reference a script or style on the network.
    """
    make_offline(m)
    html: str = m.get_root().render()
    if re.search(r"(?<![\w.])(?:\$|jQuery)\(", _without_libraries(html)):
        # Some folium elements (html popups, objects kept in front) call jQuery.
        marker = _inline_script(CLIENT_JS)
        html = html.replace(marker, _inline_script(_jquery()) + "\n" + marker, 1)
    bad = external_references(html)
    if bad:
        raise ValueError(f"the page still references the network: {bad[:3]}")
    return html


def _without_libraries(html: str) -> str:
    js, css = leaflet_assets()
    return html.replace(js, "").replace(css, "").replace(CLIENT_JS, "")


def save_html(m: folium.Map, path: str | Path) -> Path:
    """Write ``m`` as one self-contained HTML file that opens with no internet.

    Leaflet, its styles and gridgov's map scripts are inlined; folium's CDN links are
    removed. Tile URL templates of an optional basemap stay (they are data: without the
    internet the basemap is simply blank and every overlay still shows).

    Parameters
    ----------
    m : folium.Map
        A map, e.g. from :func:`maps.coverage_map`; made offline in place.
    path : str or Path
        Where to write; parent folders are created.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        If the map uses a folium plugin whose scripts cannot be inlined.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(m), encoding="utf-8")
    return out
