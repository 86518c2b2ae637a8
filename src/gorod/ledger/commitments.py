"""Commitments: what the public log holds instead of an act (pure, no Django).

An act is described by a *statement* (a JSON object). The log holds only
``SHA-256(0x00 || HMAC-SHA256(key, canonical_json(statement)))``: with a random 32-byte
key nobody can guess the statement from the log, and whoever holds the key and the
statement (the city's auditors, or a citizen with their receipt) can show that exactly
this act was logged at its index.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

MIN_KEY_SIZE = 16


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces; raises ValueError for what JSON cannot hold."""
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    return text.encode("utf-8")


def commitment(statement: Mapping[str, Any], key: bytes) -> bytes:
    """The 32 bytes that are logged for ``statement`` under ``key``."""
    if len(key) < MIN_KEY_SIZE:
        raise ValueError(f"a commitment key has at least {MIN_KEY_SIZE} bytes")
    return hmac.new(key, canonical_json(statement), hashlib.sha256).digest()
