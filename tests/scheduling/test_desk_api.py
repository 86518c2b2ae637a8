"""``/api/v1/scheduling/desk/``: an office's registry clerk or head lists the day's bookings
and confirms or cancels them, at their own office only; a refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from gorod.people.models import Citizen, Official, Role, User
from gorod.portal.models import Notification
from gorod.scheduling import services
from gorod.scheduling.models import Booking, Slot
from tests.people.factories import CitizenFactory, OfficialFactory, account, child_of, token_for
from tests.scheduling.conftest import Office
from tests.scheduling.factories import tomorrow

pytestmark = pytest.mark.django_db

BASE = "/api/v1/scheduling/desk"


@pytest.fixture
def clerk(office: Office) -> Official:
    return OfficialFactory.create(
        institution=office.resource.institution, user__display_name="Орлова Н."
    )


def bearer(user: User) -> dict[str, str]:
    _token, key = token_for(user)
    return {"Authorization": f"Bearer {key}"}


def get(user: User, path: str, **query: Any) -> Any:
    return Client().get(f"{BASE}{path}", query, headers=bearer(user))


def post(user: User, path: str, body: dict[str, Any] | None = None) -> Any:
    return Client(enforce_csrf_checks=True).post(
        f"{BASE}{path}", body or {}, content_type="application/json", headers=bearer(user)
    )


def held(office: Office, slot: int = 0, citizen: Citizen | None = None) -> Booking:
    """A citizen's own hold, as the citizen flow makes it."""
    citizen = citizen or office.citizen
    return services.booking_hold(
        slot=office.slots[slot], citizen=citizen, service=office.service, by_user=account(citizen)
    )


def state(booking: Booking) -> tuple[str, str, str]:
    booking.refresh_from_db()
    return booking.status, booking.cancelled_reason, Slot.objects.get(pk=booking.slot_id).status


# --- the day's list ----------------------------------------------------------------------


def test_the_days_list_tells_who_booked_each_visit(office: Office, clerk: Official) -> None:
    own = held(office, 1)
    child = child_of(office.citizen)
    for_child = services.booking_hold(
        slot=office.slots[0],
        citizen=child,
        service=office.service,
        by_user=account(office.citizen),
    )
    at_desk = services.booking_hold(
        slot=office.slots[2],
        citizen=CitizenFactory.create(),
        service=office.service,
        by_user=clerk.user,
        confirm=True,
    )
    response = get(clerk.user, "/bookings", day=tomorrow().isoformat())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    rows = body["items"]
    assert [row["id"] for row in rows] == [for_child.pk, own.pk, at_desk.pk]
    assert [row["booked_by"] for row in rows] == [
        {"kind": "guardian", "name": office.citizen.full_name, "role": ""},
        {"kind": "visitor", "name": "", "role": ""},
        {"kind": "official", "name": "Орлова Н.", "role": clerk.get_role_display()},
    ]
    assert [row["status"] for row in rows] == ["pending", "pending", "booked"]
    assert rows[0]["visitor"] == child.full_name
    assert rows[0]["slot"]["id"] == office.slots[0].pk


def test_the_list_is_of_today_when_no_day_is_given(office: Office, clerk: Official) -> None:
    held(office)  # tomorrow
    assert get(clerk.user, "/bookings").json()["count"] == 0
    assert get(clerk.user, "/bookings", day=tomorrow().isoformat()).json()["count"] == 1


def test_the_list_is_paginated(office: Office, clerk: Official) -> None:
    for slot in range(3):
        held(office, slot, CitizenFactory.create())
    page = get(clerk.user, "/bookings", day=tomorrow().isoformat(), page_size=2, page=2)
    assert page.status_code == 200
    assert (page.json()["count"], len(page.json()["items"])) == (3, 1)


def test_another_offices_bookings_are_not_listed(office: Office) -> None:
    held(office)
    stranger = OfficialFactory.create()
    response = get(stranger.user, "/bookings", day=tomorrow().isoformat())
    assert (response.status_code, response.json()["count"]) == (200, 0)


@pytest.mark.parametrize("day", ["1999-12-31", "9999-12-31", "0001-01-01"])
def test_a_day_out_of_range_is_a_400_naming_it(office: Office, clerk: Official, day: str) -> None:
    response = get(clerk.user, "/bookings", day=day)
    assert (response.status_code, response.json()["field"]) == (400, "day")


def test_a_day_that_is_not_a_date_is_a_422_naming_it(office: Office, clerk: Official) -> None:
    response = get(clerk.user, "/bookings", day="tomorrow")
    assert (response.status_code, response.json()["field"]) == (422, "day")


# --- who may use the desk ----------------------------------------------------------------


def outsiders(office: Office) -> dict[str, User]:
    institution = office.resource.institution
    doctor = OfficialFactory.create(institution=institution, role=Role.DOCTOR)
    return {"citizen": account(office.citizen), "doctor": doctor.user}


