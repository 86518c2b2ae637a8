"""Schemathesis over the whole OpenAPI spec, in process against the Django WSGI app.

Every operation, anonymous and with a citizen's bearer token: no server error, and every
response conforms to the spec (status code, content type, body schema); invalid input is
refused with a 4xx.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

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


@pytest.fixture
def bearer(db: Any) -> dict[str, str]:
    citizen = CitizenFactory.create()
    _, key = api_token_create(user=citizen.user, name="schemathesis")
    return {"Authorization": f"Bearer {key}"}


# Loaded at collection: the spec is built from the routers, without the database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@FUZZ
def test_anonymous_requests_get_no_server_error_and_match_the_spec(case: Any) -> None:
    case.call_and_validate()


@schema.parametrize()
@FUZZ
def test_token_requests_get_no_server_error_and_match_the_spec(
    case: Any, bearer: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer)
