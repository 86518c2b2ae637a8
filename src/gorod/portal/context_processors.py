"""What every page needs: the languages, and who the visitor is."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def gorod(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "is_official": bool(user and user.is_authenticated and hasattr(user, "official")),
    }
