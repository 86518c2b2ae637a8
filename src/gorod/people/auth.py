"""API authentication by bearer token."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from gorod.people.models import ApiToken, User
from gorod.rows import Columns, fetch_one

# How stale a token's ``last_used_at`` may get: it tells the owner roughly when the token
# was last used, so it is written at most once a minute, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


_TOKEN = Columns(ApiToken, "t", ["last_used_at"])
_USER = Columns(User, "u")
# Every API request by token runs this, so it is written out once rather than compiled
# by the ORM each time (that took a fifth of a booking's CPU).
_TOKEN_SQL = (
    f"SELECT {_TOKEN.sql()}, {_USER.sql()} FROM people_apitoken t"  # noqa: S608 - our columns
    " JOIN people_user u ON u.id = t.user_id"
    " WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active"
)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        row = fetch_one(_TOKEN_SQL, [ApiToken.hash_key(token)])
        if row is None:
            return None
        token_row, user = _TOKEN.build(row), _USER.build(row, len(_TOKEN))
        now = timezone.now()
        last_used = token_row.last_used_at
        if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
            # Conditional, so parallel requests of one token write it once.
            adapt = connection.ops.adapt_datetimefield_value
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE people_apitoken SET last_used_at = %s WHERE id = %s"
                    " AND (last_used_at IS NULL OR last_used_at <= %s)",
                    [adapt(now), token_row.pk, adapt(now - LAST_USED_RESOLUTION)],
                )
        request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """The signed-in session of our own pages, with Django's CSRF check. A request without
    a session cookie is not a session's (a script with a wrong token, say): it carries no
    ambient credentials to forge, so it is not checked for CSRF and goes on to a 401
    rather than a 403 about a CSRF cookie."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        key: str | None = super()._get_key(request)
        return key


def request_user(request: HttpRequest) -> User:
    """The account that authenticated an API request, by session, token or password."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError
    return user