@pytest.mark.parametrize("who", ["citizen", "doctor"])
def test_anyone_but_a_desk_official_is_a_403_and_changes_nothing(office: Office, who: str) -> None:
    booking = held(office)
    user = outsiders(office)[who]
    assert get(user, "/bookings").status_code == 403
    assert post(user, f"/bookings/{booking.pk}/confirm").status_code == 403
    assert post(user, f"/bookings/{booking.pk}/cancel", {"reason": "Нет"}).status_code == 403
    assert state(booking) == ("pending", "", "busy")


def test_the_office_head_works_at_the_desk(office: Office) -> None:
    booking = held(office)
    head = OfficialFactory.create(institution=office.resource.institution, role=Role.OFFICE_HEAD)
    assert post(head.user, f"/bookings/{booking.pk}/confirm").status_code == 200
    assert state(booking)[0] == "booked"


def test_the_desk_needs_a_sign_in(office: Office) -> None:
    booking = held(office)
    assert Client().get(f"{BASE}/bookings").status_code == 401
    response = Client().post(f"{BASE}/bookings/{booking.pk}/confirm")
    assert response.status_code == 401
    assert state(booking)[0] == "pending"


def test_another_offices_booking_is_a_404_and_changes_nothing(office: Office) -> None:
    booking = held(office)
    stranger = OfficialFactory.create()
    confirm = post(stranger.user, f"/bookings/{booking.pk}/confirm")
    cancel = post(stranger.user, f"/bookings/{booking.pk}/cancel", {"reason": "Нет"})
    assert (confirm.status_code, confirm.json()["field"]) == (404, "booking_id")
    assert cancel.status_code == 404
    assert state(booking) == ("pending", "", "busy")


def test_an_unknown_booking_is_a_404(office: Office, clerk: Official) -> None:
    assert post(clerk.user, "/bookings/987654321/confirm").status_code == 404


# --- confirming and cancelling ----------------------------------------------------------


def test_the_desk_confirms_a_hold_and_the_visitor_is_told(office: Office, clerk: Official) -> None:
    booking = held(office)
    response = post(clerk.user, f"/bookings/{booking.pk}/confirm")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (booking.pk, "booked")
    assert response.json()["booked_by"]["kind"] == "visitor"
    assert state(booking) == ("booked", "", "busy")
    assert Notification.objects.filter(
        user=account(office.citizen), kind="scheduling.desk_confirmed"
    ).exists()


def test_an_expired_hold_is_a_409_and_stays_as_it_was(office: Office, clerk: Official) -> None:
    booking = held(office)
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=booking.created_at - dt.timedelta(minutes=1)
    )
    response = post(clerk.user, f"/bookings/{booking.pk}/confirm")
    assert response.status_code == 409
    assert state(booking)[0] == "pending"


def test_the_desk_cancels_for_a_reason_and_frees_the_time(office: Office, clerk: Official) -> None:
    booking = held(office)
    response = post(clerk.user, f"/bookings/{booking.pk}/cancel", {"reason": " Окно закрыто "})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancelled_reason"]) == (
        "cancelled",
        "Окно закрыто",
    )
    assert response.json()["cancelled_by"] == {
        "kind": "official",
        "name": clerk.user.display_name,
        "role": clerk.get_role_display(),
    }
    assert state(booking) == ("cancelled", "Окно закрыто", "free")
    assert Notification.objects.filter(
        user=account(office.citizen), kind="scheduling.desk_cancelled"
    ).exists()


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 201}])
def test_a_cancel_without_a_proper_reason_is_a_400_naming_it(
    office: Office, clerk: Official, body: dict[str, Any]
) -> None:
    booking = held(office)
    response = post(clerk.user, f"/bookings/{booking.pk}/cancel", body)
    assert (response.status_code, response.json()["field"]) == (400, "reason")
    assert state(booking) == ("pending", "", "busy")
    assert not Notification.objects.filter(kind="scheduling.desk_cancelled").exists()


def test_a_cancelled_booking_cannot_be_cancelled_again(office: Office, clerk: Official) -> None:
    booking = held(office)
    assert post(clerk.user, f"/bookings/{booking.pk}/cancel", {"reason": "Раз"}).status_code == 200
    again = post(clerk.user, f"/bookings/{booking.pk}/cancel", {"reason": "Два"})
    assert again.status_code == 409
    assert state(booking) == ("cancelled", "Раз", "free")


def test_a_session_needs_the_csrf_token(office: Office, clerk: Official) -> None:
    booking = held(office)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk.user)
    response = browser.post(f"{BASE}/bookings/{booking.pk}/confirm")
    assert response.status_code == 403
    assert state(booking)[0] == "pending"
