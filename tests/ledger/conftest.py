"""Every ledger test signs with its own throw-away key, never one under var/."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def ledger_key(settings: Any) -> bytes:
    raw = secrets.token_bytes(32)
    settings.LEDGER_KEY = base64.b64encode(raw).decode()
    return raw
