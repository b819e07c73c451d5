"""The title blocks of the maps: the reach standard and the headline figures in large type.

A map is shown on a projector at a standing-committee meeting; the standard it is judged
by ("15分钟出门即可达标准（电动车）") and what the stations achieve under it must be read
from the back of the room, not from small grey text. Every word comes from the message
catalogue (``report.std.*``, ``report.map.*``), so ``--lang en`` gives English maps, and
every figure from the result the map draws.
"""

from __future__ import annotations

import html

from gridgov.coverage.standard import ReachStandard
from gridgov.messages import text

__all__ = ["esc", "method_words", "percent", "standard_label", "standard_phrase"]


def _amount(std: ReachStandard) -> str:
    if std.is_time:
        return text("report.std.minutes", n=f"{std.limit / 60:g}")
    if std.limit >= 1000:
        return text("report.std.km", n=f"{std.limit / 1000:g}")
    return text("report.std.m", n=f"{std.limit:g}")


def standard_phrase(std: ReachStandard) -> str:
    """``15分钟出门即可达标准（电动车）`` / ``15 min reach standard (e-bike)``."""
    return text("report.std.phrase", amount=_amount(std), mode=text(f"report.mode.{std.mode}"))


def standard_label(std: ReachStandard) -> str:
    """The short form: ``电动车15分钟`` / ``15 min e-bike``."""
    return text("report.std.label", amount=_amount(std), mode=text(f"report.mode.{std.mode}"))


def method_words(method: str) -> str:
    """How travel was measured: ``路网`` or ``直线估算``."""
    key = "report.method.network" if method == "network" else "report.method.straight"
    return text(key)


def percent(share: float) -> str:
    """A share as people read it: ``75.6%``."""
    return f"{share * 100:.1f}%"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)
