"""Two clerks calling at the same moment never get the same visitor (PostgreSQL, threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from gorod.queues import services
from gorod.queues.models import Counter, Ticket
from tests.queues.factories import Hall, at, clerk_of, counter_create

CLERKS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_never_share_a_ticket(hall: Hall) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    counters: list[Counter] = [hall.one, hall.two]
    counters += [counter_create(hall.office, n, hall.a) for n in range(3, CLERKS + 1)]
    clerks = [hall.clerk, hall.other_clerk]
    clerks += [clerk_of(hall.office) for _ in range(CLERKS - 2)]
    for n in range(CLERKS // 2):
        services.ticket_issue(office=hall.office, service=hall.a, now=at(n))
    barrier = threading.Barrier(CLERKS)
    got: list[int | None] = []
    errors: list[BaseException] = []

    def clerk_calls(index: int) -> None:
        try:
            barrier.wait()
            ticket = services.call_next(counter=counters[index], clerk=clerks[index], now=at(30))
            got.append(ticket.pk if ticket else None)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk_calls, args=(i,)) for i in range(CLERKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    called = [pk for pk in got if pk is not None]
    assert len(called) == len(set(called)) == CLERKS // 2
    assert Ticket.objects.filter(status=Ticket.Status.CALLED).count() == CLERKS // 2
    assert got.count(None) == CLERKS - CLERKS // 2


@pytest.mark.django_db(transaction=True)
def test_kiosks_at_once_never_give_the_same_number(hall: Hall) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    barrier = threading.Barrier(CLERKS)
    errors: list[BaseException] = []

    def kiosk_takes() -> None:
        try:
            barrier.wait()
            services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=kiosk_takes) for _ in range(CLERKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == list(range(1, CLERKS + 1))
