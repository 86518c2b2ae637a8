"""The API's one error shape, for what the schemas alone would let through."""

from __future__ import annotations

import pytest
from django.test import Client

from gorod.people.models import Citizen
from gorod.people.services import api_token_create
from tests.people.factories import CitizenFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", ["1", "[]", '"text"', "null", "{not json"])
def test_a_body_that_is_not_a_json_object_is_refused_and_changes_nothing(
    client: Client, body: str
) -> None:
    citizen = CitizenFactory.create(contact_email="before@example.test")
    _, key = api_token_create(user=citizen.user, name="test")
    response = client.patch(
        "/api/v1/me", data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "body"
    assert response.json()["message"] == "Тело запроса должно быть объектом JSON."
    assert Citizen.objects.get(pk=citizen.pk).contact_email == "before@example.test"
