"""The core never pulls in the shells (api, maps) or their frameworks."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import gridgov


def _core_modules() -> list[str]:
    names = ["gridgov"]
    for info in pkgutil.walk_packages(gridgov.__path__, "gridgov."):
        if info.name != "gridgov.cli":  # the CLI may import shells lazily inside a subcommand
            names.append(info.name)
    return names


def test_core_modules_do_not_import_shells() -> None:
    modules = _core_modules()
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in "
        "{'api', 'maps', 'fastapi', 'folium', 'uvicorn'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported shells: {out.stdout}"
    assert "gridgov.crs" in modules and "gridgov.model" in modules
