"""What gridgov says to people, in Chinese by default and in English on request.

Every message of the loading and validation path is one entry of :data:`CATALOGUE`: a key
such as ``"validate.not_number"`` mapped to ``{"zh": ..., "en": ...}``, two
:meth:`str.format` templates with the same named placeholders. :func:`text` renders one in
the current language: the one set by :func:`use_lang` (the CLI's ``--lang``), else the
``GRIDGOV_LANG`` environment variable, else Chinese, the language of the county offices
gridgov serves.

Values that read differently in each language (a column is ``户数`` to a planner and
``households`` to a script) are passed as a :class:`Term`; :class:`Items` lists values
with the separator of the language and a cut-off (``S1、S2、S3 等 12 个``). Both render
when the message does, in the message's language.

To add a message: add a key to :mod:`gridgov.messages.catalogue` with both templates
(``tests/test_messages.py`` checks they name the same placeholders) and call
``text("area.what", value=...)`` where it is said.

Examples
--------
>>> text("validate.not_number", "en", column=Term("人口", "population"))
'population is not a number'
>>> with use_lang("zh"):
...     text("validate.not_number", column=Term("人口", "population"))
'人口不是数字'
"""

from __future__ import annotations

import logging
import os
import string
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType

from gridgov.messages import board, field, notify, pages, planner, public, region, reports
from gridgov.messages.catalogue import MESSAGES

__all__ = [
    "CATALOGUE",
    "DEFAULT_LANG",
    "ENV_VAR",
    "LANGS",
    "Items",
    "Term",
    "current_lang",
    "normalise_lang",
    "placeholders",
    "text",
    "use_lang",
]

log = logging.getLogger(__name__)

#: Languages every message exists in.
LANGS: tuple[str, ...] = ("zh", "en")
#: The language when nothing else is chosen.
DEFAULT_LANG = "zh"
#: Environment variable choosing the language (``zh`` or ``en``).
ENV_VAR = "GRIDGOV_LANG"


def _merged(*parts: Mapping[str, Mapping[str, str]]) -> dict[str, Mapping[str, str]]:
    # The catalogue is kept in several modules (the loader's, the staff screens', the
    # public pages'); a key said twice would silently win in one of them, so it is a bug.
    merged: dict[str, Mapping[str, str]] = {}
    for part in parts:
        for key, entry in part.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} is defined twice in the catalogue")
            merged[key] = MappingProxyType(dict(entry))
    return merged


#: Message key -> {"zh": template, "en": template}; read-only.
CATALOGUE: Mapping[str, Mapping[str, str]] = MappingProxyType(
    _merged(
        MESSAGES,
        pages.MESSAGES,
        public.MESSAGES,
        field.MESSAGES,
        board.MESSAGES,
        planner.MESSAGES,
        notify.MESSAGES,
        reports.MESSAGES,
        region.MESSAGES,
    )
)

_LANG: ContextVar[str | None] = ContextVar("gridgov_lang", default=None)
_ALIASES = {
    "zh": "zh",
    "cn": "zh",
    "chinese": "zh",
    "中文": "zh",
    "en": "en",
    "english": "en",
    "英文": "en",
}


def normalise_lang(value: str) -> str | None:
    """``"zh"`` or ``"en"`` for a language name (``zh_CN.UTF-8``, ``en-US``, ``中文``), else None."""
    text_ = value.strip().lower()
    if text_ in _ALIASES:
        return _ALIASES[text_]
    head = text_.replace("-", "_").split("_")[0].split(".")[0]
    return _ALIASES.get(head)


def current_lang() -> str:
    """The language messages are rendered in now: :func:`use_lang`, ``GRIDGOV_LANG``, or zh."""
    chosen = _LANG.get()
    if chosen is not None:
        return chosen
    env = os.environ.get(ENV_VAR, "")
    if env:
        lang = normalise_lang(env)
        if lang is not None:
            return lang
        log.warning("%s=%r is not zh or en; using %s", ENV_VAR, env, DEFAULT_LANG)
    return DEFAULT_LANG


@contextmanager
def use_lang(lang: str | None) -> Iterator[str]:
    """Render messages in ``lang`` inside the block (None: keep the current choice).

    Raises
    ------
    ValueError
        If ``lang`` is not a language of the catalogue (a bug of the caller: the CLI
        offers only ``zh`` and ``en``).
    """
    if lang is None:
        yield current_lang()
        return
    chosen = normalise_lang(lang)
    if chosen is None:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGS)}")
    token = _LANG.set(chosen)
    try:
        yield chosen
    finally:
        _LANG.reset(token)


def text(key: str, lang: str | None = None, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (default: :func:`current_lang`), filled with ``values``.

    Parameters
    ----------
    key : str
        A key of :data:`CATALOGUE`.
    lang : str, optional
        ``"zh"`` or ``"en"``; :class:`Term` and :class:`Items` values follow it.
    **values
        The template's placeholders.

    Raises
    ------
    KeyError
        If ``key`` is not in the catalogue or a placeholder is not given (bugs).
    """
    with use_lang(lang) as chosen:
        return CATALOGUE[key][chosen].format(**values)


def placeholders(template: str) -> set[str]:
    """The names of the placeholders of ``template`` (``"{count} 行"`` -> ``{"count"}``)."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(name.split(".")[0].split("[")[0])
    return names


@dataclass(frozen=True)
class Term:
    """A word that differs by language: a column, a layer, a code level.

    ``{column}`` in a template renders the short form, ``{column:long}`` the long one
    (English: ``households (户数)``, so a script's name and the planner's label both show).
    """

    zh: str
    en: str
    zh_long: str | None = None
    en_long: str | None = None

    def __format__(self, spec: str) -> str:
        if current_lang() == "zh":
            return self.zh_long or self.zh if spec == "long" else self.zh
        return self.en_long or self.en if spec == "long" else self.en

    def __str__(self) -> str:
        return format(self, "")


class Items:
    """Values listed with the language's separator, the first ``limit`` of them only.

    >>> with use_lang("zh"):
    ...     format(Items(["S1", "S2", "S3"], limit=2))
    'S1、S2 等 3 个'
    """

    def __init__(self, values: Iterable[object], *, limit: int = 5) -> None:
        self.values = list(values)
        self.limit = limit

    def __format__(self, spec: str) -> str:
        zh = current_lang() == "zh"
        shown = [format(v) for v in self.values[: self.limit]]
        joined = ("、" if zh else ", ").join(shown)
        rest = len(self.values) - len(shown)
        if rest <= 0:
            return joined
        return f"{joined} 等 {len(self.values)} 个" if zh else f"{joined} and {rest} more"

    def __str__(self) -> str:
        return format(self, "")

    def __len__(self) -> int:
        return len(self.values)
