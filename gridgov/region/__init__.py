"""A city, a province or the nation in one command: many counties run on Dask.

The reports gridgov serves are a county's, but the offices that read them are often a
level up (a city planning its counties' stations, a province comparing its counties).
This package makes a region a first-class input: :func:`open_region` indexes a folder of
county workspaces or of the parts ``gridgov synth`` writes, or a PostGIS database
holding one county per schema; :func:`run_region` runs
coverage or consolidation on every county as a task on ``dask.distributed`` (a
LocalCluster, or a scheduler already running), one county per worker at a time
(:func:`run_region_pair` both, one task per county); and
:func:`write_region` gathers the counties' headline figures into the region's workbook
and JSON summary. A failed county is listed with its reason and the others go on.

By concern: ``_source`` (what a region holds, reading one county), ``_tasks`` (one
county's work, on a worker), ``_run`` (the Dask run), ``_targets`` (consolidation targets
per county), ``_report`` (the region's outputs). Dask is the ``region`` extra, imported
only when a run starts.
"""

from __future__ import annotations

from gridgov.region._report import region_rows, region_totals, write_region
from gridgov.region._run import TASKS, RegionRun, run_region, run_region_pair
from gridgov.region._source import (
    CountySource,
    Region,
    county_outlines,
    open_region,
    read_county,
)
from gridgov.region._targets import read_targets
from gridgov.region._tasks import (
    ConsolidationOptions,
    CountyHook,
    CountyOutcome,
    CoverageOptions,
    county_folder,
    county_target,
    run_county,
    run_county_pair,
)

__all__ = [
    "TASKS",
    "ConsolidationOptions",
    "CountyHook",
    "CountyOutcome",
    "CountySource",
    "CoverageOptions",
    "Region",
    "RegionRun",
    "county_folder",
    "county_outlines",
    "county_target",
    "open_region",
    "read_county",
    "read_targets",
    "region_rows",
    "region_totals",
    "run_county",
    "run_county_pair",
    "run_region",
    "run_region_pair",
    "write_region",
]
