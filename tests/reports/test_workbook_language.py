"""A workbook written in English says yes/no and formats English headers as Chinese ones.

The workbook writer picks each column's number format from its header (``…比例`` → 0.0%,
``…（分钟）`` → minutes) and wrote booleans as 是/否 whatever the language, so a
``--lang en`` report had Chinese in its cells and rates shown as 0.92. The same table in
either language must read the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd

from gridgov.io._workbook import COORD, COUNT, MINUTES, PERCENT, ReportInfo, write_report
from gridgov.messages import use_lang

_CJK = re.compile(r"[\u3400-\u9fff]")

_TABLES = {
    "zh": pd.DataFrame(
        {
            "村（社区）": ["Dongshan", "Xishan"],
            "人口": [1200, 3400],
            "用时（分钟）": [4.25, 17.5],
            "人口达标率": [0.92, 0.4],
            "经度": [112.5412345, 112.6],
            "是否达标": [True, False],
        }
    ),
    "en": pd.DataFrame(
        {
            "Village": ["Dongshan", "Xishan"],
            "Population": [1200, 3400],
            "Travel (min)": [4.25, 17.5],
            "Share of population within reach": [0.92, 0.4],
            "Longitude": [112.5412345, 112.6],
            "Within reach": [True, False],
        }
    ),
}


def _written(lang: str, tmp_path: Path) -> list[list[openpyxl.cell.Cell]]:
    with use_lang(lang):
        path = write_report(
            {"Sheet": _TABLES[lang]},
            tmp_path / f"{lang}.xlsx",
            info=ReportInfo(title="Huarong", facts=[("County", "Huarong")]),
        )
    sheet = openpyxl.load_workbook(path)["Sheet"]
    rows = [list(r) for r in sheet.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0].value == _TABLES[lang].columns[0])
    return rows[header + 1 : header + 3]


def test_english_and_chinese_columns_get_the_same_formats(tmp_path: Path) -> None:
    zh, en = _written("zh", tmp_path), _written("en", tmp_path)
    formats = [c.number_format for c in zh[0]]
    assert formats[1:5] == [COUNT, MINUTES, PERCENT, COORD]
    assert [c.number_format for c in en[0]] == formats


def test_english_booleans_are_yes_no_with_no_chinese(tmp_path: Path) -> None:
    zh, en = _written("zh", tmp_path), _written("en", tmp_path)
    assert [r[-1].value for r in zh] == ["是", "否"]
    assert [r[-1].value for r in en] == ["yes", "no"]
    assert not [c.value for r in en for c in r if _CJK.search(str(c.value))]
