"""The visitor's ticket-status request on a demo-sized history, timed.

``gorod queues bench [--days 28] [--per-day 126] [--waiting 10] [--requests 50] [--json]``
makes, in a transaction rolled back at the end (the database is left as it was), a
service centre open round the clock with the demo's services and counters (six), a clerk
on shift at each counter, ``--days`` days of finished visits (``--per-day`` a day: the
demo's busy Tverskoy centre has 126 on a weekday) and ``--waiting`` visitors waiting
today. Then, through Django's test client (the middleware, the view, the template, the
database; no network), the last visitor's ticket status is fetched ``--requests`` times,
as the page's htmx part (``/queues/ticket/<token>/status/``) and as the API (``GET
/api/v1/queues/tickets/<token>``), and the learned service-time model alone is timed as
many times. Figures: the mean and median milliseconds and the SQL queries per request.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gorod.people.models import Official, Role, User
from gorod.places.hours import WEEKDAYS
from gorod.places.models import Institution
from gorod.places.services import bench_office
from gorod.queues import demo, selectors
from gorod.queues.models import Counter, Shift, Ticket
from gorod.scheduling.services import local_zone

ALL_DAY = {day: [["00:00", "24:00"]] for day in WEEKDAYS}


def _office() -> Institution:
    return bench_office(
        kind=Institution.Kind.SERVICE_CENTRE, name="МФЦ (бенчмарк)", opening_hours=ALL_DAY
    )


def _history(
    office: Institution, counters: list[Counter], *, days: int, per_day: int, seed: int
) -> int:
    """``per_day`` finished visits on each of the last ``days`` days, 09:00 to 20:00,
    each at a counter that serves its service, gamma service times around 15 minutes."""
    rng = random.Random(seed)  # noqa: S311  (a benchmark, not a secret)
    zone = local_zone()
    today = selectors.local_day(timezone.now())
    pairs = [(s.pk, s.letter, c.pk) for c in counters for s in c.services.all()]
    rows = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        opening = dt.datetime.combine(day, dt.time(9), tzinfo=zone)
        numbers: dict[str, int] = {}
        for _visit in range(per_day):
            service, letter, counter = rng.choice(pairs)
            numbers[letter] = numbers.get(letter, 0) + 1
            issued = opening + dt.timedelta(seconds=rng.uniform(0, 11 * 3600))
            called = issued + dt.timedelta(seconds=rng.expovariate(1 / 600))
            finished = called + dt.timedelta(seconds=rng.gammavariate(2.0, 450.0))
            rows.append(
                Ticket(
                    office=office,
                    service_id=service,
                    day=day,
                    letter=letter,
                    number=numbers[letter],
                    status=Ticket.Status.DONE,
                    counter_id=counter,
                    issued_at=issued,
                    called_at=called,
                    served_at=called,
                    finished_at=finished,
                )
            )
    Ticket.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _today(office: Institution, counters: list[Counter], *, waiting: int, seed: int) -> Ticket:
    """Clerks on shift at every counter, ``waiting`` visitors in the line; the last one."""
    rng = random.Random(seed)  # noqa: S311
    now = timezone.now()
    for counter in counters:
        user = User.objects.create(email=f"bench-clerk-{office.pk}-{counter.number}@gorod.invalid")
        clerk = Official.objects.create(user=user, role=Role.REGISTRY_CLERK, institution=office)
        Shift.objects.create(counter=counter, clerk=clerk, start=now - dt.timedelta(hours=1))
    services = list(selectors.services_of(office=office))
    last: Ticket | None = None
    for number in range(1, waiting + 1):
        service = rng.choice(services)
        last = Ticket.objects.create(
            office=office,
            service=service,
            day=selectors.local_day(now),
            letter=service.letter,
            number=number,
            issued_at=now - dt.timedelta(minutes=waiting - number),
        )
    assert last is not None  # noqa: S101  (waiting >= 1 is checked by the command)
    return last


def _timed(requests: int, call: Callable[[], object]) -> dict[str, float]:
    call()  # warm up: templates compiled, connections open
    seconds = []
    with CaptureQueriesContext(connection) as queries:
        for _request in range(requests):
            start = time.perf_counter()
            call()
            seconds.append(time.perf_counter() - start)
    return {
        "mean_ms": round(1000 * statistics.fmean(seconds), 2),
        "median_ms": round(1000 * statistics.median(seconds), 2),
        "queries_per_request": round(len(queries.captured_queries) / requests, 1),
    }


def _host() -> str:
    """A host name the site answers to (the first allowed one that is not a pattern)."""
    named = [h for h in settings.ALLOWED_HOSTS if h != "*" and not h.startswith(".")]
    return named[0] if named else "127.0.0.1"


def _get(client: Client, path: str) -> Callable[[], object]:
    host = _host()

    def call() -> object:
        response = client.get(path, HTTP_HOST=host)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {response.status_code}")
        return response

    return call


def ticket_status_bench(
    *, days: int, per_day: int, waiting: int, requests: int, seed: int = 1
) -> dict[str, Any]:
    """Build the office, time the requests, roll everything back; the figures."""
    with transaction.atomic():
        office = _office()
        counters = demo._counters(office, demo._services()[office.kind])
        history = _history(office, counters, days=days, per_day=per_day, seed=seed)
        ticket = _today(office, counters, waiting=waiting, seed=seed)
        client = Client()
        figures = {
            "database": connection.vendor,
            "history_tickets": history,
            "waiting": waiting,
            "requests": requests,
            "ticket_status_page": _timed(
                requests, _get(client, f"/queues/ticket/{ticket.token}/status/")
            ),
            "ticket_api": _timed(requests, _get(client, f"/api/v1/queues/tickets/{ticket.token}")),
            "service_times": _timed(
                requests,
                lambda: selectors.service_times(office=office, now=timezone.now()),
            ),
        }
        transaction.set_rollback(True)  # the database is left as it was
    return figures
