"""Many requests for one slot at the same moment, on real connections: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from gorod.errors import Conflict
from gorod.people.models import Citizen
from gorod.scheduling import services
from gorod.scheduling.models import ACTIVE_STATUSES, Booking, Slot
from tests.people.factories import CitizenFactory, account
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = pytest.mark.django_db(transaction=True)

RIVALS = 8


def race(slot: Slot, citizens: list[Citizen]) -> list[str]:
    """Every citizen asks for ``slot`` at once; each thread reports "won" or "taken"."""
    barrier = threading.Barrier(len(citizens))
    outcomes: list[str] = []

    def attempt(citizen: Citizen) -> None:
        try:
            barrier.wait()
            services.booking_hold(
                slot=slot,
                citizen=citizen,
                service=slot.resource.services.get(),
                by_user=account(citizen),
                confirm=True,
            )
            outcomes.append("won")
        except Conflict:
            outcomes.append("taken")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in citizens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_holds_of_one_slot_have_exactly_one_winner() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is real on PostgreSQL")
    slot = slots_for(counter(service=ServiceFactory.create()))[0]
    citizens = [CitizenFactory.create() for _ in range(RIVALS)]
    outcomes = race(slot, citizens)
    assert sorted(outcomes) == ["taken"] * (RIVALS - 1) + ["won"]
    assert Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).count() == 1
