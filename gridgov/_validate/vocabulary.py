"""Values by meaning: the words planners write for a deputy level or a station tier, and
the nearest word when they wrote something else.

The synonyms themselves live with the enums in :mod:`gridgov.model` (``镇人大代表`` and
``乡镇级`` are township deputies, ``工作室`` a studio); here they are normalised once
(NFKC, lower case, no brackets or spaces, so ``乡（镇）人大代表`` is ``乡镇人大代表``) and
looked up, and :mod:`difflib` proposes the closest accepted word for one that matches
nothing. Also the :class:`~gridgov.messages.Term` of a column, a layer and a code level,
which messages use to name them in the reader's language.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import pandas as pd

from gridgov.messages import Term
from gridgov.model import LAYERS, _Labelled

__all__ = [
    "accepted_term",
    "closest",
    "field_term",
    "layer_term",
    "level_term",
    "match_value",
    "norm_value",
    "share_matching",
    "suggest_value",
]

_DROP = re.compile(r"[\s()\[\]{}<>《》“”\"'‘’「」【】\-_/\\·.,，、:：;；]+")


def norm_value(value: object) -> str:
    """A cell for matching: NFKC, lower case, no spaces, brackets or separators."""
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    return _DROP.sub("", text)


@functools.cache
def _lookup(enum: type[_Labelled]) -> dict[str, _Labelled]:
    out: dict[str, _Labelled] = {}
    for member in enum:
        for word in (member.value, member.name, member.label_zh, *member.aliases_zh):
            out.setdefault(norm_value(word), member)
    out.pop("", None)
    return out


@functools.cache
def _suffixes(enum: type[_Labelled]) -> tuple[tuple[str, _Labelled], ...]:
    # Longest first, so that 代表联络站 wins over 联络站 and 联络站 over 站.
    words = [(k, m) for k, m in _lookup(enum).items() if len(k) >= 2 and not k.isascii()]
    return tuple(sorted(words, key=lambda item: -len(item[0])))


def match_value(enum: type[_Labelled], value: object) -> _Labelled | None:
    """The member ``value`` stands for, or None.

    Matches the English value, the Chinese label and every synonym of the model after
    normalisation (:func:`norm_value`), then a Chinese word ending in one of them:
    ``城关镇人大代表联络站`` is a station, ``产业链联络站`` too.

    Examples
    --------
    >>> from gridgov.model import DeputyLevel
    >>> match_value(DeputyLevel, "乡（镇）人大代表")
    <DeputyLevel.TOWNSHIP: 'township'>
    """
    key = norm_value(value)
    if not key:
        return None
    found = _lookup(enum).get(key)
    if found is not None:
        return found
    if key.isascii():
        return None
    for word, member in _suffixes(enum):
        if key.endswith(word):
            return member
    return None


def suggest_value(enum: type[_Labelled], value: object) -> _Labelled | None:
    """The member whose words are closest to ``value`` (:mod:`difflib`), or None."""
    key = norm_value(value)
    if not key:
        return None
    lookup = _lookup(enum)
    best = difflib.get_close_matches(key, list(lookup), n=1, cutoff=0.5)
    return lookup[best[0]] if best else None


def share_matching(enum: type[_Labelled], values: pd.Series) -> float:
    """Share of the filled cells of ``values`` that are words of ``enum`` (0 when none)."""
    filled = [v for v in values.dropna().unique() if str(v).strip()]
    if not filled:
        return 0.0
    counts = values.dropna().value_counts()
    total = int(counts.sum())
    hits = sum(int(counts[v]) for v in filled if match_value(enum, v) is not None)
    return hits / total if total else 0.0


def closest(value: object, candidates: Iterable[str], *, n: int = 1) -> list[str]:
    """The ``n`` candidates closest to ``value`` (:mod:`difflib`, normalised), best first."""
    by_key: dict[str, str] = {}
    for candidate in candidates:
        by_key.setdefault(norm_value(candidate), candidate)
    by_key.pop("", None)
    keys = difflib.get_close_matches(norm_value(value), list(by_key), n=n, cutoff=0.6)
    return [by_key[k] for k in keys]


# --- terms: names in the reader's language --------------------------------------------------


@functools.cache
def field_term(layer: str, name: str) -> Term:
    """A column of ``layer``: its Chinese label, or its name in English (long: both).

    ``layer`` may be a file's name: the label is then that of the first layer with such a
    column."""
    schemas = [LAYERS[layer]] if layer in LAYERS else list(LAYERS.values())
    label = next((s.column(name).label_zh for s in schemas if name in s.names), name)
    return Term(label, name, en_long=f"{name} ({label})" if label != name else name)


@functools.cache
def layer_term(layer: str) -> Term:
    """A layer: ``村（社区）`` or ``villages`` (long: ``“村（社区）”（villages）``)."""
    schema = LAYERS.get(layer)
    label = schema.label_zh if schema is not None else layer
    return Term(label, layer, zh_long=f"“{label}”（{layer}）")


_LEVELS = {
    "county": ("县级", "county"),
    "township": ("乡镇级", "township"),
    "village": ("村级", "village"),
}


def level_term(level: str) -> Term:
    """A division level as said in a code message (``乡镇级`` / ``township``)."""
    zh, en = _LEVELS.get(level, (level, level))
    return Term(zh, en)


def accepted_term(enum: type[_Labelled]) -> Term:
    """The values ``enum`` accepts: ``村、社区`` / ``village/村, community/社区``."""
    members: Sequence[_Labelled] = list(enum)
    return Term(
        "、".join(m.label_zh for m in members),
        ", ".join(f"{m.value}/{m.label_zh}" for m in members),
    )
