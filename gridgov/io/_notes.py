"""Notes: what gridgov decided when it read a file, said so the user can check it.

Reading a planner's file takes guesses: the text encoding of a DBF without ``.cpg``, the
coordinate system of a table's longitude/latitude columns, the header row under a title,
the total rows at the bottom. A guess the user cannot see is a guess the user cannot
correct, so each one becomes a :class:`Note`: the file, what was decided and on what
grounds (``villages.shp: 编码 GBK（自动识别：无 .cpg 文件；不对请写 villages.shp@utf-8）``).
The decision and its grounds are kept as message-catalogue entries (:class:`Said`), not as
text, so a note reads in the language it is shown in (Chinese, or English with
``--lang en``). The readers return notes as data; the command line prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridgov import messages

__all__ = ["BASES", "TOPICS", "Note", "Said"]

#: What a note is about.
TOPICS = ("encoding", "crs", "sheet", "header", "rows", "roads")
#: On what grounds it was decided: sniffed from the content, declared by the file, fixed
#: by the format's specification, given by the user, or a default.
BASES = ("detected", "declared", "spec", "given", "default")


@dataclass(frozen=True)
class Said:
    """A message of the catalogue with its values, rendered when it is shown.

    Values may themselves be :class:`Said` (grounds inside a sentence), a
    :class:`~gridgov.messages.Term`, or a tuple of those, listed with the language's
    separator (``，`` or ``,``).

    Examples
    --------
    >>> str(Said.of("note.encoding", encoding="GBK"))
    '编码 GBK'
    >>> format(Said.of("note.encoding", encoding="GBK"), "en")
    'encoding GBK'
    """

    key: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, key: str, /, **values: Any) -> Said:
        """The message ``key`` of the catalogue with ``values`` for its placeholders."""
        return cls(key, tuple(values.items()))

    def __format__(self, spec: str) -> str:
        with messages.use_lang(spec or None):
            sep = messages.text("note.list_sep")
            values = {
                k: sep.join(format(item) for item in v) if isinstance(v, tuple) else v
                for k, v in self.values
            }
            return messages.text(self.key, **values)

    def __str__(self) -> str:
        return format(self, "")


@dataclass(frozen=True)
class Note:
    """One decision about how a file was read.

    Attributes
    ----------
    file : str
        The file's name (``"villages.shp"``).
    topic : str
        One of :data:`TOPICS`.
    value : str
        What was decided, for scripts: ``"GBK"``, ``"EPSG:4547"``, ``"gcj02"``, ``"2"``.
    basis : str
        One of :data:`BASES`.
    what : Said
        The decision (``编码 GBK`` / ``encoding GBK``).
    grounds : Said
        Its grounds (``自动识别：无 .cpg 文件`` / ``detected: no .cpg file``).
    """

    file: str
    topic: str
    value: str
    basis: str
    what: Said
    grounds: Said

    @property
    def text(self) -> str:
        """The decision in the current language."""
        return str(self.what)

    @property
    def why(self) -> str:
        """Its grounds in the current language."""
        return str(self.grounds)

    def __str__(self) -> str:
        return messages.text("note.line", file=self.file, text=self.what, why=self.grounds)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict, with the line as people read it under ``"line"``."""
        return {
            "file": self.file,
            "topic": self.topic,
            "value": self.value,
            "basis": self.basis,
            "line": str(self),
        }
