"""A chosen slot booked for oneself by ids: ``services.booking_hold_for_self``, which
``POST /api/v1/scheduling/bookings`` uses when no citizen is named. On PostgreSQL it is one
call of the function of migration 0006; what stands in the way is said as by
``booking_hold``, and changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people.models import User
from gorod.scheduling import services
from gorod.scheduling.models import ACTIVE_STATUSES, Booking, Slot
from tests.people.factories import CitizenFactory, UserFactory, account
from tests.scheduling.conftest import Office
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = pytest.mark.django_db


def hold(
    office: Office, slot: Slot | None = None, user: User | None = None, **kwargs: Any
) -> Booking:
    return services.booking_hold_for_self(
        by_user=user or account(office.citizen),
        slot_id=kwargs.pop("slot_id", (slot or office.slots[0]).pk),
        service_id=kwargs.pop("service_id", office.service.pk),
        **kwargs,
    )


def test_the_slot_is_held_for_the_users_own_record(office: Office) -> None:
    with CaptureQueriesContext(connection) as queries:
        booking = hold(office, office.slots[2], confirm=True)
    if connection.vendor == "postgresql":  # the slot, service and citizen in the call
        assert len(queries) == 1
        assert "scheduling_book_slot(" in queries[0]["sql"]
    assert (booking.citizen_id, booking.slot_id, booking.status) == (
        office.citizen.pk,
        office.slots[2].pk,
        Booking.Status.BOOKED,
    )
    assert booking.slot.status == Slot.Status.BUSY
    assert (booking.service.name, booking.slot.resource.institution.name) == (
        office.service.name,
        office.resource.institution.name,
    )
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.code, stored.booked_by_id, stored.status) == (
        booking.code,
        account(office.citizen).pk,
        Booking.Status.BOOKED,
    )
    assert Slot.objects.get(pk=office.slots[2].pk).status == Slot.Status.BUSY


def test_without_confirm_it_is_a_hold_that_expires(office: Office) -> None:
    booking = hold(office)
    assert booking.status == Booking.Status.PENDING
    assert booking.hold_expires_at is not None
    assert booking.hold_expires_at > timezone.now()
    assert Booking.objects.get(pk=booking.pk).hold_expires_at == booking.hold_expires_at


def test_a_slot_just_taken_is_a_conflict_with_the_nearest_free_ones(office: Office) -> None:
    rival = CitizenFactory.create()
    taken = office.slots[3]
    services.booking_hold(
        slot=taken, citizen=rival, service=office.service, by_user=account(rival), confirm=True
    )
    Slot.objects.filter(pk=taken.pk).update(status=Slot.Status.FREE)  # as a page listed it
    with CaptureQueriesContext(connection) as queries, pytest.raises(Conflict) as caught:
        hold(office, taken)
    if connection.vendor == "postgresql":  # the call, then the nearest free slots
        assert len(queries) == 2
    assert caught.value.field == "slot_id"
    nearest = [row["id"] for row in caught.value.extra["nearest"]]
    assert taken.pk not in nearest
    assert {office.slots[2].pk, office.slots[4].pk} <= set(nearest)
    assert Booking.objects.filter(citizen=office.citizen).count() == 0


def test_an_expired_hold_still_on_the_slot_gives_way(office: Office) -> None:
    rival = CitizenFactory.create()
    stale = services.booking_hold(
        slot=office.slots[0], citizen=rival, service=office.service, by_user=account(rival)
    )
    Booking.objects.filter(pk=stale.pk).update(
        hold_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    booking = hold(office)
    assert booking.slot_id == office.slots[0].pk
    assert Booking.objects.get(pk=stale.pk).status == Booking.Status.CANCELLED


def test_the_limit_per_service_holds(office: Office) -> None:
    hold(office, office.slots[0])
    hold(office, office.slots[1])
    with pytest.raises(ApplicationError) as caught:
        hold(office, office.slots[2])
    assert caught.value.field == "service_id"
    assert caught.value.extra == {"limit": 2}
    assert Booking.objects.count() == 2
    assert Slot.objects.get(pk=office.slots[2].pk).status == Slot.Status.FREE


def _started(office: Office) -> dict[str, Any]:
    Slot.objects.filter(pk=office.slots[0].pk).update(
        start=timezone.now() - dt.timedelta(minutes=5)
    )
    return {}


def _withheld(office: Office) -> dict[str, Any]:
    Slot.objects.filter(pk=office.slots[0].pk).update(status=Slot.Status.BUSY_UNAVAILABLE)
    return {}


def _counter_closed(office: Office) -> dict[str, Any]:
    office.resource.is_active = False
    office.resource.save()
    return {}


def _counter_stopped_serving(office: Office) -> dict[str, Any]:
    """The slot is the service's own, but its counter no longer serves the service."""
    assert office.slots[0].service_id == office.service.pk
    office.resource.services.remove(office.service)
    return {}


