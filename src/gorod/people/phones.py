"""Russian phone numbers in one canonical form, +7XXXXXXXXXX."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s\-()]")


def normalize_phone(raw: str) -> str | None:
    """'8 (916) 123-45-67' -> '+79161234567'; None when it is not a Russian number."""
    text = _NON_DIGITS.sub("", raw.strip())
    if text.startswith("+"):
        text = text[1:]
    if not text.isdigit():
        return None
    if len(text) == 11 and text[0] in "78":
        return "+7" + text[1:]
    if len(text) == 10 and text[0] == "9":
        return "+7" + text
    return None
