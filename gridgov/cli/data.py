"""``gridgov synth | load | validate | info``: make, read, check and describe a workspace."""

from __future__ import annotations

import argparse
import codecs
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridgov._errors import ParameterError, Problem, ValidationError
from gridgov.cli._common import emit, problems_text, progress, settings_of
from gridgov.messages import Items, text
from gridgov.model import LAYERS

if TYPE_CHECKING:
    from gridgov.io import SourceFile

__all__ = ["register"]

#: Scales accepted by ``gridgov synth --scale`` (village-level units).
SYNTH_SCALES = {"county": 220, "province": 20_000, "national": 600_000}


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    """The reading options shared by ``load`` and ``validate``."""
    if args.encoding is not None:
        try:
            codecs.lookup(args.encoding)
        except LookupError as exc:
            raise ParameterError(
                text("cli.bad_encoding", value=repr(args.encoding)),
                parameter="--encoding",
                value=args.encoding,
            ) from exc
    return {
        "encoding": args.encoding,
        "source_crs": args.source_crs,
        "lon_col": args.lon_col,
        "lat_col": args.lat_col,
        "fix": args.fix,
        "settings": settings_of(args),
    }


def _layer_sources(args: argparse.Namespace) -> dict[str, SourceFile]:
    """Each layer's file with what was said about it: ``FILE@OPTION...`` for that file,
    ``--header-row`` and ``--allow-outside-china`` for every file."""
    from gridgov.io import SourceFile

    if args.header_row is not None and args.header_row < 1:
        raise ParameterError(
            text("cli.bad_header_row", value=args.header_row),
            parameter="--header-row",
            value=args.header_row,
        )
    sources = {}
    for name in LAYERS:
        given = getattr(args, f"layer_{name}", None)
        if not given:
            continue
        source = SourceFile.parse(given)
        if source.header_row is None and args.header_row is not None:
            source = replace(source, header_row=args.header_row)
        if args.allow_outside_china:
            source = replace(source, allow_outside_china=True)
        sources[name] = source
    return sources


