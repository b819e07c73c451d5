"""Messages of the resident's pages opened from a QR code (``public.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]

MESSAGES: dict[str, dict[str, str]] = {}
