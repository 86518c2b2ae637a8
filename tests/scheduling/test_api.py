"""``/api/v1/scheduling/``: browse, hold, confirm, cancel, reschedule; bad input is a 4xx
naming the field and changes nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils.crypto import get_random_string

from gorod.logfilters import ExpectedApiErrors
from gorod.scheduling.models import Booking, Slot
from tests.people.factories import (
    CitizenFactory,
    OfficialFactory,
    account,
    child_of,
    token_for,
)
from tests.scheduling.conftest import Office
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = pytest.mark.django_db

BASE = "/api/v1/scheduling"


@pytest.fixture
def signed_in(client: Client, office: Office) -> Client:
    client.force_login(account(office.citizen))
    return client


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", body, content_type="application/json")


def bearer_post(key: str, body: dict[str, Any], *, client: Client | None = None) -> Any:
    """POST a booking as an API client does: a bearer token, no session."""
    return (client or Client()).post(
        f"{BASE}/bookings",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def hold_body(office: Office, slot: Slot | None = None, **more: object) -> dict[str, Any]:
    return {"slot_id": (slot or office.slots[0]).pk, "service_id": office.service.pk, **more}


def test_services_and_where_they_are_offered_are_public(client: Client, office: Office) -> None:
    services = client.get(f"{BASE}/services").json()
    assert [s["code"] for s in services] == [office.service.code]
    places = client.get(f"{BASE}/services/{office.service.pk}/institutions").json()
    assert [p["id"] for p in places] == [office.resource.institution_id]


def test_free_slots_are_listed_earliest_first(client: Client, office: Office) -> None:
    body = client.get(f"{BASE}/slots", {"service_id": office.service.pk}).json()
    assert body["count"] == 32
    assert [s["id"] for s in body["items"][:3]] == [s.pk for s in office.slots[:3]]


def test_a_date_range_ending_before_it_starts_is_a_400(client: Client, office: Office) -> None:
    response = client.get(
        f"{BASE}/slots",
        {"service_id": str(office.service.pk), "date_from": "2026-12-10", "date_to": "2026-12-01"},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "date_to"


@pytest.mark.parametrize(
    ("query", "field"),
    [("date_from=9999-12-31", "date_from"), ("date_from=2026-12-01&date_to=9999-12-31", "date_to")],
)
def test_dates_out_of_bounds_are_a_400_naming_them(
    client: Client, office: Office, query: str, field: str
) -> None:
    response = client.get(f"{BASE}/slots?service_id={office.service.pk}&{query}")
    assert (response.status_code, response.json()["field"]) == (400, field)


def test_an_unknown_service_is_a_404_naming_it(client: Client, office: Office) -> None:
    response = client.get(f"{BASE}/slots", {"service_id": 999_999})
    assert (response.status_code, response.json()["field"]) == (404, "service_id")


def test_hold_confirm_and_list(signed_in: Client, office: Office) -> None:
    held = post(signed_in, "/bookings", hold_body(office))
    assert held.status_code == 201, held.json()
    booking = held.json()
    assert booking["status"] == "pending"
    confirmed = post(signed_in, f"/bookings/{booking['id']}/confirm", {})
    assert confirmed.json()["status"] == "booked"
    mine = signed_in.get(f"{BASE}/bookings").json()
    assert [b["code"] for b in mine["items"]] == [booking["code"]]


def test_a_taken_slot_is_a_409_with_the_nearest_free_slots(
    signed_in: Client, office: Office
) -> None:
    rival = CitizenFactory.create()
    _token, key = token_for(account(rival))
    post(signed_in, "/bookings", hold_body(office, confirm=True))
    response = bearer_post(key, hold_body(office))
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "slot_id"
    assert body["extra"]["nearest"][0]["id"] == office.slots[1].pk
    assert Booking.objects.filter(citizen=rival).count() == 0


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("past slot", 400, "slot_id"),
        ("another service's slot", 400, "slot_id"),
        ("another citizen", 400, "citizen_id"),
        ("unknown slot", 404, "slot_id"),
        ("beyond the limit", 400, "service_id"),
    ],
)
def test_bad_holds_are_refused_and_change_nothing(
    signed_in: Client, office: Office, case: str, status: int, field: str
) -> None:
    body = hold_body(office)
    if case == "past slot":
        Slot.objects.filter(pk=office.slots[0].pk).update(
            start=office.slots[0].start.replace(year=2020),
            end=office.slots[0].end.replace(year=2020),
        )
    elif case == "another service's slot":
        other = counter(service=ServiceFactory.create(), name="Окно 9")
        body["slot_id"] = slots_for(other)[0].pk
    elif case == "another citizen":
        body["citizen_id"] = CitizenFactory.create().pk
    elif case == "unknown slot":
        body["slot_id"] = 999_999
    else:
        for slot in office.slots[5:7]:
            post(signed_in, "/bookings", hold_body(office, slot))
    before = Booking.objects.count()
    response = post(signed_in, "/bookings", body)
    assert (response.status_code, response.json()["field"]) == (status, field)
    assert response.json()["message"]
    assert Booking.objects.count() == before


def test_a_guardian_books_for_a_child(signed_in: Client, office: Office) -> None:
    child = child_of(office.citizen)
    response = post(signed_in, "/bookings", hold_body(office, citizen_id=child.pk))
    assert response.status_code == 201
    assert response.json()["citizen_id"] == child.pk


def test_cancel_then_the_slot_is_free_again(signed_in: Client, office: Office) -> None:
    booking = post(signed_in, "/bookings", hold_body(office, confirm=True)).json()
    response = post(signed_in, f"/bookings/{booking['id']}/cancel", {"reason": "plans changed"})
    assert response.json()["status"] == "cancelled"
    again = post(signed_in, f"/bookings/{booking['id']}/cancel", {})
    assert (again.status_code, again.json()["field"]) == (409, "booking_id")


def test_reschedule_answers_the_new_booking(signed_in: Client, office: Office) -> None:
    booking = post(signed_in, "/bookings", hold_body(office, confirm=True)).json()
    response = post(
        signed_in, f"/bookings/{booking['id']}/reschedule", {"slot_id": office.slots[3].pk}
    )
    assert response.status_code == 200
    assert response.json()["slot"]["id"] == office.slots[3].pk
    assert response.json()["rescheduled_from_id"] == booking["id"]


def test_someone_elses_booking_is_a_404(client: Client, office: Office) -> None:
    client.force_login(account(office.citizen))
    booking = post(client, "/bookings", hold_body(office)).json()
    client.force_login(account(CitizenFactory.create()))
    response = post(client, f"/bookings/{booking['id']}/confirm", {})
    assert (response.status_code, response.json()["field"]) == (404, "booking_id")
    assert Booking.objects.get(pk=booking["id"]).status == "pending"


def test_booking_needs_sign_in(client: Client, office: Office) -> None:
    assert post(client, "/bookings", hold_body(office)).status_code == 401


def test_an_expired_hold_cannot_be_confirmed(signed_in: Client, office: Office) -> None:
    booking = post(signed_in, "/bookings", hold_body(office)).json()
    Booking.objects.filter(pk=booking["id"]).update(
        hold_expires_at=office.slots[0].start.replace(year=2020)
    )
    response = post(signed_in, f"/bookings/{booking['id']}/confirm", {})
    assert (response.status_code, response.json()["field"]) == (409, "booking_id")
    assert Booking.objects.get(pk=booking["id"]).status == "pending"


def test_an_unknown_hold_is_a_404(signed_in: Client) -> None:
    response = post(signed_in, "/bookings/999999/confirm", {})
    assert (response.status_code, response.json()["field"]) == (404, "booking_id")


def test_a_bearer_token_books_without_a_csrf_token(office: Office) -> None:
    _token, key = token_for(account(office.citizen))
    response = bearer_post(key, hold_body(office), client=Client(enforce_csrf_checks=True))
    assert response.status_code == 201, response.json()


def test_a_session_books_only_with_the_csrf_token(office: Office) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(account(office.citizen))
    refused = post(browser, "/bookings", hold_body(office))
    assert refused.status_code == 403
    assert not Booking.objects.exists()
    secret = get_random_string(32)  # as a page's CSRF cookie gives the browser
    browser.cookies["csrftoken"] = secret
    response = browser.post(
        f"{BASE}/bookings",
        hold_body(office),
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 201, response.json()


def test_a_lost_race_is_answered_without_a_log_line(
    signed_in: Client, office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    post(signed_in, "/bookings", hold_body(office, confirm=True))
    rival = CitizenFactory.create()
    _token, key = token_for(account(rival))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = bearer_post(key, hold_body(office))
    assert response.status_code == 409
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_the_log_filter_keeps_server_errors_and_page_errors() -> None:
    def record(status: int, path: str) -> logging.LogRecord:
        made = logging.LogRecord("django.request", logging.WARNING, "", 0, "x", (), None)
        made.status_code = status
        made.request = RequestFactory().get(path)
        return made

    keep = ExpectedApiErrors().filter
    assert not keep(record(409, f"{BASE}/bookings"))
    assert not keep(record(400, f"{BASE}/bookings"))
    assert keep(record(500, f"{BASE}/bookings"))
    assert keep(record(404, "/scheduling/bookings/1/"))


def test_a_clerk_books_by_phone_for_a_citizen(office: Office) -> None:
    clerk = OfficialFactory.create(institution=office.resource.institution)
    _token, key = token_for(clerk.user)
    response = bearer_post(key, hold_body(office, citizen_id=office.citizen.pk, confirm=True))
    assert response.status_code == 201, response.json()
    assert response.json()["citizen_id"] == office.citizen.pk
    visitor = Client()
    visitor.force_login(account(office.citizen))
    mine = visitor.get(f"{BASE}/bookings").json()
    assert [b["id"] for b in mine["items"]] == [response.json()["id"]]


def test_a_clerk_of_another_office_cannot_book_for_a_citizen(office: Office) -> None:
    _token, key = token_for(OfficialFactory.create().user)
    response = bearer_post(key, hold_body(office, citizen_id=office.citizen.pk))
    assert (response.status_code, response.json()["field"]) == (400, "citizen_id")
    assert not Booking.objects.exists()
