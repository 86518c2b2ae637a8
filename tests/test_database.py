"""The database connection as configured: on PostgreSQL, queries a connection runs often
are prepared, so the server plans them once per connection rather than on every request."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

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
