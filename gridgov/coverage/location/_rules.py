"""The rules a location model is solved under, one frozen class per model.

A rules object is checked when it is made, so a bad ``p``, radius or gap is reported at
the line that wrote it, and it holds only immutable copies (tuples, read-only mappings) of
the site masks and group bounds it was given, so one object can be reused for many solves
and compared with another. What needs the instance (a mask's length, a group label that no
site has) is checked when the model is solved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from gridgov._errors import ParameterError
from gridgov.coverage.location._common import DEFAULT_MIP_GAP

__all__ = ["LSCPRules", "MCLPRules", "PCenterRules", "PMedianRules", "Rules"]

Uncoverable = Literal["raise", "skip"]


def _count(value: Any, name: str, *, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ParameterError(
            f"{name} must be a whole number >= {least}, got {value!r}", parameter=name, value=value
        )
    return int(value)


def _amount(value: Any, name: str, *, allow_inf: bool) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number >= 0 or (math.isinf(number) and not allow_inf):
        raise ParameterError(
            f"{name} must be a non-negative number, got {value!r}", parameter=name, value=value
        )
    return number


def _frozen(value: ArrayLike | None) -> tuple[Any, ...] | None:
    return None if value is None else tuple(np.asarray(value).ravel().tolist())


def _bounds(value: Mapping[Any, int] | None, name: str) -> Mapping[Any, int] | None:
    if value is None:
        return None
    return MappingProxyType(
        {label: _count(v, f"{name}[{label!r}]", least=0) for label, v in value.items()}
    )


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The site rules and solver limits every location model takes.

    Parameters
    ----------
    keep, close : array-like of bool or int, optional
        Sites that must stay open / must close: a mask over the sites or their positions.
    groups : array-like, optional
        A label per site (e.g. its township code), for ``group_min`` and ``group_max``.
    group_min, group_max : mapping, optional
        Fewest / most open sites per group label.
    time_limit_s : float, optional
        Stop after this long with the best plan and its proven gap (default: no limit).
    mip_gap : float
        Relative gap at which a plan counts as proven optimal; 0 asks for an exact proof
        (with integer costs and weights: the bound equals the objective).
    seed : int
        Seed of HiGHS's random choices (results are deterministic for a given seed).

    Raises
    ------
    ParameterError
        A negative or non-numeric limit, gap or group bound.
    """

    keep: ArrayLike | None = None
    close: ArrayLike | None = None
    groups: ArrayLike | None = None
    group_min: Mapping[Any, int] | None = None
    group_max: Mapping[Any, int] | None = None
    time_limit_s: float | None = None
    mip_gap: float = DEFAULT_MIP_GAP
    seed: int = 0

    def __post_init__(self) -> None:
        fix = object.__setattr__  # frozen: the checked, immutable copies replace the inputs
        fix(self, "keep", _frozen(self.keep))
        fix(self, "close", _frozen(self.close))
        fix(self, "groups", _frozen(self.groups))
        fix(self, "group_min", _bounds(self.group_min, "group_min"))
        fix(self, "group_max", _bounds(self.group_max, "group_max"))
        if self.time_limit_s is not None:
            fix(self, "time_limit_s", _amount(self.time_limit_s, "time_limit_s", allow_inf=True))
        fix(self, "mip_gap", _amount(self.mip_gap, "mip_gap", allow_inf=False))
        fix(self, "seed", _count(self.seed, "seed", least=0))


@dataclass(frozen=True, kw_only=True)
class PMedianRules(Rules):
    """Rules of :func:`~gridgov.coverage.location.p_median`: its own below, and every field of
    :class:`Rules` (site rules, time limit, gap, seed).

    Parameters
    ----------
    p : int
        Number of sites to open (at least 1).
    radius : float, optional
        When given, every demand point must be within this cost of an open site (the
        p-median under full coverage); in the cost matrix's units.
    uncoverable : {"raise", "skip"}
        With ``radius``: demand points that no allowed site reaches within it raise
        :class:`~gridgov._errors.InfeasibleError` naming them, or are left out of the
        coverage rule (their travel still counts).
    """

    p: int
    radius: float | None = None
    uncoverable: Uncoverable = "raise"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "p", _count(self.p, "p", least=1))
        if self.radius is not None:
            object.__setattr__(self, "radius", _amount(self.radius, "radius", allow_inf=True))
        _check_uncoverable(self.uncoverable)


@dataclass(frozen=True, kw_only=True)
class MCLPRules(Rules):
    """Rules of :func:`~gridgov.coverage.location.mclp`: its own below, and every field of
    :class:`Rules` (site rules, time limit, gap, seed).

    Parameters
    ----------
    p : int
        Number of sites to open (at least 1).
    radius : float
        A demand point is covered within this cost of an open site.
    """

    p: int
    radius: float

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "p", _count(self.p, "p", least=1))
        object.__setattr__(self, "radius", _amount(self.radius, "radius", allow_inf=True))


@dataclass(frozen=True, kw_only=True)
class LSCPRules(Rules):
    """Rules of :func:`~gridgov.coverage.location.lscp`: its own below, and every field of
    :class:`Rules` (site rules, time limit, gap, seed).

    Parameters
    ----------
    radius : float
        Every demand point must be within this cost of an open site.
    uncoverable : {"raise", "skip"}
        Demand points that no allowed site reaches within ``radius``: raise
        :class:`~gridgov._errors.InfeasibleError` naming them, or leave them out.
    """

    radius: float
    uncoverable: Uncoverable = "raise"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "radius", _amount(self.radius, "radius", allow_inf=True))
        _check_uncoverable(self.uncoverable)


@dataclass(frozen=True, kw_only=True)
class PCenterRules(Rules):
    """Rules of :func:`~gridgov.coverage.location.p_center`: its own below, and every field of
    :class:`Rules` (site rules, time limit, gap, seed).

    Parameters
    ----------
    p : int
        Number of sites to open (at least 1).
    """

    p: int

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "p", _count(self.p, "p", least=1))


def _check_uncoverable(value: object) -> None:
    if value not in ("raise", "skip"):
        raise ParameterError(
            f"uncoverable must be 'raise' or 'skip', got {value!r}",
            parameter="uncoverable",
            value=value,
        )
