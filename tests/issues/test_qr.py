"""一站一码、一人一码: URLs, the codes written (read back module by module), the index,
and public profiles that never show a phone."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import segno
from PIL import Image

from gridgov import synth
from gridgov._errors import NotFoundError, ParameterError
from gridgov.issues.qr import (
    INDEX_COLUMNS,
    deputy_url,
    public_deputy,
    public_station,
    qr_code,
    qr_symbol,
    station_url,
    write_qr_codes,
)
from gridgov.model import LAYERS, Workspace

BASE = "https://rd.huarong.gov.cn"


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return synth.demo_county(seed=2024)


def _modules(png: bytes, scale: int = 6, border: int = 4) -> list[list[bool]]:
    """Read a PNG code back into its dark/light modules (centre pixel of each)."""
    img = Image.open(io.BytesIO(png)).convert("L")
    n = img.size[0] // scale - 2 * border
    return [
        [img.getpixel(((border + c) * scale + scale // 2, (border + r) * scale + scale // 2)) < 128
         for c in range(n)]
        for r in range(n)
    ]  # fmt: skip


def _matrix(url: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in segno.make(url, error="m", micro=False).matrix]


def test_urls_are_encoded_and_base_checked() -> None:
    assert station_url(BASE, "430623S0001") == f"{BASE}/public/stations/430623S0001"
    assert deputy_url(BASE + "/", "430623D00001") == f"{BASE}/public/deputies/430623D00001"
    assert station_url("http://10.0.0.5:8000/rd", "S 1/东") == (
        "http://10.0.0.5:8000/rd/public/stations/S%201%2F%E4%B8%9C"
    )
    for bad in ("ftp://rd.example.gov.cn", "rd.example.gov.cn", "https://", "https:///x", ""):
        with pytest.raises(ParameterError, match="base_url"):
            station_url(bad, "S1")
    with pytest.raises(ParameterError, match="base_url"):
        deputy_url("https://rd.example.gov.cn/?x=1", "D1")
    with pytest.raises(ParameterError, match="deputy_id"):
        deputy_url(BASE, " ")


def test_png_and_svg_hold_the_url() -> None:
    url = station_url(BASE, "430623S0001")
    png = qr_code(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size[0] == img.size[1] > 0
    # the picture is exactly the symbol segno makes for this URL, at error correction M+
    assert _modules(png) == _matrix(url)
    assert qr_symbol(url).error in {"M", "Q", "H"} and not qr_symbol(url).is_micro
    assert _modules(qr_code(url, scale=3), scale=3) == _modules(png)
    assert _modules(qr_code(url + "x")) != _modules(png)

    svg = qr_code(url, kind="svg")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    with pytest.raises(ParameterError, match="kind='jpg'"):
        qr_code(url, kind="jpg")
    with pytest.raises(ParameterError, match="scale=0"):
        qr_code(url, scale=0)


def test_write_codes_and_index(ws: Workspace, tmp_path: Path) -> None:
    ws = replace(ws, deputies=ws.deputies.iloc[:40])  # every station, some deputies: faster
    paths = write_qr_codes(ws, tmp_path, base_url=BASE)
    assert len(paths) == len(ws.stations) + len(ws.deputies) + 1
    assert paths[-1] == tmp_path / "index.csv" and all(p.is_file() for p in paths)
    raw = (tmp_path / "index.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese correctly
    with (tmp_path / "index.csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert (
            tuple(reader.fieldnames or ())
            == INDEX_COLUMNS
            == ("编号", "名称", "类型", "链接", "文件")
        )
        rows = list(reader)
    stations = [r for r in rows if r["类型"] == "站点"]
    deputies = [r for r in rows if r["类型"] == "代表"]
    assert [r["编号"] for r in stations] == list(ws.stations["station_id"].astype(str))
    assert [r["名称"] for r in stations] == list(ws.stations["name"].astype(str))
    assert len(deputies) == len(ws.deputies)
    for r in (stations[0], stations[-1], deputies[0]):
        assert r["链接"] in (station_url(BASE, r["编号"]), deputy_url(BASE, r["编号"]))
        # the file on disk encodes that link
        assert _modules((tmp_path / r["文件"]).read_bytes()) == _matrix(r["链接"])
    assert stations[0]["文件"] == f"stations/{stations[0]['编号']}.png"
    assert deputies[0]["文件"] == f"deputies/{deputies[0]['编号']}.png"


def test_write_some_as_svg(ws: Workspace, tmp_path: Path) -> None:
    paths = write_qr_codes(ws, tmp_path, base_url=BASE, kind="svg", which=("stations",))
    assert len(paths) == len(ws.stations) + 1
    assert not (tmp_path / "deputies").exists()
    sid = str(ws.stations["station_id"].iloc[0])
    ET.parse(tmp_path / "stations" / f"{sid}.svg")
    with pytest.raises(ParameterError, match="which="):
        write_qr_codes(ws, tmp_path, base_url=BASE, which=("villages",))
    with pytest.raises(ParameterError, match="which="):
        write_qr_codes(ws, tmp_path, base_url=BASE, which="stations")
    with pytest.raises(ParameterError, match="base_url"):
        write_qr_codes(ws, tmp_path / "x", base_url="rd.example.gov.cn")
    assert not (tmp_path / "x").exists()


def test_public_station_profile(ws: Workspace) -> None:
    row = ws.stations.iloc[0]
    sid = str(row["station_id"])
    prof = public_station(ws, sid)
    assert prof["station_id"] == sid and prof["name"] == row["name"]
    assert prof["tier"] in {"联络站", "联络点", "代表工作室", "代表服务岗"}
    town = ws.townships.set_index("code").loc[str(row["township_code"]), "name"]
    assert prof["township"] == town and prof["reception_day"] == str(row["reception_day"])
    assert prof["lon"] == round(row.geometry.x, 5) and prof["lat"] == round(row.geometry.y, 5)
    deps = ws.deputies[ws.deputies["station_id"].astype(str) == sid]
    on_duty = deps[deps["on_duty"].astype(bool)]
    assert [d["deputy_id"] for d in prof["deputies"]] == list(on_duty["deputy_id"].astype(str))
    assert prof["deputies"] and all(
        set(d) == {"deputy_id", "name", "level", "specialty"} for d in prof["deputies"]
    )
    assert all(d["level"].endswith("人大代表") for d in prof["deputies"])


def test_off_duty_deputies_are_not_shown(ws: Workspace) -> None:
    off = ws.deputies[~ws.deputies["on_duty"].astype(bool) & ws.deputies["station_id"].notna()]
    d = off.iloc[0]
    shown = {x["deputy_id"] for x in public_station(ws, str(d["station_id"]))["deputies"]}
    assert str(d["deputy_id"]) not in shown
    assert public_deputy(ws, str(d["deputy_id"]))["on_duty"] is False


def test_public_profiles_never_carry_personal_data(ws: Workspace) -> None:
    personal = set(LAYERS["deputies"].personal)
    assert "phone" in personal
    profiles = [public_station(ws, s) for s in ws.stations["station_id"].astype(str)]
    for prof in profiles:
        assert not personal & {k for d in prof["deputies"] for k in d}
    deputies = [public_deputy(ws, d) for d in ws.deputies["deputy_id"].astype(str)]
    assert not any(personal & set(prof) for prof in deputies)
    # no phone, with or without its dashes, anywhere in any page's data
    text = repr(profiles + deputies)
    runs = "|".join(re.sub(r"\D", "", m) for m in re.findall(r"\d[\d\- ]*\d", text))
    for phone in ws.deputies["phone"].dropna().astype(str):
        assert phone not in text and re.sub(r"\D", "", phone) not in runs, phone
    first = ws.deputies.iloc[0]
    prof = public_deputy(ws, str(first["deputy_id"]))
    assert prof["name"] == first["name"] and prof["station_id"] == str(first["station_id"])
    assert (
        prof["station_name"]
        == ws.stations.set_index("station_id").loc[str(first["station_id"]), "name"]
    )


def test_unknown_ids_raise_not_found(ws: Workspace) -> None:
    with pytest.raises(NotFoundError, match="S9999"):
        public_station(ws, "S9999")
    with pytest.raises(NotFoundError, match="D9999"):
        public_deputy(ws, "D9999")
    bare = synth.demo_county(seed=2024)
    bare.deputies = None
    with pytest.raises(NotFoundError, match="deputy"):
        public_deputy(bare, "430623D00001")
    assert public_station(bare, str(bare.stations["station_id"].iloc[0]))["deputies"] == []


def test_index_keeps_a_formula_like_name_as_text(ws: Workspace, tmp_path: Path) -> None:
    stations = ws.stations.copy()
    stations.loc[stations.index[0], "name"] = '=HYPERLINK("http://x","y")'
    ws = replace(ws, stations=stations, deputies=ws.deputies.iloc[:0])
    write_qr_codes(ws, tmp_path, base_url=BASE)
    with (tmp_path / "index.csv").open(encoding="utf-8-sig", newline="") as fh:
        names = [r["名称"] for r in csv.DictReader(fh)]
    assert names[0] == '\'=HYPERLINK("http://x","y")'
