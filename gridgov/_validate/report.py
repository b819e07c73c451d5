"""The problem report a planner can act on: identical problems grouped, the input's own
problems first, and what only follows from replacing a layer summed up in one line.

857 deputies with the same unknown level are one line (``857 行：代表层级“镇代表”无法识别
— 是否应为 乡镇人大代表？（Excel 第 3、4、5、6、7 等 857 个行）``), not 857. Problems in a
layer the load kept, caused by a layer it replaced (deputies pointing at stations of the old
stations layer), are marked (:func:`mark_cascades`) and summed up per layer at the end. The
full list, one row per problem with file, sheet, Excel row, column, value, problem and
suggestion, is :func:`problem_table`, written by the CLI as ``problems.xlsx``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from gridgov._errors import Problem, _short
from gridgov._validate.derive import REFERENCE_TERMS
from gridgov._validate.source import NOTE, Finding
from gridgov._validate.vocabulary import field_term, layer_term
from gridgov.messages import Items, text
from gridgov.model import LAYERS

__all__ = [
    "ProblemGroup",
    "group_problems",
    "mark_cascades",
    "notes",
    "problem_line",
    "problem_table",
    "report_lines",
]

# (layer, field) -> the layer the field refers to: a problem there in a layer the load kept
# follows from replacing that layer.
_REFERS_TO: dict[tuple[str, str], tuple[str, ...]] = {
    ("townships", "code"): ("county",),
    ("villages", "code"): ("townships",),
    ("villages", "township_code"): ("townships",),
    ("stations", "township_code"): ("townships",),
    ("stations", "village_code"): ("villages",),
    ("settlements", "village_code"): ("villages",),
    ("grids", "village_code"): ("villages",),
    ("stations", "parent_station_id"): ("stations",),
    ("deputies", "station_id"): ("stations",),
    ("deputies", "grid_codes"): ("grids",),
    ("villages", "geometry"): ("county",),
    ("settlements", "geometry"): ("county", "villages"),
    ("grids", "geometry"): ("county",),
    ("stations", "geometry"): ("county", "townships"),
    ("deputies", "geometry"): ("county",),
    ("roads", "geometry"): ("county",),
}


# Rows shown in a group's line; problems.xlsx has them all.
_ROWS_SHOWN = 5


def _attr(problem: Problem, name: str) -> object:
    return getattr(problem, name, None)


def notes(problems: Iterable[Problem]) -> list[str]:
    """The notes among ``problems`` (what the loader derived), as text for people."""
    return [p.message for p in problems if p.severity == NOTE]


def mark_cascades(
    problems: Iterable[Problem], *, replaced: Collection[str], kept: Collection[str]
) -> list[Problem]:
    """Mark the problems that only follow from replacing layers, and put them last.

    Parameters
    ----------
    problems : iterable of Problem
        Every problem of a load.
    replaced : collection of str
        Layers the load replaced in an existing workspace.
    kept : collection of str
        Layers of the existing workspace the load kept (problems of these name the layer,
        not a file).

    Returns
    -------
    list of Problem
        The same problems: first those of the files loaded, then the other problems of the
        kept layers, each in their order, then those in a kept layer that refer to a
        replaced one, as :class:`Finding` with ``cause`` set.
    """
    own: list[Problem] = []
    theirs: list[Problem] = []
    cascades: list[Problem] = []
    for problem in problems:
        causes = _REFERS_TO.get((problem.layer, problem.field or ""), ())
        cause = next((c for c in causes if c in replaced), None)
        if problem.layer not in kept:
            own.append(problem)
        elif cause is None or problem.severity == NOTE:
            theirs.append(problem)
        elif isinstance(problem, Finding):
            cascades.append(replace(problem, cause=cause))
        else:
            p = problem
            cascades.append(
                Finding(p.layer, p.row, p.field, p.value, p.message, p.severity, cause=cause)
            )
    return own + theirs + cascades


@dataclass(frozen=True)
class ProblemGroup:
    """Identical problems: same file, sheet, column, message, suggestion and cause."""

    problems: tuple[Problem, ...]

    @property
    def first(self) -> Problem:
        return self.problems[0]

    @property
    def count(self) -> int:
        return len(self.problems)


def _group_key(p: Problem) -> tuple[object, ...]:
    return (
        p.severity,
        p.layer,
        _attr(p, "sheet"),
        p.field,
        p.message,
        _attr(p, "suggestion"),
        _attr(p, "cause"),
        p.row is None,
    )


def group_problems(problems: Iterable[Problem]) -> list[ProblemGroup]:
    """Identical problems together, groups in the order their first problem came."""
    groups: dict[tuple[object, ...], list[Problem]] = {}
    for problem in problems:
        groups.setdefault(_group_key(problem), []).append(problem)
    return [ProblemGroup(tuple(members)) for members in groups.values()]


def _row_text(p: Problem) -> str:
    source = _attr(p, "source_row")
    if source is not None:
        return text("report.excel_row", row=source)
    if isinstance(p.row, str):
        return p.row
    return text("report.feature", row=p.row)


def _names(p: Problem) -> set[str]:
    """What a message may call the field of ``p``: its name, header, labels in any layer."""
    field = p.field or ""
    names = {field, format(field_term(p.layer, field)), str(_attr(p, "column") or field)}
    names |= {s.column(field).label_zh for s in LAYERS.values() if field in s.names}
    names |= {t.zh for (_, f), t in REFERENCE_TERMS.items() if f == field}
    names |= {t.en for (_, f), t in REFERENCE_TERMS.items() if f == field}
    return {n for n in names if n}


def _said(p: Problem) -> str:
    """The message, with the field and the value in front and behind when it names neither
    (a settings file's ``speeds_kmh.walk``: the message says only what is wrong)."""
    message = p.message
    if p.field and p.field != "geometry" and not any(n in message for n in _names(p)):
        message = f"[{p.field}] {message}"
    shown = _short(p.value)
    if shown and shown not in message and p.severity != NOTE:
        message += text("report.value", value=shown)
    return message


def _group_line(group: ProblemGroup) -> str:
    p = group.first
    values = {_short(q.value) for q in group.problems}
    said = _said(p) if len(values) == 1 else p.message
    if p.row is None:
        line = said
    elif group.count == 1:
        line = text("report.single", row=_row_text(p), message=said)
    else:
        line = text("report.group", count=group.count, message=said)
    suggestion = _attr(p, "suggestion")
    if suggestion:
        line += text("report.suggest", suggestion=suggestion)
    if p.row is not None and group.count > 1:
        sources = [_attr(q, "source_row") for q in group.problems]
        excel = all(s is not None for s in sources)
        rows = sources if excel else [q.row for q in group.problems]
        key = "report.excel_rows" if excel else "report.rows"
        if len(rows) > _ROWS_SHOWN:
            key += "_more"
        line += text(key, rows=Items(rows[:_ROWS_SHOWN], limit=_ROWS_SHOWN))
    if p.severity == "warning":
        line = text("report.warning_prefix", message=line)
    return line


def _file_heading(p: Problem) -> str:
    sheet = _attr(p, "sheet")
    name = text("report.sheet", file=p.layer, sheet=sheet) if sheet else p.layer
    return text("report.file", file=name)


def _cascade_lines(cascades: Sequence[Problem]) -> list[str]:
    by_cause: dict[tuple[str, str], list[Problem]] = {}
    for p in cascades:
        by_cause.setdefault((p.layer, str(_attr(p, "cause"))), []).append(p)
    lines = []
    for (layer, cause), members in by_cause.items():
        values = list(dict.fromkeys(_short(p.value) for p in members if p.value is not None))
        lines.append(
            text(
                "report.cascade",
                count=len(members),
                cause=layer_term(cause),
                layer=layer_term(layer),
                examples=Items(values, limit=3),
                option=layer,
            )
        )
    return lines


def report_lines(problems: Iterable[Problem], *, context: str, limit: int = 40) -> list[str]:
    """The report for the console: a head line, then per file its grouped problems.

    Parameters
    ----------
    problems : iterable of Problem
        Errors and warnings (notes are left out), input's own first (:func:`mark_cascades`).
    context : str
        What was checked (a workspace, a file), named in the head line.
    limit : int, default 40
        Groups shown; the rest are counted in one line (``problems.xlsx`` has them all).

    Returns
    -------
    list of str
        Lines without trailing newlines; group lines are indented under their file.
    """
    shown = [p for p in problems if p.severity != NOTE]
    errors = sum(p.severity == "error" for p in shown)
    warnings = len(shown) - errors
    if warnings:
        head = text("report.head", context=context, errors=errors, warnings=warnings)
    else:
        head = text("report.head_errors", context=context, errors=errors)
    lines = [head]
    own = [p for p in shown if _attr(p, "cause") is None]
    groups = group_problems(own)
    heading = None
    for group in groups[:limit]:
        this = _file_heading(group.first)
        if this != heading:
            lines.append(this)
            heading = this
        lines.append(f"  - {_group_line(group)}")
    if len(groups) > limit:
        lines.append(text("report.more", count=len(groups) - limit))
    lines.extend(_cascade_lines([p for p in shown if _attr(p, "cause") is not None]))
    return lines


def problem_line(p: Problem) -> str:
    """One problem on one line: severity, file, row and field, message, value, suggestion."""
    where = p.layer
    if p.row is not None:
        where += f" {_row_text(p)}"
    if p.field is not None:
        where += f" [{p.field}]"
    severity = text(f"report.{p.severity}") if p.severity in ("error", "warning", NOTE) else ""
    line = text("report.line", severity=severity, where=where, message=p.message)
    shown = _short(p.value)
    if shown and shown not in p.message and p.severity != NOTE:
        line += text("report.value", value=shown)
    suggestion = _attr(p, "suggestion")
    if suggestion:
        line += text("report.suggest", suggestion=suggestion)
    return line


def problem_table(
    problems: Iterable[Problem], *, layers: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Every error and warning, one row each, for ``problems.xlsx``.

    Columns (headers in the current language): file, sheet, row (the Excel row when the
    reader gave it, else the feature's key or number), column (the header as written in
    the file when known, else the column's label), value, problem, suggestion.

    Parameters
    ----------
    problems : iterable of Problem
        Notes are left out.
    layers : mapping of str to str, optional
        File label -> layer name, to name columns by the layer's labels.
    """
    layers = layers or {}
    rows = []
    for p in problems:
        if p.severity == NOTE:
            continue
        source = _attr(p, "source_row")
        if source is not None:
            row: object = source
        elif p.row is None or isinstance(p.row, str):
            row = p.row
        else:
            row = text("report.feature", row=p.row)
        column = _attr(p, "column")
        if column is None and p.field is not None:
            column = format(field_term(layers.get(p.layer, p.layer), p.field))
        message = p.message
        if p.severity == "warning":
            message = text("report.warning_prefix", message=message)
        rows.append(
            {
                text("report.col_file"): p.layer,
                text("report.col_sheet"): _attr(p, "sheet") or "",
                text("report.col_row"): "" if row is None else row,
                text("report.col_column"): column or "",
                text("report.col_value"): _short(p.value),
                text("report.col_problem"): message,
                text("report.col_suggestion"): _attr(p, "suggestion") or "",
            }
        )
    columns = [
        text(f"report.col_{k}")
        for k in ("file", "sheet", "row", "column", "value", "problem", "suggestion")
    ]
    return pd.DataFrame(rows, columns=columns)
