"""Django's PostgreSQL backend, checking a kept connection only when it may have gone stale.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every
request that reuses a connection, so that a connection the server dropped (a restart, a
failover, an idle timeout) is replaced instead of failing the request. On a busy server
that is one round trip in three of a booking. Here a connection that served a request
without a database error less than ``FRESH_SECONDS`` ago is taken as alive: the check is
kept for connections that sat idle, which is where they go stale. What is given up: a
server restart within that second still fails the next request on each such connection
(Django then replaces it), as it fails the requests in flight anyway.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.signals import request_finished
from django.db import connections
from django.db.backends.postgresql import base

FRESH_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    answered_at: float | None = None
    health_check_done: bool  # Django's own (django-stubs leave it out)

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and not self.health_check_done
            and self.answered_at is not None
            and time.monotonic() - self.answered_at < FRESH_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close(self) -> None:
        self.answered_at = None
        super().close()


def _note_answered(**_kwargs: Any) -> None:
    """At the end of a request: each of our connections that it used (it was checked, or
    spared a check) and that raised no database error has just answered."""
    for connection in connections.all(initialized_only=True):
        if (
            isinstance(connection, DatabaseWrapper)
            and connection.connection is not None
            and connection.health_check_done
            and not connection.errors_occurred
        ):
            connection.answered_at = time.monotonic()


request_finished.connect(_note_answered, dispatch_uid="gorod.db.note_answered")
