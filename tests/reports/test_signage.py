"""Printable QR signage, checked as the print shop and a resident's phone would.

``gridgov qr`` writes a sign per station (A5 and A4, PNG at 300 dpi and PDF) beside the
codes. A phone must read the code off the printed sign (decoded here with OpenCV's QR
reader from the PNG file), the paper sizes must be A5 / A4 exactly, the code wide enough
to scan from a metre, and the station's name must be drawn in glyphs, not in the boxes a
font without Chinese draws.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFont
from pypdf import PdfReader

from gridgov import io, synth
from gridgov.cli import main
from gridgov.issues.qr import deputy_url, public_deputy, public_station, station_url
from gridgov.issues.signage import PAPER_MM, deputy_card, mm_to_px, station_sign

BASE = "https://rd.example.gov.cn"
_PT_PER_MM = 72 / 25.4


@pytest.fixture(scope="module")
def county() -> object:
    """A small county (8 stations), its deputies cut to two per station: cards for 187
    would only slow the suite."""
    ws = synth.synth_county(seed=3, n_villages=24)
    deputies = ws.deputies.groupby("station_id", group_keys=False).head(2)  # type: ignore[union-attr]
    return dataclasses.replace(ws, deputies=deputies)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory, county: object) -> Path:
    """The files of ``gridgov qr --cards`` on a small county (8 stations)."""
    root = tmp_path_factory.mktemp("signs")
    workspace = root / "county.gpkg"
    io.write_workspace(county, workspace)  # type: ignore[arg-type]
    out = root / "qr"
    rc = main(["qr", str(workspace), "--base-url", BASE, "--out", str(out), "--cards"])
    assert rc == 0
    return out


def _decode(path: Path) -> tuple[str, float]:
    """What a phone reads off the PNG, and the code's width in mm at 300 dpi."""
    image = cv2.imread(str(path))
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(image)
    assert points is not None, f"no QR code found on {path.name}"
    corners = points.reshape(-1, 2)
    width_px = float(np.linalg.norm(corners[1] - corners[0]))
    return text, width_px * 25.4 / 300


@pytest.mark.parametrize("paper", ["a5", "a4"])
def test_every_sign_scans_to_its_station_page(printed: Path, county: object, paper: str) -> None:
    ids = county.stations["station_id"].astype(str)  # type: ignore[attr-defined]
    for sid in ids:
        text, width_mm = _decode(printed / "signs" / f"{sid}-{paper}.png")
        assert text == station_url(BASE, sid)
        # ~10x the code's width is how far a phone reads it: a metre needs ~80 mm of modules
        assert width_mm >= (80 if paper == "a5" else 80 * 210 / 148) - 1


def test_deputy_cards_scan_to_the_deputy(printed: Path, county: object) -> None:
    deputies = county.deputies  # type: ignore[attr-defined]
    on_duty = deputies[deputies["on_duty"].fillna(True).astype(bool)]
    cards = sorted((printed / "cards").glob("*.png"))
    assert len(cards) == len(on_duty)
    did = str(on_duty["deputy_id"].iloc[0])
    assert _decode(printed / "cards" / f"{did}.png")[0] == deputy_url(BASE, did)


@pytest.mark.parametrize("paper", ["a5", "a4"])
def test_signs_are_exactly_a5_and_a4_at_300_dpi(printed: Path, paper: str) -> None:
    w_mm, h_mm = PAPER_MM[paper]
    png = next((printed / "signs").glob(f"*-{paper}.png"))
    with Image.open(png) as im:
        assert im.size == (mm_to_px(w_mm), mm_to_px(h_mm))
        assert tuple(round(v) for v in im.info["dpi"]) == (300, 300)
    page = PdfReader(png.with_suffix(".pdf")).pages[0]
    assert float(page.mediabox.width) == pytest.approx(w_mm * _PT_PER_MM, abs=1.0)
    assert float(page.mediabox.height) == pytest.approx(h_mm * _PT_PER_MM, abs=1.0)
    # one file for the print shop: every station, a page each
    booklet = PdfReader(printed / f"signs-{paper}.pdf")
    assert len(booklet.pages) == len(list((printed / "signs").glob(f"*-{paper}.png")))


def _glyph(font: ImageFont.FreeTypeFont, ch: str) -> bytes:
    return bytes(font.getmask(ch))


def test_station_name_is_drawn_in_glyphs_not_boxes(county: object) -> None:
    sid = str(county.stations["station_id"].iloc[0])  # type: ignore[attr-defined]
    profile = public_station(county, sid)  # type: ignore[arg-type]
    sign = station_sign(profile, station_url(BASE, sid), county="测试县")
    assert sign.font is not None
    face = ImageFont.truetype(str(sign.font.path), 64, index=sign.font.index)
    missing = _glyph(face, "\ue000")  # a private-use character: the font's missing glyph
    name = profile["name"]
    assert all(_glyph(face, ch) != missing for ch in name if not ch.isspace())
    # and the name is really on the sign, in its box, in dark ink
    left, top, right, bottom = sign.boxes["name"]
    ink = np.asarray(sign.image.convert("L").crop((left, top, right, bottom))) < 128
    assert 0.08 < ink.mean() < 0.7
    # the oracle can fail: a Latin-only font draws every Chinese character as the box
    from matplotlib import get_data_path

    latin = ImageFont.truetype(str(Path(get_data_path(), "fonts/ttf/DejaVuSans.ttf")), 64)
    assert all(_glyph(latin, ch) == _glyph(latin, "\ue000") for ch in "联络站")


def test_code_stays_large_when_the_roster_is_long(county: object) -> None:
    """A station with 45 deputies: the roster is cut to '等 45 名', the code keeps its size."""
    sid = str(county.stations["station_id"].iloc[0])  # type: ignore[attr-defined]
    profile = dict(public_station(county, sid))  # type: ignore[arg-type]
    profile["deputies"] = [
        {"deputy_id": f"D{k}", "name": f"代表{k:02d}", "level": "乡镇人大代表"} for k in range(45)
    ]
    profile["name"] = "一个名称相当长的某某乡镇某某社区人大代表联络站服务点"
    sign = station_sign(profile, station_url(BASE, sid), paper="a5")
    left, _, right, _ = sign.boxes["qr"]
    assert (right - left) * 25.4 / 300 >= 80 - 0.5
    # nothing overlaps: name above the code, call to action below it
    assert sign.boxes["name"][3] < sign.boxes["qr"][1] < sign.boxes["qr"][3] < sign.boxes["cta"][1]


def test_card_layout(county: object) -> None:
    did = str(county.deputies["deputy_id"].iloc[0])  # type: ignore[attr-defined]
    card = deputy_card(public_deputy(county, did), deputy_url(BASE, did))  # type: ignore[arg-type]
    assert card.image.size == (mm_to_px(105), mm_to_px(148))
    assert card.boxes["name"][3] < card.boxes["qr"][1] < card.boxes["qr"][3] < card.boxes["cta"][1]


def test_signs_option_is_checked(tmp_path: Path, county: object) -> None:
    workspace = tmp_path / "c.gpkg"
    io.write_workspace(county, workspace)  # type: ignore[arg-type]
    assert main(["qr", str(workspace), "--base-url", BASE, "--signs", "a3"]) == 2
    out = tmp_path / "plain"
    assert (
        main(["qr", str(workspace), "--base-url", BASE, "--signs", "none", "--out", str(out)]) == 0
    )
    assert not (out / "signs").exists() and (out / "stations").is_dir()
