"""The citizen's pages: the booking flow step by step, the booking, cancel and move."""

from __future__ import annotations

import pytest
from django.test import Client

from gorod.scheduling.models import Booking
from tests.people.factories import CitizenFactory, OfficialFactory, account, child_of
from tests.scheduling.conftest import Office

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, office: Office) -> Client:
    client.force_login(account(office.citizen))
    return client


def test_the_flow_goes_service_office_day_time(signed_in: Client, office: Office) -> None:
    page = signed_in.get("/scheduling/book/").content.decode()
    assert office.service.name in page
    page = signed_in.get(f"/scheduling/book/?service={office.service.pk}").content.decode()
    institution = office.resource.institution
    assert institution.name in page
    query = f"?service={office.service.pk}&institution={institution.pk}"
    page = signed_in.get(f"/scheduling/book/{query}").content.decode()
    day = office.slots[0].start.astimezone().date().isoformat()
    assert f"day={day}" in page
    page = signed_in.get(f"/scheduling/book/{query}&day={day}").content.decode()
    assert f'value="{office.slots[0].pk}"' in page


def test_choosing_a_time_holds_it_and_the_booking_page_confirms(
    signed_in: Client, office: Office
) -> None:
    response = signed_in.post(
        "/scheduling/book/",
        {
            "slot_id": office.slots[2].pk,
            "service_id": office.service.pk,
            "citizen_id": office.citizen.pk,
        },
    )
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/scheduling/bookings/{booking.pk}/"
    assert booking.status == "pending"
    signed_in.post(f"/scheduling/bookings/{booking.pk}/confirm/")
    booking.refresh_from_db()
    assert booking.status == "booked"
    page = signed_in.get(f"/scheduling/bookings/{booking.pk}/").content.decode()
    assert booking.code in page
    assert "<svg" in page
    assert booking.code in signed_in.get("/scheduling/").content.decode()


def test_a_taken_time_offers_the_nearest_ones(signed_in: Client, office: Office) -> None:
    rival = CitizenFactory.create()
    Booking.objects.create(
        slot=office.slots[2],
        citizen=rival,
        service=office.service,
        status="booked",
        code="TAKEN2",
    )
    page = signed_in.post(
        "/scheduling/book/",
        {
            "slot_id": office.slots[2].pk,
            "service_id": office.service.pk,
            "citizen_id": office.citizen.pk,
        },
    ).content.decode()
    assert f'value="{office.slots[3].pk}"' in page
    assert Booking.objects.filter(citizen=office.citizen).count() == 0


def test_booking_for_someone_elses_child_is_refused(signed_in: Client, office: Office) -> None:
    stranger_child = child_of(CitizenFactory.create())
    response = signed_in.post(
        "/scheduling/book/",
        {
            "slot_id": office.slots[0].pk,
            "service_id": office.service.pk,
            "citizen_id": stranger_child.pk,
        },
    )
    assert response.status_code == 200
    assert not Booking.objects.exists()


def test_a_form_without_a_time_is_a_400(signed_in: Client, office: Office) -> None:
    response = signed_in.post("/scheduling/book/", {"service_id": office.service.pk})
    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_moving_then_cancelling(signed_in: Client, office: Office) -> None:
    signed_in.post(
        "/scheduling/book/",
        {
            "slot_id": office.slots[0].pk,
            "service_id": office.service.pk,
            "citizen_id": office.citizen.pk,
        },
    )
    old = Booking.objects.get()
    response = signed_in.post(
        f"/scheduling/book/?reschedule={old.pk}",
        {
            "slot_id": office.slots[5].pk,
            "service_id": office.service.pk,
            "citizen_id": office.citizen.pk,
            "reschedule": old.pk,
        },
    )
    new = Booking.objects.get(rescheduled_from=old)
    assert response["Location"] == f"/scheduling/bookings/{new.pk}/"
    signed_in.post(f"/scheduling/bookings/{new.pk}/cancel/", {"reason": "ill"})
    new.refresh_from_db()
    assert (new.status, new.cancelled_reason) == ("cancelled", "ill")


def test_someone_elses_booking_page_is_a_404(client: Client, office: Office) -> None:
    booking = Booking.objects.create(
        slot=office.slots[0],
        citizen=office.citizen,
        service=office.service,
        status="booked",
        code="MINE22",
    )
    client.force_login(account(CitizenFactory.create()))
    assert client.get(f"/scheduling/bookings/{booking.pk}/").status_code == 404
    assert client.post(f"/scheduling/bookings/{booking.pk}/cancel/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_the_pages_need_sign_in(client: Client) -> None:
    assert client.get("/scheduling/").status_code == 302


def test_a_clerk_sees_the_days_appointments_at_their_office(client: Client, office: Office) -> None:
    booking = Booking.objects.create(
        slot=office.slots[0],
        citizen=office.citizen,
        service=office.service,
        status="booked",
        code="CLERK1",
    )
    clerk = OfficialFactory.create(institution=office.resource.institution)
    other = OfficialFactory.create()
    day = office.slots[0].start.astimezone().date().isoformat()
    client.force_login(clerk.user)
    page = client.get(f"/scheduling/office/?day={day}").content.decode()
    assert booking.code in page
    assert office.citizen.full_name in page
    client.force_login(other.user)
    assert booking.code not in client.get(f"/scheduling/office/?day={day}").content.decode()
    client.force_login(account(office.citizen))
    assert client.get("/scheduling/office/").status_code == 403


def test_the_cabinet_links_to_my_bookings(signed_in: Client) -> None:
    page = signed_in.get("/cabinet/").content.decode()
    assert 'href="/scheduling/"' in page
