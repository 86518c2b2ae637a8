"""``/api/v1/scheduling/``."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["scheduling"])
