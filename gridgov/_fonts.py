"""Which installed font can draw Chinese: for the charts and the printable QR signage.

A chart drawn with a font that lacks the title's characters shows boxes; the first font
search gridgov had accepted only names containing "CJK" or "Noto Sans SC", so on Chinese
Windows (Microsoft YaHei, SimHei, SimSun) and macOS (PingFang) every chart fell back to
boxes. Here a font is chosen by family name from the list below, in order, and only if it
really has a glyph for every character of the text to draw (its cmap, read with
fontTools); failing the list, any installed font that covers the text will do.
matplotlib keeps a cache of the fonts it found; a font installed after the cache was
written is not in it, so when nothing fits the cache is rebuilt once from disk.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CJK_FAMILIES", "CjkFont", "cjk_font", "covers", "forget_lookups"]

log = logging.getLogger(__name__)

#: Families tried first, in order: Windows (YaHei, DengXian, SimHei, SimSun), macOS
#: (PingFang, Hiragino, Heiti, Songti), Linux (Noto / Source Han, WenQuanYi, AR PL, Droid).
CJK_FAMILIES: tuple[str, ...] = (
    "Microsoft YaHei",
    "Microsoft YaHei UI",
    "DengXian",
    "SimHei",
    "SimSun",
    "NSimSun",
    "KaiTi",
    "FangSong",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Songti SC",
    "STSong",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
)
_RANK = {name.casefold(): k for k, name in enumerate(CJK_FAMILIES)}


@dataclass(frozen=True)
class CjkFont:
    """A font face that covers the text asked for: family name, file and face index (a
    ``.ttc`` collection holds several faces)."""

    name: str
    path: Path
    index: int = 0


@functools.lru_cache(maxsize=512)
def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            table = font.getBestCmap() or {}
    except (TTLibError, OSError, ValueError, KeyError, AssertionError) as exc:
        log.debug("font %s#%d unreadable: %s", path, index, exc)
        return frozenset()
    return frozenset(table)


def covers(path: str | Path, index: int, sample: str) -> bool:
    """Whether the face has a glyph for every non-space character of ``sample``."""
    needed = {ord(ch) for ch in sample if not ch.isspace()}
    return needed <= _cmap(str(path), index)


def _search(sample: str) -> CjkFont | None:
    from matplotlib import font_manager

    entries = [
        e
        for e in font_manager.fontManager.ttflist
        if str(e.fname).lower().endswith((".ttf", ".otf", ".ttc"))
    ]
    # the family list first, in its order; regular weight before bold; then everything else
    entries.sort(
        key=lambda e: (
            _RANK.get(e.name.casefold(), len(_RANK)),
            e.weight not in (400, "normal", "regular"),
            e.style != "normal",
        )
    )
    for entry in entries:
        index = int(getattr(entry, "index", 0) or 0)
        if covers(entry.fname, index, sample):
            return CjkFont(entry.name, Path(entry.fname), index)
    return None


def forget_lookups() -> None:
    """Drop matplotlib's memo of which file a font family resolved to (after its font
    list changed)."""
    from matplotlib import font_manager

    cached = getattr(font_manager.fontManager, "_findfont_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


def _rebuild_cache() -> None:
    """Rescan the system fonts into matplotlib's font list (a font installed after the
    cache was written becomes visible).

    The list is replaced inside the existing manager: matplotlib's renderers hold that
    object from import time, so a new manager would go unseen.
    """
    import matplotlib
    from matplotlib import font_manager

    fresh = font_manager.FontManager()
    manager = font_manager.fontManager
    manager.ttflist = fresh.ttflist
    manager.afmlist = fresh.afmlist
    forget_lookups()
    # the path matplotlib reads its cache from, so the next run starts with the font
    cache = Path(
        matplotlib.get_cachedir(), f"fontlist-v{font_manager.FontManager.__version__}.json"
    )
    try:
        font_manager.json_dump(manager, cache)
    except OSError as exc:  # a read-only cache folder: rescan next time
        log.debug("font cache not written: %s", exc)


def cjk_font(sample: str, *, refresh: bool = True) -> CjkFont | None:
    """The installed font to draw ``sample`` (Chinese text) with, or None if none covers it.

    Parameters
    ----------
    sample : str
        Every character the caller will draw (title, labels, legend).
    refresh : bool, default True
        When no font in matplotlib's cached list covers ``sample``, rescan the system
        fonts once and look again.

    Returns
    -------
    CjkFont or None
    """
    found = _search(sample)
    if found is None and refresh:
        log.info("no cached font covers the chart's text; rescanning the system fonts")
        _rebuild_cache()
        found = _search(sample)
    if found is None:
        log.warning("no installed font has Chinese glyphs; charts are labelled in English")
    return found
