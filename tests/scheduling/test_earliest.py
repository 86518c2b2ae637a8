"""The first available time: ``services.booking_earliest`` and
``POST /api/v1/scheduling/bookings/earliest``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people.models import User
from gorod.scheduling import selectors, services
from gorod.scheduling.models import ACTIVE_STATUSES, Booking, Slot
from tests.people.factories import (
    CitizenFactory,
    OfficialFactory,
    UserFactory,
    account,
    child_of,
    token_for,
)
from tests.scheduling.conftest import Office
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = pytest.mark.django_db

PATH = "/api/v1/scheduling/bookings/earliest"


def earliest(office: Office, **kwargs: Any) -> Booking:
    citizen = kwargs.pop("citizen", office.citizen)
    by_user = kwargs.pop("by_user", None) or account(citizen)
    return services.booking_earliest(
        service=office.service,
        institution=office.resource.institution,
        citizen=citizen,
        by_user=by_user,
        **kwargs,
    )


def test_the_earliest_free_slot_is_held(office: Office) -> None:
    booking = earliest(office)
    assert booking.slot_id == office.slots[0].pk
    assert booking.status == Booking.Status.PENDING
    assert Slot.objects.get(pk=office.slots[0].pk).status == Slot.Status.BUSY
    stored = Booking.objects.select_related("slot").get(pk=booking.pk)
    assert (stored.citizen_id, stored.service_id, stored.booked_by_id) == (
        office.citizen.pk,
        office.service.pk,
        account(office.citizen).pk,
    )


def test_on_postgresql_it_is_one_statement(office: Office) -> None:
    """The function of migration 0004 books in one round trip: no BEGIN, no COMMIT of its
    own; the transaction is what it falls back on."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite books in a transaction")
    with CaptureQueriesContext(connection) as queries:
        booking = earliest(office, confirm=True)
    assert len(queries) == 1
    assert "scheduling_book_earliest(" in queries[0]["sql"]
    assert booking.slot.status == Slot.Status.BUSY
    assert booking.slot.resource.institution == office.resource.institution
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.slot_id, stored.status, stored.code) == (
        office.slots[0].pk,
        Booking.Status.BOOKED,
        booking.code,
    )
    assert Slot.objects.get(pk=office.slots[0].pk).status == Slot.Status.BUSY


def for_self(office: Office, user: User | None = None, **kwargs: Any) -> Booking:
    return services.booking_earliest_for_self(
        by_user=user or account(office.citizen),
        service_id=kwargs.pop("service_id", office.service.pk),
        institution_id=kwargs.pop("institution_id", office.resource.institution_id),
        **kwargs,
    )


def test_for_oneself_by_ids_the_own_record_is_booked(office: Office) -> None:
    with CaptureQueriesContext(connection) as queries:
        booking = for_self(office, confirm=True)
    if connection.vendor == "postgresql":  # the service, office and citizen in the call
        assert len(queries) == 1
    assert (booking.citizen_id, booking.slot_id, booking.status) == (
        office.citizen.pk,
        office.slots[0].pk,
        Booking.Status.BOOKED,
    )
    assert (booking.service.name, booking.slot.resource.institution.name) == (
        office.service.name,
        office.resource.institution.name,
    )
    assert Booking.objects.get(pk=booking.pk).code == booking.code


def test_for_oneself_by_ids_each_refusal_names_its_field(office: Office) -> None:
    with pytest.raises(NotFound) as missing:
        for_self(office, service_id=office.service.pk + 1000)
    assert missing.value.field == "service_id"
    with pytest.raises(NotFound) as elsewhere:
        for_self(office, institution_id=office.resource.institution_id + 1000)
    assert elsewhere.value.field == "institution_id"
    with pytest.raises(ApplicationError) as no_record:
        for_self(office, user=UserFactory.create())
    assert no_record.value.field == "citizen_id"
    assert not Booking.objects.exists()


def test_taken_slots_are_passed_over_and_confirm_books(office: Office) -> None:
    rival = CitizenFactory.create()
    first = earliest(office, citizen=rival, confirm=True)
    second = earliest(office, confirm=True)
    assert (first.slot_id, second.slot_id) == (office.slots[0].pk, office.slots[1].pk)
    assert second.status == Booking.Status.BOOKED


def test_after_a_time_the_first_slot_starting_later_is_taken(office: Office) -> None:
    booking = earliest(office, after=office.slots[3].start)
    assert booking.slot_id == office.slots[4].pk


def test_a_past_after_means_from_now(office: Office) -> None:
    booking = earliest(office, after=timezone.now() - dt.timedelta(days=30))
    assert booking.slot_id == office.slots[0].pk


def test_a_slot_marked_free_under_a_live_booking_is_passed_over_and_marked_busy(
    office: Office,
) -> None:
    rival = CitizenFactory.create()
    taken = earliest(office, citizen=rival, confirm=True)
    Slot.objects.filter(pk=taken.slot_id).update(status=Slot.Status.FREE)  # gone stale
    booking = earliest(office)
    assert booking.slot_id == office.slots[1].pk
    assert Slot.objects.get(pk=taken.slot_id).status == Slot.Status.BUSY
    assert Booking.objects.filter(slot_id=taken.slot_id, status__in=ACTIVE_STATUSES).count() == 1


