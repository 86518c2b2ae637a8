"""API authentication by bearer token."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from gorod.people.models import ApiToken, User

# How stale a token's ``last_used_at`` may get: it tells the owner roughly when the token
# was last used, so it is written at most once a minute, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(
                key_hash=ApiToken.hash_key(token), revoked_at__isnull=True, user__is_active=True
            )
            .order_by()[:1]
        )
        token_row = next(iter(found), None)
        if token_row is None:
            return None
        now = timezone.now()
        last_used = token_row.last_used_at
        if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
            # Conditional, so parallel requests of one token write it once.
            ApiToken.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION),
                pk=token_row.pk,
            ).update(last_used_at=now)
        request.user = token_row.user
        return token_row.user


def request_user(request: HttpRequest) -> User:
    """The account that authenticated an API request, by session, token or password."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError
    return user
