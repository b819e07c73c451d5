"""The reach standard a county sets for "出门即可达": a travel budget by a mode.

Written as ``AMOUNT UNIT : MODE``: ``"15min:ebike"``, ``"20min:walk"``, ``"3km:road"``,
``"2.5km:straight"``. Time standards are measured on the road network by the mode's speeds;
distance standards by road length (``road``, ``walk``, ``ebike``, ``car`` all mean the same
road distance) or, explicitly, in a straight line (``straight``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gridgov._errors import Problem, ValidationError

__all__ = ["ReachStandard", "parse_standard"]

_PATTERN = re.compile(
    r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>min|分钟|h|小时|km|公里|m|米)\s*"
    r"(?:[:：@ ]\s*(?P<mode>[a-z\-]+|步行|电动车|汽车|驾车|道路|直线))?\s*$",
    re.IGNORECASE,
)
_UNIT = {"min": ("s", 60.0), "分钟": ("s", 60.0), "h": ("s", 3600.0), "小时": ("s", 3600.0)}
_UNIT |= {"km": ("m", 1000.0), "公里": ("m", 1000.0), "m": ("m", 1.0), "米": ("m", 1.0)}
_MODE = {
    "walk": "walk",
    "步行": "walk",
    "ebike": "ebike",
    "e-bike": "ebike",
    "电动车": "ebike",
    "car": "car",
    "drive": "car",
    "汽车": "car",
    "驾车": "car",
    "road": "road",
    "道路": "road",
    "straight": "straight",
    "直线": "straight",
}
_MODE_ZH = {"walk": "步行", "ebike": "电动车", "car": "驾车", "road": "道路", "straight": "直线"}


@dataclass(frozen=True)
class ReachStandard:
    """A travel budget: ``limit`` in seconds (``unit="s"``) or metres (``unit="m"``).

    ``mode`` is ``walk``, ``ebike`` or ``car`` for time standards; ``road`` or ``straight``
    for distance standards.
    """

    limit: float
    unit: str
    mode: str

    @property
    def is_time(self) -> bool:
        return self.unit == "s"

    @property
    def travel_mode(self) -> str:
        """The speed table for reporting times (e-bike, the usual rural mode, for distances)."""
        return self.mode if self.mode in ("walk", "ebike", "car") else "ebike"

    @property
    def label_zh(self) -> str:
        """E.g. ``电动车15分钟`` or ``道路3公里``."""
        if self.is_time:
            amount = f"{self.limit / 60:g}分钟"
        else:
            amount = f"{self.limit / 1000:g}公里" if self.limit >= 1000 else f"{self.limit:g}米"
        return f"{_MODE_ZH[self.mode]}{amount}"

    def __str__(self) -> str:
        if self.is_time:
            return f"{self.limit / 60:g}min:{self.mode}"
        return f"{self.limit / 1000:g}km:{self.mode}"


def parse_standard(text: str | ReachStandard) -> ReachStandard:
    """Parse a reach standard such as ``"15min:ebike"`` or ``"3km:road"``.

    Raises
    ------
    ValidationError
        Echoing the text and the accepted forms, if it cannot be read.
    """
    if isinstance(text, ReachStandard):
        return text
    match = _PATTERN.match(str(text))
    problem = None
    if match is None:
        problem = "cannot read it"
    else:
        unit, factor = _UNIT[match["unit"].lower() if match["unit"].isascii() else match["unit"]]
        raw_mode = match["mode"]
        mode = _MODE.get(raw_mode.lower() if raw_mode else ("ebike" if unit == "s" else "road"))
        amount = float(match["amount"])
        if mode is None:
            problem = f"unknown mode {raw_mode!r}"
        elif unit == "s" and mode in ("road", "straight"):
            problem = "a time standard needs a mode with a speed: walk, ebike or car"
        elif amount <= 0:
            problem = "the amount must be positive"
        else:
            if unit == "m" and mode in ("walk", "ebike", "car"):
                mode = "road"
            return ReachStandard(limit=amount * factor, unit=unit, mode=mode)
    raise ValidationError(
        [
            Problem(
                "standard",
                None,
                "standard",
                text,
                f"{problem}; write e.g. 15min:ebike, 20min:walk, 10min:car, 3km:road, 2km:straight",
            )
        ],
        context="reach standard",
    )
