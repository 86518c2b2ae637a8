"""Many requests at the same moment, on real connections: the slot has exactly one winner
and the citizen's limit holds."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.utils import timezone

from gorod.errors import ApplicationError, Conflict
from gorod.people.models import Citizen
from gorod.places.models import Institution
from gorod.scheduling import services
from gorod.scheduling.models import ACTIVE_STATUSES, Booking, Service, Slot
from tests.people.factories import CitizenFactory, account
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = pytest.mark.django_db(transaction=True)

RIVALS = 8

Booker = Callable[[Slot, Citizen], None]


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is real on PostgreSQL")


def hold(slot: Slot, citizen: Citizen) -> None:
    services.booking_hold(
        slot=slot,
        citizen=citizen,
        service=slot.resource.services.get(),
        by_user=account(citizen),
        confirm=True,
    )


def hold_for_self(slot: Slot, citizen: Citizen) -> None:
    """By ids, as the API books for oneself: the function of migration 0006."""
    services.booking_hold_for_self(
        by_user=account(citizen), slot_id=slot.pk, service_id=slot.service_id, confirm=True
    )


BOOKERS = pytest.mark.parametrize("book", [hold, hold_for_self])


def race(attempts: list[tuple[Slot, Citizen]], book: Booker) -> list[str]:
    """Every attempt books at once; each thread reports "won", "taken" or the refused field."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def attempt(slot: Slot, citizen: Citizen) -> None:
        try:
            barrier.wait()
            book(slot, citizen)
            outcomes.append("won")
        except Conflict:
            outcomes.append("taken")
        except ApplicationError as refused:
            outcomes.append(str(refused.field))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=pair) for pair in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@BOOKERS
def test_concurrent_holds_of_one_slot_have_exactly_one_winner(book: Booker) -> None:
    slot = slots_for(counter(service=ServiceFactory.create()))[0]
    outcomes = race([(slot, CitizenFactory.create()) for _ in range(RIVALS)], book)
    assert sorted(outcomes) == ["taken"] * (RIVALS - 1) + ["won"]
    assert Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count() == 1


@BOOKERS
def test_a_stale_hold_gives_way_to_exactly_one_of_the_rivals(book: Booker) -> None:
    slot = slots_for(counter(service=ServiceFactory.create()))[0]
    stale = services.booking_hold(
        slot=slot,
        citizen=(holder := CitizenFactory.create()),
        service=slot.resource.services.get(),
        by_user=account(holder),
    )
    Booking.objects.filter(pk=stale.pk).update(
        hold_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    outcomes = race([(slot, CitizenFactory.create()) for _ in range(RIVALS)], book)
    assert sorted(outcomes) == ["taken"] * (RIVALS - 1) + ["won"]
    assert Booking.objects.get(pk=stale.pk).status == Booking.Status.CANCELLED
    assert Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count() == 1


@BOOKERS
def test_one_citizens_parallel_requests_stop_at_the_limit(book: Booker) -> None:
    slots = slots_for(counter(service=ServiceFactory.create()))[:RIVALS]
    citizen = CitizenFactory.create()
    outcomes = race([(slot, citizen) for slot in slots], book)
    assert sorted(outcomes) == ["service_id"] * (RIVALS - 2) + ["won", "won"]
    assert Booking.objects.filter(citizen=citizen, status__in=ACTIVE_STATUSES).count() == 2


def race_earliest(
    service: Service, institution: Institution, citizens: list[Citizen]
) -> list[int | str]:
    """Every citizen asks for the first available time at once; each thread reports the
    slot it got or the refused field."""
    barrier = threading.Barrier(len(citizens))
    outcomes: list[int | str] = []

    def attempt(citizen: Citizen) -> None:
        try:
            barrier.wait()
            booking = services.booking_earliest(
                service=service,
                institution=institution,
                citizen=citizen,
                by_user=account(citizen),
                confirm=True,
            )
            outcomes.append(booking.slot_id)
        except ApplicationError as refused:
            outcomes.append(str(refused.field))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(citizen,)) for citizen in citizens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_parallel_requests_for_the_first_available_time_all_get_different_slots() -> None:
    """FOR UPDATE SKIP LOCKED: each request takes the earliest slot nobody else holds, so
    none loses a race, and together they take exactly the earliest slots."""
    service = ServiceFactory.create()
    slots = slots_for(counter(service=service))
    citizens = [CitizenFactory.create() for _ in range(RIVALS)]
    outcomes = race_earliest(service, slots[0].resource.institution, citizens)
    assert sorted(outcomes, key=str) == sorted((slot.pk for slot in slots[:RIVALS]), key=str)
    assert Booking.objects.filter(status__in=ACTIVE_STATUSES).count() == RIVALS


def test_one_citizens_parallel_requests_for_the_first_available_time_stop_at_the_limit() -> None:
    """The citizen's row is locked in the statement that finds the slot, so each request
    counts the bookings of those before it."""
    service = ServiceFactory.create()
    slots = slots_for(counter(service=service))
    citizen = CitizenFactory.create()
    outcomes = race_earliest(service, slots[0].resource.institution, [citizen] * RIVALS)
    assert sorted(outcomes, key=str) == sorted(
        [slots[0].pk, slots[1].pk, *["service_id"] * (RIVALS - 2)], key=str
    )
    assert Booking.objects.filter(citizen=citizen, status__in=ACTIVE_STATUSES).count() == 2
    assert set(Slot.objects.filter(status=Slot.Status.BUSY).values_list("pk", flat=True)) == {
        slots[0].pk,
        slots[1].pk,
    }
