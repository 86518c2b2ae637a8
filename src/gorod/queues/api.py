"""``/api/v1/queues/``."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["queues"])