def _notes_apart(problems: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """``(notes, the rest)``: what was detected or derived while reading (severity
    ``"note"``), and the warnings."""
    notes = [p for p in problems if p.severity == "note"]
    return notes, [p for p in problems if p.severity != "note"]


def _notes_text(notes: list[Problem]) -> str:
    """One line per note, each saying how to override it when it was a guess."""
    return "".join(f"\n  {p.message}" for p in notes)


def _layer_terms(names: list[str]) -> list[Any]:
    """Each layer as the planner calls it (``村（社区）``) or, in English, by its name."""
    from gridgov._validate.vocabulary import layer_term  # the validation stack: lazily

    return [layer_term(name) for name in names]


def _counts_text(counts: dict[str, int]) -> str:
    """``村（社区） 225，代表联络站点 97`` / ``villages 225, stations 97``: each layer's count."""
    terms = _layer_terms(list(counts))
    parts = [
        text("cli.count", layer=term, count=f"{n:,}")
        for term, n in zip(terms, counts.values(), strict=True)
    ]
    return text("cli.list_sep").join(parts)


def _warnings_text(warnings: list[Problem]) -> str:
    if not warnings:
        return ""
    return f"\n  {text('report.warnings', count=len(warnings))}\n{problems_text(warnings)}"


def cmd_synth(args: argparse.Namespace) -> int:
    """Generate a seeded synthetic county (one workspace) or region (a folder of parts)."""
    from gridgov import io, synth

    n = args.villages if args.villages is not None else SYNTH_SCALES[args.scale]
    out = Path(args.out)
    t0 = time.perf_counter()
    if n <= args.villages_per_county:
        if out.suffix.lower() != ".gpkg":
            out = out / "synthetic-county.gpkg"
        out.parent.mkdir(parents=True, exist_ok=True)
        ws = synth.synth_county(seed=args.seed, n_villages=n)
        io.write_workspace(ws, out, settings=settings_of(args))
        summary: dict[str, Any] = {"parts": 1, "files": [str(out)], "counts": ws.counts()}
    else:
        with progress(args, f"gridgov synth {n:,} villages", None) as tick:
            summary = synth.synth_region(
                out,
                n_villages=n,
                seed=args.seed,
                villages_per_county=args.villages_per_county,
                progress=tick,
            )
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    counts = summary.get("counts", {})
    said = (
        f"gridgov synth: {n:,} village-level units, seed {args.seed}, "
        f"{summary.get('parts', 1)} part(s) in {summary['seconds']} s -> {out}\n  "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    emit(args, summary, said)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Read files into a workspace (all validated first; nothing written on any error)."""
    from gridgov import io

    sources = _layer_sources(args)
    if not sources:
        raise ValidationError(
            [Problem(text("cli.command_line"), None, None, None, text("cli.load_no_files"))],
            context="gridgov load",
        )
    # load_into_workspace takes any path-like; a SourceFile carries its file's options
    ws, problems = io.load_into_workspace(args.workspace, sources, **_read_options(args))
    counts = ws.counts()
    notes, warnings = _notes_apart(problems)
    payload = {
        "workspace": str(args.workspace),
        "loaded": {k: str(v) for k, v in sources.items()},
        "counts": counts,
        "notes": [n.as_dict() for n in notes],
        "warnings": [p.as_dict() for p in warnings],
    }
    layers = Items(_layer_terms(list(sources)), limit=len(sources))
    said = text("cli.loaded", layers=layers, workspace=args.workspace)
    said += f"\n  {_counts_text(counts)}{_notes_text(notes)}{_warnings_text(warnings)}"
    emit(args, payload, said)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a workspace, or files as they would load into it; never writes anything."""
    from gridgov import io

    sources = _layer_sources(args)
    if args.workspace is None and not sources:
        raise ValidationError(
            [Problem(text("cli.command_line"), None, None, None, text("cli.validate_nothing"))],
            context="gridgov validate",
        )
    # preview_workspace validates every layer and the relations between them, and raises
    # with every problem if any is an error; what comes back are the warnings.
    ws, found = io.preview_workspace(args.workspace, sources, **_read_options(args))
    notes, problems = _notes_apart(found)
    payload = {
        "ok": True,
        "counts": ws.counts(),
        "notes": [n.as_dict() for n in notes],
        "warnings": [p.as_dict() for p in problems],
    }
    said = text("cli.valid", counts=_counts_text(ws.counts()))
    said += _notes_text(notes) + _warnings_text(problems)
    emit(args, payload, said)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Summarise a workspace: layer counts and breakdowns."""
    from gridgov import io

    info = io.workspace_info(args.workspace)
    lines = [f"{args.workspace}: {info.get('county_name', '')} ({info.get('county_code', '')})"]
    for key, value in info.items():
        if key in ("county_name", "county_code"):
            continue
        if isinstance(value, dict):
            lines.append(f"  {key}: " + ", ".join(f"{k} {v}" for k, v in value.items()))
        else:
            lines.append(f"  {key}: {value}")
    emit(args, info, "\n".join(lines))
    return 0


def _add_input_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group(
        "layer files (any of GeoPackage, GeoJSON, Shapefile, CSV, XLSX/XLS, KML; "
        "an OpenStreetMap extract .osm.pbf for --roads)",
        "FILE@OPTION[@OPTION...] says something about that one file: its text encoding "
        "(villages.shp@gbk), the coordinate system of coordinates it does not declare "
        "(stations.xlsx@gcj02, townships.shp@epsg:4547), a table's header row "
        "(@header=2) or sheet (@sheet=NAME). What was detected is printed after loading.",
    )
    for name, schema in LAYERS.items():
        group.add_argument(
            f"--{name}",
            dest=f"layer_{name}",
            metavar="FILE[@OPT]",
            help=f"{schema.label_zh} ({name})"
            + (
                "; or an OpenStreetMap extract, .osm.pbf (needs pip install 'gridgov[osm]')"
                if name == "roads"
                else ""
            ),
        )
    p.add_argument(
        "--encoding",
        help="text encoding of every Shapefile DBF without .cpg and every CSV/TXT (e.g. GBK, "
        "GB18030; default: detected per file); GeoJSON, GeoPackage and KML are UTF-8 by "
        "specification and a .cpg file wins",
    )
    p.add_argument(
        "--source-crs",
        help="coordinate system of coordinates a file does not declare (CSV/XLSX lon/lat, "
        "Shapefile without .prj): wgs84, cgcs2000, gcj02 (AMap/Tencent/Ovital), bd09 (Baidu) "
        "or EPSG:n; a .prj, GeoPackage, GeoJSON or KML CRS wins (per file: FILE@gcj02)",
    )
    p.add_argument(
        "--header-row",
        type=int,
        metavar="N",
        help="sheet row number of the header of every CSV/XLSX (default: found among the "
        "first 10 rows; per file: FILE@header=N)",
    )
    p.add_argument(
        "--allow-outside-china",
        action="store_true",
        help="load features outside China as warnings instead of refusing them",
    )
    p.add_argument("--lon-col", help="longitude column of CSV/XLSX (default: detected)")
    p.add_argument("--lat-col", help="latitude column of CSV/XLSX (default: detected)")
    p.add_argument(
        "--fix", action="store_true", help="repair invalid geometries instead of refusing"
    )


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``synth``, ``load``, ``validate`` and ``info`` to the CLI's subparsers."""
    p = sub.add_parser(
        "synth", parents=[common], help="generate a seeded synthetic county or region"
    )
    p.add_argument("out", help="a .gpkg file (one county) or a folder (a region, written in parts)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--scale", choices=sorted(SYNTH_SCALES), default="county")
    size.add_argument("--villages", type=int, help="number of village-level units")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--villages-per-county", type=int, default=215)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("load", parents=[common], help="read layer files into a workspace")
    p.add_argument("workspace", type=Path, help="workspace GeoPackage (created if missing)")
    _add_input_options(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser(
        "validate", parents=[common], help="check a workspace or files, write nothing"
    )
    p.add_argument("workspace", type=Path, nargs="?", help="workspace GeoPackage")
    _add_input_options(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("info", parents=[common], help="summarise a workspace")
    p.add_argument("workspace", type=Path)
    p.set_defaults(func=cmd_info)
