"""What every page needs: the languages, and who the visitor is."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gorod.portal.notifications import unread_count


def gorod(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "is_official": signed_in and hasattr(user, "official"),
        # One indexed count per page; pages rendered without a signed-in user skip it.
        "unread_notifications": unread_count(user) if signed_in else 0,  # type: ignore[arg-type]
    }
