"""Messages of notices: dispatch, reminders, escalation alerts, updates to residents, hand-offs (``notify.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


MESSAGES: dict[str, dict[str, str]] = {}
