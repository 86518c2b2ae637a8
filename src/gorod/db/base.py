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

    def close_if_unusable_or_obsolete(self) -> None:
        """Django's check between requests (its ``close_old_connections``, on
        ``request_started`` and ``request_finished``), which clears ``health_check_done``.
        A connection that the request used (it was checked, or spared a check) without a
        database error has just answered: noted here, before Django clears the mark."""
        answered = self.connection is not None and (
            self.health_check_done and not self.errors_occurred
        )
        super().close_if_unusable_or_obsolete()
        if answered and self.connection is not None:
            self.answered_at = time.monotonic()

    def close(self) -> None:
        self.answered_at = None
        super().close()
