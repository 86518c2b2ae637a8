"""``/api/v1/education/``."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["education"])
