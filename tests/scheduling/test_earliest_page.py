"""The first available time on the booking pages: once a service and an office are chosen,
one button holds the earliest free slot for the person chosen, and the booking's page
confirms it as any hold; nothing free, or bad input, is said on the page and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gorod.scheduling import services
from gorod.scheduling.models import Booking, Slot
from tests.people.factories import CitizenFactory, account, child_of
from tests.scheduling.conftest import Office
from tests.scheduling.factories import ServiceFactory, counter

pytestmark = pytest.mark.django_db

EARLIEST = "/scheduling/book/earliest/"


@pytest.fixture
def signed_in(client: Client, office: Office) -> Client:
    client.force_login(account(office.citizen))
    return client


def day_step(office: Office) -> str:
    return (
        f"/scheduling/book/?service={office.service.pk}"
        f"&institution={office.resource.institution_id}"
    )


def body(office: Office, **changes: Any) -> dict[str, Any]:
    data = {
        "service_id": office.service.pk,
        "institution_id": office.resource.institution_id,
        "citizen_id": office.citizen.pk,
    } | changes
    return {key: value for key, value in data.items() if value is not None}


def test_the_day_step_offers_the_first_available_time(signed_in: Client, office: Office) -> None:
    page = signed_in.get(day_step(office)).content.decode()
    assert f'action="{EARLIEST}"' in page
    assert "Ближайшее свободное время" in page
    assert f'name="institution_id" value="{office.resource.institution_id}"' in page
    assert f'name="citizen_id" value="{office.citizen.pk}"' in page
    assert 'id="citizen-earliest"' not in page  # no one else to book for: no choice


def test_the_earlier_steps_and_a_move_do_not_offer_it(signed_in: Client, office: Office) -> None:
    assert EARLIEST not in signed_in.get("/scheduling/book/").content.decode()
    service_step = f"/scheduling/book/?service={office.service.pk}"
    assert EARLIEST not in signed_in.get(service_step).content.decode()
    signed_in.post(EARLIEST, body(office))
    booking = Booking.objects.get()
    moving = f"{day_step(office)}&reschedule={booking.pk}"
    page = signed_in.get(moving)
    assert page.status_code == 200
    assert EARLIEST not in page.content.decode()


def test_the_button_holds_the_earliest_time_and_the_booking_page_confirms(
    signed_in: Client, office: Office
) -> None:
    rival = CitizenFactory.create()  # a neighbour's hold on the first slot is passed over
    services.booking_hold(
        slot=office.slots[0], citizen=rival, service=office.service, by_user=account(rival)
    )
    response = signed_in.post(EARLIEST, body(office))
    booking = Booking.objects.get(citizen=office.citizen)
    assert response.status_code == 302
    assert response["Location"] == f"/scheduling/bookings/{booking.pk}/"
    assert (booking.status, booking.slot_id, booking.booked_by_id) == (
        "pending",
        office.slots[1].pk,
        account(office.citizen).pk,
    )
    page = signed_in.get(response["Location"]).content.decode()
    assert "Первое свободное время удержано для вас" in page
    signed_in.post(f"/scheduling/bookings/{booking.pk}/confirm/")
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_a_guardian_takes_the_first_time_for_a_child(signed_in: Client, office: Office) -> None:
    child = child_of(office.citizen, first_name="Маша")
    page = signed_in.get(day_step(office)).content.decode()
    assert 'id="citizen-earliest"' in page
    assert f'<option value="{child.pk}">{child.full_name}</option>' in page
    response = signed_in.post(EARLIEST, body(office, citizen_id=child.pk))
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert (booking.citizen_id, booking.booked_by_id, booking.slot_id) == (
        child.pk,
        account(office.citizen).pk,
        office.slots[0].pk,
    )


def test_without_a_choice_of_person_it_is_for_yourself(signed_in: Client, office: Office) -> None:
    assert signed_in.post(EARLIEST, body(office, citizen_id=None)).status_code == 302
    assert Booking.objects.get().citizen_id == office.citizen.pk


def test_someone_elses_child_is_refused_on_the_same_step(signed_in: Client, office: Office) -> None:
    other = child_of(CitizenFactory.create())
    response = signed_in.post(EARLIEST, body(office, citizen_id=other.pk))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Записывать можно только себя или ребёнка" in page
    assert f'action="{EARLIEST}"' in page  # still on the day step
    assert not Booking.objects.exists()


def test_nothing_free_is_a_409_saying_so_on_the_same_step(signed_in: Client) -> None:
    service = ServiceFactory.create()
    window = counter(service=service)  # open, but no slots made yet
    response = signed_in.post(
        EARLIEST, {"service_id": service.pk, "institution_id": window.institution_id}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Свободного времени для этой услуги здесь нет." in page
    assert "Выберите другое учреждение или попробуйте позже." in page
    assert f'name="institution_id" value="{window.institution_id}"' in page
    assert not Booking.objects.exists()


def test_all_taken_is_a_409_too(signed_in: Client, office: Office) -> None:
    Slot.objects.update(status=Slot.Status.BUSY)
    response = signed_in.post(EARLIEST, body(office))
    assert response.status_code == 409
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"service_id": 987654321},
        {"institution_id": 987654321},
        {"service_id": "other"},  # another service, not offered at this office
    ],
)
def test_an_unknown_service_or_office_is_a_404(
    signed_in: Client, office: Office, changes: dict[str, Any]
) -> None:
    if changes.get("service_id") == "other":
        changes = {"service_id": ServiceFactory.create().pk}
    response = signed_in.post(EARLIEST, body(office, **changes))
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_an_inactive_service_is_a_404(signed_in: Client, office: Office) -> None:
    office.service.is_active = False
    office.service.save()
    assert signed_in.post(EARLIEST, body(office)).status_code == 404
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"service_id": "abc"},
        {"institution_id": None},
        {"institution_id": "-1"},
        {"citizen_id": "1e3"},
        {"service_id": str(2**64)},
    ],
)
def test_malformed_input_is_a_400_page(
    signed_in: Client, office: Office, changes: dict[str, Any]
) -> None:
    response = signed_in.post(EARLIEST, body(office, **changes))
    assert response.status_code == 400
    assert "Выберите" in response.content.decode()
    assert not Booking.objects.exists()


def test_only_a_signed_in_post_with_the_csrf_token_holds(client: Client, office: Office) -> None:
    assert client.post(EARLIEST, body(office)).status_code == 302  # to sign in
    client.force_login(account(office.citizen))
    assert client.get(EARLIEST).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(account(office.citizen))
    assert strict.post(EARLIEST, body(office)).status_code == 403
    assert not Booking.objects.exists()