def _off_offer(office: Office) -> dict[str, Any]:
    office.service.is_active = False
    office.service.save()
    return {}


def _another_service(office: Office) -> dict[str, Any]:
    return {"service_id": ServiceFactory.create().pk}


def _no_record(office: Office) -> dict[str, Any]:
    return {"user": UserFactory.create()}


@pytest.mark.parametrize(
    ("arrange", "raised", "field"),
    [
        (lambda office: {"slot_id": office.slots[-1].pk + 1000}, NotFound, "slot_id"),
        (lambda office: {"service_id": office.service.pk + 1000}, NotFound, "service_id"),
        (_started, ApplicationError, "slot_id"),
        (_withheld, ApplicationError, "slot_id"),
        (_counter_closed, ApplicationError, "slot_id"),
        (_counter_stopped_serving, ApplicationError, "slot_id"),
        (_off_offer, ApplicationError, "service_id"),
        (_another_service, ApplicationError, "slot_id"),
        (_no_record, ApplicationError, "citizen_id"),
    ],
    ids=[
        "no-such-slot",
        "no-such-service",
        "started",
        "withheld",
        "counter-closed",
        "counter-no-longer-serves",
        "service-off-offer",
        "slot-of-another-service",
        "no-citizen-record",
    ],
)
def test_each_refusal_names_its_field_and_books_nothing(
    office: Office, arrange: Any, raised: type[ApplicationError], field: str
) -> None:
    kwargs = arrange(office)
    with pytest.raises(raised) as caught:
        hold(office, **kwargs)
    assert caught.value.field == field
    assert not Booking.objects.exists()
    assert not Slot.objects.filter(status=Slot.Status.BUSY).exists()


def test_booking_hold_too_refuses_a_counter_that_no_longer_serves_the_service(
    office: Office,
) -> None:
    """The slot listing passes such a slot over; booking it by id is refused alike."""
    _counter_stopped_serving(office)
    with pytest.raises(ApplicationError) as caught:
        services.booking_hold(
            slot=office.slots[0],
            citizen=office.citizen,
            service=office.service,
            by_user=account(office.citizen),
        )
    assert caught.value.field == "slot_id"
    assert not Booking.objects.exists()


def test_a_slot_open_to_several_services_is_booked_for_the_one_asked() -> None:
    birth, marriage = ServiceFactory.create(), ServiceFactory.create()
    shared = counter(service=birth)
    shared.services.add(marriage)
    slot = slots_for(shared)[0]  # made after the second service: open to both
    citizen = CitizenFactory.create()
    booking = services.booking_hold_for_self(
        by_user=account(citizen), slot_id=slot.pk, service_id=marriage.pk
    )
    assert slot.service_id is None
    assert (booking.slot_id, booking.service_id, booking.service.name) == (
        slot.pk,
        marriage.pk,
        marriage.name,
    )
    assert Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count() == 1


def test_a_check_in_code_already_issued_is_drawn_again(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = hold(office, office.slots[0])
    codes = iter([first.code, "ZZZ222"])
    monkeypatch.setattr(services, "code_new", lambda: next(codes))
    second = hold(office, office.slots[1])
    assert second.code == "ZZZ222"
    assert Booking.objects.get(pk=second.pk).code == "ZZZ222"
