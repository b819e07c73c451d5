"""gridgov: deputy liaison station coverage, consolidation and issue handling for counties.

The core library. Data flows one way: files -> :mod:`gridgov.io` -> GeoDataFrames ->
:mod:`gridgov.routing` cost tables -> :mod:`gridgov.coverage` results -> maps, API, CLI.
"""

from gridgov._errors import (
    CRSError,
    GridgovError,
    InfeasibleError,
    NotFoundError,
    Problem,
    ValidationError,
)
from gridgov.model import DeputyLevel, StationKind, StationTier, VillageKind, Workspace
from gridgov.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "CRSError",
    "DeputyLevel",
    "GridgovError",
    "InfeasibleError",
    "NotFoundError",
    "Problem",
    "Settings",
    "StationKind",
    "StationTier",
    "ValidationError",
    "VillageKind",
    "Workspace",
    "__version__",
    "load_settings",
]
