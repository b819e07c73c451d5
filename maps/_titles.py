"""The title blocks of the maps: the reach standard and the headline figures in large type.

A map is shown on a projector at a standing-committee meeting; the standard it is judged
by ("15分钟出门即可达标准（电动车）") and what the stations achieve under it must be read
from the back of the room, not from small grey text. Every word comes from the message
catalogue (``report.std.*``, ``report.map.*``), so ``--lang en`` gives English maps, and
every figure from the result the map draws.
"""

from __future__ import annotations

import html

# one wording of a standard for workbooks, maps and briefs: the core's
from gridgov.coverage.report import standard_label, standard_phrase
from gridgov.messages import text

__all__ = ["esc", "method_words", "percent", "standard_label", "standard_phrase"]


def method_words(method: str) -> str:
    """How travel was measured: ``路网`` or ``直线估算``."""
    key = "report.method.network" if method == "network" else "report.method.straight"
    return text(key)


def percent(share: float) -> str:
    """A share as people read it: ``75.6%``."""
    return f"{share * 100:.1f}%"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)
