"""Notes: what gridgov decided when it read a file, said so the user can check it.

Reading a planner's file takes guesses: the text encoding of a DBF without ``.cpg``, the
coordinate system of a table's longitude/latitude columns, the header row under a title,
the total rows at the bottom. A guess the user cannot see is a guess the user cannot
correct, so each one becomes a :class:`Note`, one Chinese line naming the file, what was
decided and on what grounds (``villages.shp: 编码 GBK（自动识别：无 .cpg 文件）``). The
readers return them as data; the command line prints them, with the syntax to override.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BASES", "TOPICS", "Note"]

#: What a note is about.
TOPICS = ("encoding", "crs", "sheet", "header", "rows")
#: On what grounds it was decided: sniffed from the content, declared by the file, fixed
#: by the format's specification, given by the user, or a default.
BASES = ("detected", "declared", "spec", "given", "default")


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
    text : str
        The decision in Chinese (``"编码 GBK"``).
    why : str
        Its grounds in Chinese (``"自动识别：无 .cpg 文件"``).
    """

    file: str
    topic: str
    value: str
    basis: str
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}: {self.text}（{self.why}）"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict, with the line as people read it under ``"line"``."""
        return {
            "file": self.file,
            "topic": self.topic,
            "value": self.value,
            "basis": self.basis,
            "line": str(self),
        }
