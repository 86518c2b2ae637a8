"""Schemathesis over the whole OpenAPI spec, in process against the Django WSGI app.

Every operation, anonymous and with a citizen's bearer token: no server error, and every
response conforms to the spec (status code, content type, body schema); invalid input is
refused with a 4xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from axes.utils import reset as axes_reset
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from gorod.people.services import api_token_create
from tests.people.factories import CitizenFactory

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("schemathesis")]

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI handler itself, not Django's test client: like the test
    client, keep the request signals from closing the connection that holds the test's
    transaction (PostgreSQL would lose it between two requests)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db: Any) -> dict[str, str]:
    citizen = CitizenFactory.create()
    _, key = api_token_create(user=citizen.user, name="schemathesis")
    return {"Authorization": f"Bearer {key}"}


# Loaded at collection: the spec is built from the routers, without the database.
CONFIG = SchemathesisConfig.from_path(Path(__file__).resolve().parents[2] / "schemathesis.toml")
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)


@schema.parametrize()
@FUZZ
def test_anonymous_requests_get_no_server_error_and_match_the_spec(case: Any) -> None:
    case.call_and_validate()


@schema.parametrize()
@FUZZ
def test_token_requests_get_no_server_error_and_match_the_spec(
    case: Any, bearer: dict[str, str]
) -> None:
    # Schemathesis tries each operation with wrong credentials too: on the password sign-in
    # they would add up to the brute-force lockout (a 429, tested in tests/people), which
    # is not what a single wrong password gets.
    axes_reset()
    case.call_and_validate(headers=bearer)
