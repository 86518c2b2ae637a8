"""API authentication by bearer token."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from gorod.people.models import ApiToken, User


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(
                key_hash=ApiToken.hash_key(token), revoked_at__isnull=True, user__is_active=True
            )
            .first()
        )
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


def request_user(request: HttpRequest) -> User:
    """The account that authenticated an API request, by session, token or password."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError
    return user
