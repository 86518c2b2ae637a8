"""The database connection as configured. On PostgreSQL, queries a connection runs often
are prepared, so the server plans them once per connection rather than on every request;
and a kept connection is health-checked before a request only when it has been idle."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections

from gorod.db.base import FRESH_SECONDS, DatabaseWrapper
from gorod.scheduling import selectors
from gorod.scheduling.models import Service
from tests.scheduling.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_query_run_more_than_five_times_on_a_connection_is_prepared_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    service = ServiceFactory.create()
    for _ in range(6):
        assert selectors.service_get(service_id=service.pk) == service  # hand-written SQL
        assert Service.objects.filter(code=service.code).get() == service  # and the ORM's
    prepared = _prepared()
    assert any("scheduling_service" in sql and "is_active" in sql for sql in prepared)
    assert any("scheduling_service" in sql and '"code" = $1' in sql for sql in prepared)


def _options(**env: str) -> dict[str, object]:
    """The database options the settings give for a PostgreSQL URL under ``env``."""
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from django.conf import settings;"
            " print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {}), default=str))",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gorod.settings",
            "GOROD_PROFILE": "test",
            "DATABASE_URL": "postgres://someone@db.example:5432/gorod",
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    options: dict[str, object] = json.loads(shown.stdout)
    return options


def test_prepared_statements_can_be_turned_off_for_a_pooler() -> None:
    assert _options() == {"server_side_binding": True, "prepare_threshold": 5}
    assert _options(DATABASE_PREPARED_STATEMENTS="off") == {}


@pytest.fixture
def ours() -> DatabaseWrapper:
    """This thread's connection, of our PostgreSQL backend."""
    if connection.vendor != "postgresql":
        pytest.skip("the health check spared is our PostgreSQL backend's")
    wrapper = connections["default"]
    assert isinstance(wrapper, DatabaseWrapper)
    return wrapper


def _server_drops(wrapper: DatabaseWrapper) -> None:
    """The server ends this connection's backend, as a restart or a failover would."""
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = wrapper.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_connection_idle_for_a_while_is_checked_and_replaced(ours: DatabaseWrapper) -> None:
    _server_drops(ours)
    dropped = ours.connection
    ours.health_check_done = False
    ours.answered_at = time.monotonic() - 2 * FRESH_SECONDS
    with ours.cursor() as cursor:  # the check runs first, and reconnects
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert ours.connection is not dropped


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_just_answered_is_spared_the_check(ours: DatabaseWrapper) -> None:
    _server_drops(ours)
    dropped = ours.connection
    ours.health_check_done = False
    ours.answered_at = time.monotonic()
    ours.close_if_health_check_failed()  # no SELECT 1: it would have seen the drop
    assert ours.connection is dropped
    assert ours.health_check_done
    ours.close()


def _served(path: str) -> int:
    """A GET as a WSGI server hands it to Django: unlike the test client, which keeps
    Django's between-requests connection check out of its requests, this runs it."""
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    response = WSGIHandler()(environ, lambda line, headers, info=None: status.append(line))
    try:
        b"".join(response)
    finally:
        response.close()  # request_finished
    return int(status[0].split()[0])


@pytest.mark.django_db(transaction=True)
def test_between_requests_only_a_connection_idle_for_a_while_is_checked(
    ours: DatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[DatabaseWrapper] = []
    check = DatabaseWrapper.is_usable

    def counted(self: DatabaseWrapper) -> bool:
        checks.append(self)
        return check(self)

    monkeypatch.setattr(DatabaseWrapper, "is_usable", counted)
    assert _served("/api/v1/scheduling/services") == 200
    answered = getattr(ours, "answered_at")  # noqa: B009 - set by the request, not here
    assert answered is not None
    assert time.monotonic() - answered < FRESH_SECONDS
    checks.clear()
    assert _served("/api/v1/scheduling/services") == 200
    assert checks == []  # it had just answered
    ours.answered_at = time.monotonic() - 2 * FRESH_SECONDS
    assert _served("/api/v1/scheduling/services") == 200
    assert checks == [ours]
