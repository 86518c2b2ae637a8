"""People in the API: /me by session and by token, children, tokens, registration errors."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.test import Client

from gorod.people.models import ApiToken, Citizen, Role
from tests.people.factories import (
    PASSWORD,
    CitizenFactory,
    UserFactory,
    account,
    child_of,
    district_official,
    token_for,
)
from tests.places.factories import ApartmentFactory

pytestmark = pytest.mark.django_db

REGISTRATION: dict[str, Any] = {
    "email": "anna@example.test",
    "password": PASSWORD,
    "last_name": "Смирнова",
    "first_name": "Анна",
    "birth_date": "1990-04-12",
    "snils": "112-233-445 95",
}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_me_refuses_an_anonymous_visitor_in_the_error_shape(client: Client) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "field", "extra"}


def test_me_by_session_shows_the_citizen(client: Client) -> None:
    apartment = ApartmentFactory.create()
    citizen = CitizenFactory.create(snils="11223344595", apartment=apartment)
    client.force_login(account(citizen))
    body = client.get("/api/v1/me").json()
    assert body["citizen"]["snils"] == "112-233-445 95"
    assert body["citizen"]["address"]["district"]["id"] == apartment.building.district_id
    assert body["official"] is None


def test_me_by_token_shows_the_official_with_the_scope(client: Client) -> None:
    official = district_official(Role.ANALYST)
    _token, key = token_for(official.user)
    body = client.get("/api/v1/me", headers=bearer(key)).json()
    assert body["citizen"] is None
    assert body["official"]["scope"] == "district"
    assert body["official"]["district"]["id"] == official.district_id


def test_a_wrong_token_on_a_post_is_a_401_not_a_csrf_403() -> None:
    """Without a session cookie there is nothing to forge: a script's bad token is told
    it is not signed in, not that a CSRF cookie is missing."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/scheduling/bookings",
        {"slot_id": 1, "service_id": 1},
        content_type="application/json",
        headers=bearer("not-a-token"),
    )
    assert response.status_code == 401, response.content


def test_a_session_without_the_csrf_token_is_still_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory.create())
    response = client.post(
        "/api/v1/scheduling/bookings",
        {"slot_id": 1, "service_id": 1},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_a_revoked_token_no_longer_works(client: Client) -> None:
    user = UserFactory.create()
    token, key = token_for(user)
    response = client.delete(f"/api/v1/auth/tokens/{token.pk}", headers=bearer(key))
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(key)).status_code == 401


def test_a_token_is_created_with_the_password_and_shown_once(client: Client) -> None:
    UserFactory.create(email="anna@example.test")
    credentials = base64.b64encode(f"anna@example.test:{PASSWORD}".encode()).decode()
    response = client.post(
        "/api/v1/auth/tokens",
        {"name": "phone app"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 201
    key = response.json()["key"]
    assert client.get("/api/v1/me", headers=bearer(key)).status_code == 200
    listed = client.get("/api/v1/auth/tokens", headers=bearer(key)).json()
    assert "key" not in listed[0]


def test_a_wrong_password_gets_no_token(client: Client) -> None:
    UserFactory.create(email="anna@example.test")
    credentials = base64.b64encode(b"anna@example.test:wrong").decode()
    response = client.post(
        "/api/v1/auth/tokens",
        {"name": "phone app"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_a_session_needs_the_csrf_token_to_create_a_token() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory.create())
    response = client.post("/api/v1/auth/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_nobody_revokes_another_accounts_token_by_api(client: Client) -> None:
    token, _key = token_for(UserFactory.create())
    _mine, my_key = token_for(UserFactory.create())
    response = client.delete(f"/api/v1/auth/tokens/{token.pk}", headers=bearer(my_key))
    assert response.status_code == 404
    assert response.json()["field"] == "id"


def test_contacts_are_changed_by_patch(client: Client) -> None:
    citizen = CitizenFactory.create(contact_email="me@example.test")
    _token, key = token_for(account(citizen))
    response = client.patch(
        "/api/v1/me",
        {"contact_phone": "8 916 123-45-67", "notify_by_sms": True},
        content_type="application/json",
        headers=bearer(key),
    )
    assert response.status_code == 200
    assert response.json()["citizen"]["contact_phone"] == "+79161234567"


def test_a_bad_contact_phone_names_the_field(client: Client) -> None:
    citizen = CitizenFactory.create()
    _token, key = token_for(account(citizen))
    response = client.patch(
        "/api/v1/me", {"contact_phone": "12"}, content_type="application/json", headers=bearer(key)
    )
    assert response.status_code == 400
    assert response.json()["field"] == "contact_phone"


def test_children_are_listed_and_added(client: Client) -> None:
    parent = CitizenFactory.create()
    child_of(parent)
    _token, key = token_for(account(parent))
    child = {
        "last_name": "Смирнов",
        "first_name": "Иван",
        "birth_date": "2020-01-05",
        "snils": "206-130-059 00",
    }
    added = client.post(
        "/api/v1/me/children", child, content_type="application/json", headers=bearer(key)
    )
    assert added.status_code == 201
    listed = client.get("/api/v1/me/children", headers=bearer(key)).json()
    assert len(listed) == 2


def test_an_account_without_a_profile_has_no_children(client: Client) -> None:
    _token, key = token_for(UserFactory.create())
    response = client.get("/api/v1/me/children", headers=bearer(key))
    assert response.status_code == 404


def test_registration_creates_a_citizen(client: Client) -> None:
    response = client.post("/api/v1/citizens", REGISTRATION, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["snils"] == "112-233-445 95"
    assert Citizen.objects.get().user is not None


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"snils": "112-233-445 96"}, 400, "snils"),
        ({"snils": "12"}, 400, "snils"),
        ({"email": "", "phone": ""}, 400, "email"),
        ({"birth_date": "not a date"}, 422, "birth_date"),
        ({"password": "123"}, 400, "password"),
    ],
)
def test_registration_errors_name_the_field(
    client: Client, change: dict[str, Any], status: int, field: str
) -> None:
    response = client.post(
        "/api/v1/citizens", {**REGISTRATION, **change}, content_type="application/json"
    )
    assert response.status_code == status
    assert response.json()["field"] == field
    assert not Citizen.objects.exists()


def test_registration_with_a_taken_email_is_a_conflict(client: Client) -> None:
    UserFactory.create(email="anna@example.test")
    response = client.post("/api/v1/citizens", REGISTRATION, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["field"] == "email"


def test_registration_speaks_english_when_asked(client: Client) -> None:
    response = client.post(
        "/api/v1/citizens",
        {**REGISTRATION, "snils": "112-233-445 96"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["message"] == "The SNILS is wrong: the check number does not match."


def test_an_unknown_citizen_id_is_not_found(client: Client) -> None:
    client.force_login(account(CitizenFactory.create()))
    assert client.get("/api/v1/citizens/999999999").status_code == 404


def test_a_token_records_its_last_use_at_most_once_a_minute(client: Client) -> None:
    token, key = token_for(UserFactory.create())
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None
    assert client.get("/api/v1/me", headers=bearer(key)).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert client.get("/api/v1/me", headers=bearer(key)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    an_hour_ago = first - dt.timedelta(hours=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=an_hour_ago)
    assert client.get("/api/v1/me", headers=bearer(key)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > an_hour_ago + dt.timedelta(minutes=59)


def test_an_unknown_token_is_a_401_and_writes_nothing(client: Client) -> None:
    token, _key = token_for(UserFactory.create())
    response = client.get("/api/v1/me", headers=bearer("not-a-token"))
    assert response.status_code == 401
    token.refresh_from_db()
    assert token.last_used_at is None
