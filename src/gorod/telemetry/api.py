"""``/api/v1/telemetry/``."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["telemetry"])