def test_a_counter_serving_several_services_is_searched_too() -> None:
    birth, marriage = ServiceFactory.create(), ServiceFactory.create()
    shared = counter(service=birth)
    shared.services.add(marriage)
    slots = slots_for(shared)  # made after the second service: open to both
    citizen = CitizenFactory.create()
    booking = services.booking_earliest(
        service=marriage,
        institution=shared.institution,
        citizen=citizen,
        by_user=account(citizen),
    )
    assert slots[0].service_id is None
    assert booking.slot_id == slots[0].pk
    assert booking.service_id == marriage.pk


def test_a_counter_that_no_longer_serves_the_service_is_passed_over(office: Office) -> None:
    """Its slots for the service stay in the table, but neither the first available time
    nor the list of free slots offers them: the counter beside it does."""
    other = counter(service=office.service, institution=office.resource.institution, name="2")
    beside = slots_for(other)
    assert beside[0].start == office.slots[0].start  # as early, and made later
    office.resource.services.remove(office.service)
    booking = earliest(office)
    assert booking.slot_id == beside[0].pk
    listed = selectors.slots_free(service=office.service, institution=other.institution)
    assert {slot.resource_id for slot in listed} == {other.pk}


def test_a_service_with_no_free_time_is_a_conflict_naming_the_office(office: Office) -> None:
    Slot.objects.filter(resource=office.resource).update(status=Slot.Status.BUSY_UNAVAILABLE)
    with pytest.raises(Conflict) as caught:
        earliest(office)
    assert caught.value.field == "institution_id"
    assert not Booking.objects.exists()


def test_another_office_has_no_slots_of_this_one(office: Office) -> None:
    elsewhere = counter(service=office.service)  # another institution, no slots generated
    with pytest.raises(Conflict):
        services.booking_earliest(
            service=office.service,
            institution=elsewhere.institution,
            citizen=office.citizen,
            by_user=account(office.citizen),
        )
    assert not Booking.objects.exists()


@pytest.mark.parametrize("book", [earliest, for_self])
def test_the_limit_per_service_holds(office: Office, book: Callable[[Office], Booking]) -> None:
    book(office)
    book(office)
    with pytest.raises(ApplicationError) as caught:
        book(office)
    assert caught.value.field == "service_id"
    assert Booking.objects.count() == 2


def test_a_service_off_offer_is_refused(office: Office) -> None:
    office.service.is_active = False
    office.service.save()
    with pytest.raises(ApplicationError) as caught:
        earliest(office)
    assert caught.value.field == "service_id"
    assert not Booking.objects.exists()


def test_a_guardian_books_for_a_child_but_not_for_a_stranger(office: Office) -> None:
    child = child_of(office.citizen)
    booking = earliest(office, citizen=child, by_user=account(office.citizen))
    assert booking.citizen_id == child.pk
    with pytest.raises(ApplicationError) as caught:
        earliest(office, citizen=CitizenFactory.create(), by_user=account(office.citizen))
    assert caught.value.field == "citizen_id"
    assert Booking.objects.count() == 1


# --- the API ---------------------------------------------------------------------------


def post(key: str, body: dict[str, Any]) -> Any:
    return Client().post(
        PATH, body, content_type="application/json", headers={"Authorization": f"Bearer {key}"}
    )


def body(office: Office, **more: object) -> dict[str, Any]:
    return {
        "service_id": office.service.pk,
        "institution_id": office.resource.institution_id,
        **more,
    }


def test_the_api_books_the_first_available_time(office: Office) -> None:
    _token, key = token_for(account(office.citizen))
    response = post(key, body(office, confirm=True))
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["slot"]["id"] == office.slots[0].pk
    assert answer["status"] == "booked"
    assert answer["institution"] == office.resource.institution.name
    again = post(key, body(office, after=office.slots[5].start.isoformat()))
    assert (again.status_code, again.json()["slot"]["id"]) == (201, office.slots[6].pk)


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"service_id": 10**9}, 404, "service_id"),
        ({"institution_id": 10**9}, 404, "institution_id"),
        ({"after": "2030-01-01T09:00:00"}, 400, "after"),
        ({"after": "soon"}, 422, "after"),
        ({"citizen_id": 10**9}, 400, "citizen_id"),
    ],
)
def test_bad_requests_name_the_field_and_book_nothing(
    office: Office, change: dict[str, Any], status: int, field: str
) -> None:
    _token, key = token_for(account(office.citizen))
    response = post(key, {**body(office), **change})
    assert response.status_code == status, response.json()
    assert field in str(response.json()["field"])
    assert not Booking.objects.exists()


def test_a_fully_booked_service_is_a_409(office: Office) -> None:
    Slot.objects.filter(resource=office.resource).update(status=Slot.Status.BUSY)
    _token, key = token_for(account(office.citizen))
    response = post(key, body(office))
    assert (response.status_code, response.json()["field"]) == (409, "institution_id")


def test_a_clerk_books_the_first_available_time_for_a_caller(office: Office) -> None:
    clerk = OfficialFactory.create(institution=office.resource.institution)
    _token, key = token_for(clerk.user)
    response = post(key, body(office, citizen_id=office.citizen.pk, confirm=True))
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get(pk=response.json()["id"])
    assert (booking.citizen_id, booking.booked_by_id) == (office.citizen.pk, clerk.user.pk)


def test_booking_the_first_available_time_needs_sign_in(office: Office) -> None:
    response = Client().post(PATH, body(office), content_type="application/json")
    assert response.status_code in {401, 403}
    assert not Booking.objects.exists()
