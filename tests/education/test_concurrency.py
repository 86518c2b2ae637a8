"""Under real concurrency (PostgreSQL): one application per child, and refusals that arrive
together never place more children than a programme has places."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from gorod.education.models import Application, Offer, Programme
from gorod.education.services import application_submit, offer_decline
from gorod.errors import ApplicationError
from tests.education.factories import ProgrammeFactory, RoundFactory, decided_round, kid_of
from tests.people.factories import CitizenFactory, account

pytestmark = pytest.mark.django_db(transaction=True)


def _together(actions: list[Callable[[], None]]) -> list[str]:
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database is not shared between connections")
    outcomes: list[str] = []
    start = threading.Barrier(len(actions))

    def run(action: Callable[[], None]) -> None:
        try:
            start.wait()
            action()
            outcomes.append("done")
        except ApplicationError as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_a_child_gets_one_application_however_many_arrive_at_once() -> None:
    parent = CitizenFactory.create()
    child = kid_of(parent)
    round_, programme = RoundFactory.create(), ProgrammeFactory.create()

    def submit() -> None:
        application_submit(
            round_=round_, child=child, user=account(parent), programme_ids=[programme.pk]
        )

    assert _together([submit] * 4) == ["Conflict"] * 3 + ["done"]
    assert Application.objects.count() == 1


def test_refusals_at_the_same_time_keep_every_programme_within_its_places() -> None:
    _round, popular, applications = decided_round(families=6)
    offers = list(Offer.objects.filter(status="offered").select_related("application__guardian"))

    def decline(offer: Offer) -> Callable[[], None]:
        def act() -> None:
            offer_decline(offer=offer, user=account(offer.application.guardian))

        return act

    assert _together([decline(offer) for offer in offers[:3]]) == ["done"] * 3
    for programme in Programme.objects.all():
        live = Offer.objects.filter(programme=programme, status__in=["offered", "accepted"])
        assert live.count() <= programme.capacity
    assert Application.objects.filter(assigned=popular).count() == 1
    assert len(applications) == 6
