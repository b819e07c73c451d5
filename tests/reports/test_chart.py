"""The trade-off chart in Chinese wherever it is drawn, with the fonts a county PC has.

On Chinese Windows the only Chinese font may be Microsoft YaHei; the test makes one (the
installed Noto Sans CJK SC, cut to the chart's characters and renamed) and hides every
other Chinese font from matplotlib, so the chart must find YaHei by its family name and
what it covers. A font cache written before the font was installed must not leave the
chart in boxes either.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from PIL import Image

from gridgov._fonts import cjk_font, covers, forget_lookups
from gridgov.coverage.plan_report import curve_figure, curve_png
from gridgov.messages import text

_NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_TITLE = "华容县站点数与覆盖、用时的权衡（电动车25分钟）"


def _curve() -> pd.DataFrame:
    p = np.array([18, 25, 32, 40, 48, 52, 61, 75, 97])
    share = np.minimum(0.80 + (p - 18) * 0.005, 0.9525)
    mean = 16.0 - (p - 18) * 0.1
    return pd.DataFrame(
        {
            "p": p,
            "share_population_covered": share,
            "mean_travel_min": mean,
            "mean_travel_full_min": np.where(p >= 48, mean + 0.5, np.nan),
            "min_full_coverage": 48,
        }
    )


def _hide_cjk(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's font list as a PC without any Chinese font would have it (restored
    after the test, with the lookups it memoised meanwhile)."""
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [e for e in manager.ttflist if not cjk_covers(e)])
    forget_lookups()


def cjk_covers(entry: font_manager.FontEntry) -> bool:
    return covers(entry.fname, int(getattr(entry, "index", 0) or 0), "华容")


@pytest.fixture(autouse=True)
def _fresh_lookups() -> Iterator[None]:
    yield
    forget_lookups()  # no family left resolving to a test's deleted font file


@pytest.fixture
def yahei(tmp_path: Path) -> Path:
    """A font named Microsoft YaHei that covers the chart's text (a renamed Noto cut)."""
    if not _NOTO.is_file():
        pytest.skip("Noto Sans CJK is not installed here")
    from fontTools import subset
    from fontTools.ttLib import TTFont

    labels = "".join(text(f"report.chart.{k}", "zh") for k in
                     ("x", "cov", "mean_axis", "mean_free", "mean_full", "full", "target"))  # fmt: skip
    font = TTFont(str(_NOTO), fontNumber=2)  # Noto Sans CJK SC in the collection
    options = subset.Options()
    options.name_IDs = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(text=_TITLE + labels + "0123456789.:%()-+ ")
    sub.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 4, 16, 6):
            value = "MicrosoftYaHei" if record.nameID == 6 else "Microsoft YaHei"
            names.setName(value, record.nameID, record.platformID, record.platEncID, record.langID)
    path = tmp_path / "msyh.otf"
    font.save(str(path))
    return path


def test_chart_finds_microsoft_yahei_by_family_and_draws_no_boxes(
    yahei: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hide_cjk(monkeypatch)
    font_manager.fontManager.addfont(str(yahei))
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" for every box it draws
        warnings.simplefilter("error")
        fig, font = curve_figure(_curve(), target=52, title=_TITLE, lang="zh")
        path = tmp_path / "curve.png"
        fig.savefig(path)
    assert font is not None and font.name == "Microsoft YaHei" and font.path == yahei
    ax = fig.axes[0]
    assert ax.get_xlabel() == "保留站点数"
    assert ax.get_title() == _TITLE
    assert Path(font_manager.findfont(ax.title.get_fontproperties())) == yahei
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "全部可达村达标所需最少站点数: 48" in legend and "本方案: 52" in legend
    image = np.asarray(Image.open(path).convert("L"))
    assert image.shape[1] >= 1000 and (image < 128).mean() > 0.01  # drawn, not blank


def test_reference_lines_are_named_in_the_legend_not_over_the_markers(tmp_path: Path) -> None:
    fig, _ = curve_figure(_curve(), target=52, title=_TITLE, lang="zh")
    fig.canvas.draw()
    ax = fig.axes[0]
    # no free text is written inside the plot area
    assert not ax.texts
    legend = fig.legends[0].get_window_extent()
    assert legend.y1 <= ax.get_window_extent().y0  # the legend sits below the axes


def test_a_font_cache_older_than_the_font_is_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    if not _NOTO.is_file():
        pytest.skip("Noto Sans CJK is not installed here")
    # the cache lists no Chinese font, but one is installed on disk
    _hide_cjk(monkeypatch)
    assert cjk_font("华容县", refresh=False) is None
    found = cjk_font("华容县")
    assert found is not None and found.name == "Noto Sans CJK SC"  # SC before JP/TC
    assert found.name in {e.name for e in font_manager.fontManager.ttflist}


def test_without_any_chinese_font_the_chart_is_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hide_cjk(monkeypatch)
    monkeypatch.setattr("gridgov._fonts._rebuild_cache", lambda: None)  # nothing on disk
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = curve_png(_curve(), tmp_path / "c.png", target=52, title=_TITLE)
        fig, font = curve_figure(_curve(), target=52, title=_TITLE, lang="zh")
    assert font is None and fig.axes[0].get_xlabel() == "stations kept"
    assert path.stat().st_size > 10_000
