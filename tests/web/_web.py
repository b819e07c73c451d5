"""What the screen tests share besides fixtures: the served world and screenshots."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where screenshots are saved (a CI artifact folder).
ARTIFACTS = Path(os.environ.get("GRIDGOV_ARTIFACTS", "tests-artifacts"))


@dataclass
class Served:
    """A :class:`World` whose app also listens at ``base`` (http://127.0.0.1:PORT)."""

    world: Any  # World
    base: str

    def url(self, path: str) -> str:
        return self.base + path


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
