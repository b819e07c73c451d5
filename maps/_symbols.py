"""Station symbols and colours, drawn as inline SVG so no icon font is ever fetched.

One shape per tier (DOMAIN.md): 联络站 a star, 联络点 a disc, 代表工作室 a diamond,
代表服务岗 a triangle; sizes fall with the tier so township stations read first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gridgov.model import StationTier

__all__ = ["TIER_SYMBOLS", "Symbol"]


@dataclass(frozen=True)
class Symbol:
    """An inline SVG marker: its markup, pixel size and stacking offset."""

    svg: str
    size: tuple[int, int]
    z_offset: int

    def style(self) -> dict[str, object]:
        """The ``gridgov.layer`` style drawing this symbol as an HTML marker."""
        return {"icon": "gg-sym", "html": self.svg, "size": list(self.size), "zi": self.z_offset}


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

#: Symbol per station tier.
TIER_SYMBOLS: dict[StationTier, Symbol] = {
    StationTier.STATION: Symbol(
        _svg(26, f'<polygon points="{_star_points(26)}" fill="#08306b" {_EDGE}/>'), (26, 26), 3000
    ),
    StationTier.STUDIO: Symbol(
        _svg(18, f'<polygon points="9,1 17,9 9,17 1,9" fill="#6a3d9a" {_EDGE}/>'), (18, 18), 2000
    ),
    StationTier.POINT: Symbol(
        _svg(14, f'<circle cx="7" cy="7" r="5.7" fill="#2171b5" {_EDGE}/>'), (14, 14), 1000
    ),
    StationTier.POST: Symbol(
        _svg(15, f'<polygon points="7.5,1.2 14,13.6 1,13.6" fill="#01665e" {_EDGE}/>'), (15, 15), 0
    ),
}
