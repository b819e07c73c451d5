"""Station symbols and colours, drawn as inline SVG so no icon font is ever fetched.

One shape per tier (DOMAIN.md): 联络站 a star, 联络点 a disc, 代表工作室 a diamond,
代表服务岗 a triangle; sizes fall with the tier so township stations read first. A
consolidation map draws the stations a plan closes in the same shapes, greyed, and the
new sites it opens as an orange square with a plus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gridgov.model import StationTier

__all__ = [
    "CLOSED_FILL",
    "CLOSED_TIER_SYMBOLS",
    "NEW_SITE_SYMBOL",
    "TIER_FILLS",
    "TIER_SYMBOLS",
    "Symbol",
]


@dataclass(frozen=True)
class Symbol:
    """An inline SVG marker: its markup, pixel size and stacking offset."""

    svg: str
    size: tuple[int, int]
    z_offset: int

    def style(self, css_class: str = "") -> dict[str, object]:
        """The ``gridgov.layer`` style drawing this symbol as an HTML marker.

        ``css_class`` is added to the marker's ``gg-sym`` class (to tell symbols apart).
        """
        icon = f"gg-sym {css_class}" if css_class else "gg-sym"
        return {"icon": icon, "html": self.svg, "size": list(self.size), "zi": self.z_offset}


def _svg(size: int, body: str) -> str:
    return f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}">{body}</svg>'


def _star_points(size: int) -> str:
    c = size / 2
    outer, inner = size / 2 - 1.2, size / 5
    pts = []
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        a = math.pi / 2 + k * math.pi / 5
        pts.append(f"{c + r * math.cos(a):.1f},{c - r * math.sin(a) + 0.8:.1f}")
    return " ".join(pts)


_EDGE = 'stroke="#fff" stroke-width="1.6" stroke-linejoin="round"'

#: Fill of each tier's symbol.
TIER_FILLS: dict[StationTier, str] = {
    StationTier.STATION: "#08306b",
    StationTier.STUDIO: "#6a3d9a",
    StationTier.POINT: "#2171b5",
    StationTier.POST: "#01665e",
}
#: Fill of a closed station's symbol (its tier's shape, greyed).
CLOSED_FILL = "#a3a3a3"


def _tier_svg(tier: StationTier, fill: str) -> str:
    if tier is StationTier.STATION:
        return _svg(26, f'<polygon points="{_star_points(26)}" fill="{fill}" {_EDGE}/>')
    if tier is StationTier.STUDIO:
        return _svg(18, f'<polygon points="9,1 17,9 9,17 1,9" fill="{fill}" {_EDGE}/>')
    if tier is StationTier.POINT:
        return _svg(14, f'<circle cx="7" cy="7" r="5.7" fill="{fill}" {_EDGE}/>')
    return _svg(15, f'<polygon points="7.5,1.2 14,13.6 1,13.6" fill="{fill}" {_EDGE}/>')


#: Pixel size and stacking offset per tier: township stations on top.
_LAYOUT = {
    StationTier.STATION: (26, 3000),
    StationTier.STUDIO: (18, 2000),
    StationTier.POINT: (14, 1000),
    StationTier.POST: (15, 0),
}


def _tier_symbol(tier: StationTier, fill: str, dz: int = 0) -> Symbol:
    size, z = _LAYOUT[tier]
    return Symbol(_tier_svg(tier, fill), (size, size), z + dz)


#: Symbol per station tier.
TIER_SYMBOLS: dict[StationTier, Symbol] = {t: _tier_symbol(t, TIER_FILLS[t]) for t in TIER_FILLS}
#: The same shapes greyed, stacked under every open station: stations a plan closes.
CLOSED_TIER_SYMBOLS: dict[StationTier, Symbol] = {
    t: _tier_symbol(t, CLOSED_FILL, -5000) for t in TIER_FILLS
}
#: A site a plan opens where no station stands yet.
NEW_SITE_SYMBOL = Symbol(
    _svg(
        18,
        f'<rect x="1.5" y="1.5" width="15" height="15" rx="3" fill="#e6550d" {_EDGE}/>'
        '<path d="M9 4.8v8.4M4.8 9h8.4" stroke="#fff" stroke-width="2.4"/>',
    ),
    (18, 18),
    2500,
)
