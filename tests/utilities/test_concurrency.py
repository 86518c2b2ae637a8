"""Under real concurrency (PostgreSQL): one reading in effect per meter and month, one bill
per apartment and month, however many submissions or month closes race."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from gorod.errors import Conflict
from gorod.people.models import Citizen
from gorod.utilities.models import Bill, Reading
from gorod.utilities.services import period_close, readings_submit
from tests.people.factories import CitizenFactory
from tests.utilities.factories import in_window, meter_for

pytestmark = pytest.mark.django_db(transaction=True)

MARCH = dt.date(2026, 3, 1)


def _race(work: list[Callable[[], None]]) -> list[str]:
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database is not shared between connections")
    outcomes: list[str] = []
    start = threading.Barrier(len(work))

    def run(job: Callable[[], None]) -> None:
        try:
            start.wait()
            job()
            outcomes.append("done")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_racing_submissions_leave_one_reading_in_effect() -> None:
    citizen: Citizen = CitizenFactory.create()
    meter = meter_for(citizen.apartment)
    assert citizen.user is not None
    user = citizen.user

    def submit(value: str) -> Callable[[], None]:
        def job() -> None:
            readings_submit(user=user, values={meter.pk: value}, now=in_window(MARCH))

        return job

    outcomes = _race([submit(f"{10 + n}") for n in range(6)])

    assert len(outcomes) == 6
    assert set(outcomes) <= {"done", "conflict"}
    assert Reading.objects.filter(meter=meter, status=Reading.Status.ACCEPTED).count() == 1


def test_racing_month_closes_issue_one_bill() -> None:
    citizens = CitizenFactory.create_batch(3)
    for citizen in citizens:
        meter_for(citizen.apartment)

    def close() -> None:
        period_close(period=MARCH, smart_values={}, now=in_window(MARCH, day=27))

    outcomes = _race([close for _ in range(4)])

    assert outcomes == ["done"] * 4
    assert Bill.objects.count() == 3
    assert Reading.objects.filter(status=Reading.Status.ESTIMATED).count() == 3
