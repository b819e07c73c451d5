"""A whole workspace: every layer, then how the layers fit together.

:func:`clean_workspace` returns the cleaned workspace and every problem;
:func:`validate_workspace` does the same work and raises one
:class:`~gridgov._errors.ValidationError` listing every problem when any is an error.
:func:`relation_problems` checks only how layers fit together, for a load that reads its
layers one file at a time (after :func:`~gridgov._validate.resolve_references`, which
turns references written as names into codes).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

import geopandas as gpd

from gridgov._errors import Problem, ValidationError
from gridgov._validate.derive import resolve_references
from gridgov._validate.layer import clean_layer
from gridgov._validate.references import reference_problems
from gridgov._validate.source import Finding
from gridgov._validate.spatial import is_cgcs2000, spatial_problems
from gridgov._validate.vocabulary import layer_term
from gridgov.messages import text
from gridgov.model import LAYERS, REQUIRED_LAYERS, Workspace
from gridgov.settings import Settings

__all__ = ["clean_workspace", "relation_problems", "validate_workspace"]

log = logging.getLogger(__name__)


def clean_workspace(
    ws: Workspace, *, settings: Settings | None = None, fix: bool = False
) -> tuple[Workspace, list[Problem]]:
    """Check every layer of a workspace and how the layers fit together.

    On top of :func:`clean_layer` for each layer: the required layers exist and are in
    EPSG:4490; codes nest (township codes start with the county code, village codes with
    their ``township_code``); every reference resolves (villages to townships, settlements
    and grids to villages, stations to townships, villages and parent stations, deputies to
    stations and grids); features lie inside the county outline, within
    ``settings.outside_tolerance_m`` (measured in the county's Gauss-Kruger zone); every
    station lies inside a township (the one its ``township_code`` names, else a warning);
    industry stations name their industry. References written as names are resolved and
    required codes left empty derived first (:func:`resolve_references`), said in notes.

    Parameters
    ----------
    ws : Workspace
        The workspace to check; not modified.
    settings : Settings, optional
        Supplies ``outside_tolerance_m``; defaults to :class:`Settings()`.
    fix : bool, default False
        Repair invalid geometries (reported as warnings) instead of reporting errors.

    Returns
    -------
    (Workspace, list of Problem)
        The cleaned (and, with ``fix``, repaired) workspace, and every problem found,
        errors, warnings and notes. Nothing is raised for bad data: the caller decides.
    """
    settings = settings or Settings()
    problems: list[Problem] = []
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name in LAYERS:
        gdf = getattr(ws, name, None)
        if gdf is None:
            if name in REQUIRED_LAYERS:
                message = text("validate.no_layer", layer=layer_term(name))
                problems.append(Finding(name, None, None, None, message))
            continue
        cleaned, found = clean_layer(gdf, name, fix=fix)
        problems.extend(found)
        layers[name] = cleaned
        if cleaned.crs is not None and not is_cgcs2000(cleaned.crs):
            message = text("validate.not_cgcs2000")
            problems.append(Finding(name, None, None, str(cleaned.crs.to_string()), message))
    layers, found = resolve_references(layers)
    problems.extend(found)
    problems.extend(relation_problems(layers, settings=settings))
    fixed = replace(ws, **layers) if layers else ws
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    log.info("validated workspace: %d error(s), %d warning(s)", errors, warnings)
    return fixed, problems


def validate_workspace(
    ws: Workspace,
    *,
    settings: Settings | None = None,
    fix: bool = False,
    context: str = "workspace",
) -> tuple[Workspace, list[Problem]]:
    """Check a workspace as :func:`clean_workspace` does, and raise if anything is an error.

    Parameters
    ----------
    ws : Workspace
        The workspace to check; not modified.
    settings : Settings, optional
        Supplies ``outside_tolerance_m``; defaults to :class:`Settings()`.
    fix : bool, default False
        Repair invalid geometries (reported as warnings) instead of reporting errors.
    context : str, default "workspace"
        What the error names as checked (a file name, a database).

    Returns
    -------
    (Workspace, list of Problem)
        The cleaned (and, with ``fix``, repaired) workspace, and the warnings and notes.

    Raises
    ------
    ValidationError
        Listing every problem, errors and warnings (and the notes saying what was
        derived), when any is an error.
    """
    fixed, problems = clean_workspace(ws, settings=settings, fix=fix)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems, context=context)
    return fixed, problems


def relation_problems(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    settings: Settings | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Check how layers fit together: nesting codes, references, and spatial relations.

    Only relations between layers present in ``layers`` are checked, so a layer that could
    not be read does not flood the report with "unknown code" errors in the others.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Cleaned layers (as returned by :func:`clean_layer`) keyed by layer name.
    settings : Settings, optional
        Supplies ``outside_tolerance_m``; defaults to :class:`Settings()`.
    labels : mapping of str to str, optional
        Name to report a layer's problems under (its source file), by layer name.

    Returns
    -------
    list of Problem
    """
    settings = settings or Settings()
    present = dict(layers)
    problems: list[Problem] = []
    county = present.get("county")
    if county is not None and len(county) == 0:
        problems.append(Finding("county", None, None, None, text("validate.county_empty")))
    elif county is not None and len(county) > 1:
        message = text("validate.county_many")
        problems.append(Finding("county", None, None, len(county), message, "warning"))
    problems.extend(reference_problems(present))
    problems.extend(spatial_problems(present, settings))
    if labels:
        problems = [replace(p, layer=labels.get(p.layer, p.layer)) for p in problems]
    return problems
