"""The learned service times come from one aggregate query and equal the model learned
visit by visit (the way they were read before), and so do the estimates made with them;
only the last weeks' visits count."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.test import override_settings

from gorod.places.models import Institution
from gorod.queues import conf, selectors, services
from gorod.queues.estimators import ServiceSample, ServiceTimes
from gorod.queues.models import Ticket
from tests.queues.factories import MOSCOW, Hall, at

pytestmark = pytest.mark.django_db


def visit_by_visit(*, office: Institution, now: dt.datetime) -> ServiceTimes:
    """The reference: every finished visit read and learned one by one in Python."""
    done = Ticket.objects.filter(
        office=office,
        status=Ticket.Status.DONE,
        day__gte=selectors.local_day(now) - dt.timedelta(days=conf.history_days()),
        counter__isnull=False,
    ).values_list("service_id", "counter_id", "called_at", "served_at", "finished_at")
    samples = [
        ServiceSample(service, counter, seconds)
        for service, counter, called, served, finished in done
        if counter is not None
        and (seconds := selectors.served_seconds(called, served, finished)) is not None
    ]
    priors = {s.pk: 60.0 * s.average_minutes for s in selectors.services_of(office=office)}
    return ServiceTimes.learn(samples, prior=15 * 60, priors=priors)


def history(hall: Hall, *, seed: int = 7) -> None:
    """Finished visits on the 30 days before the test Monday, to the microsecond (some on a
    whole second, some never marked as begun), with no-shows, a visit at no counter and
    the oldest ones outside the four weeks learned from."""
    rng = random.Random(seed)
    pairs = [(hall.a, hall.one), (hall.b, hall.one), (hall.a, hall.two)]
    rows = []
    for back in range(1, 31):
        day = at(0).date() - dt.timedelta(days=back)
        for number in range(1, 13):
            service, counter = rng.choice(pairs)
            called = at(-back * 24 * 60 + number * 20) + dt.timedelta(
                microseconds=rng.randrange(1_000_000) if number % 4 else 0
            )
            served = None if number % 5 == 0 else called + dt.timedelta(seconds=rng.uniform(0, 90))
            status = Ticket.Status.NO_SHOW if number == 7 else Ticket.Status.DONE
            rows.append(
                Ticket(
                    office=hall.office,
                    service=service,
                    day=day,
                    letter=service.letter,
                    number=number,
                    status=status,
                    counter=None if number == 11 else counter,
                    issued_at=called - dt.timedelta(minutes=5),
                    called_at=called,
                    served_at=served if status == Ticket.Status.DONE else None,
                    finished_at=(served or called)
                    + dt.timedelta(seconds=rng.gammavariate(2.0, 300.0)),
                )
            )
    Ticket.objects.bulk_create(rows)


def test_the_aggregate_learns_what_the_visits_one_by_one_learn(hall: Hall) -> None:
    history(hall)
    learned = selectors.service_times(office=hall.office, now=at(0))
    reference = visit_by_visit(office=hall.office, now=at(0))
    assert set(learned.by_pair) == set(reference.by_pair) and len(reference.by_pair) == 3
    for key, (n, mean) in reference.by_pair.items():
        assert learned.by_pair[key][0] == n and learned.by_pair[key][1] == pytest.approx(mean)
    for service, (n, mean) in reference.by_service.items():
        assert learned.by_service[service][0] == n
        assert learned.by_service[service][1] == pytest.approx(mean, rel=1e-12)
    assert sum(n for n, _mean in reference.by_pair.values()) == 28 * 10  # 4 weeks, no-show
    assert learned.cv2 == pytest.approx(reference.cv2, rel=1e-12)
    assert reference.cv2 != 1.0  # learned, not the prior
    for service in (hall.a.pk, hall.b.pk):
        for counter in (hall.one.pk, hall.two.pk, None):
            assert learned.mean(service, counter) == pytest.approx(
                reference.mean(service, counter), rel=1e-12
            )


def test_the_ticket_s_estimate_is_the_same(hall: Hall, monkeypatch: pytest.MonkeyPatch) -> None:
    history(hall)
    for minute in range(6):
        services.ticket_issue(
            office=hall.office, service=(hall.a, hall.b)[minute % 2], now=at(minute)
        )
    mine = services.ticket_issue(office=hall.office, service=hall.b, now=at(6))
    services.call_next(counter=hall.one, clerk=hall.clerk, now=at(7))
    services.call_next(counter=hall.two, clerk=hall.other_clerk, now=at(8))
    now = at(12)
    learned = selectors.ticket_position(ticket=mine, now=now)
    monkeypatch.setattr(selectors, "service_times", visit_by_visit)
    reference = selectors.ticket_position(ticket=mine, now=now)
    assert reference.wait_seconds is not None and reference.wait_seconds > 5 * 60
    assert learned.wait_seconds == pytest.approx(reference.wait_seconds, rel=1e-9)
    assert (learned.ahead, learned.wait_minutes) == (reference.ahead, reference.wait_minutes)


def test_without_history_the_service_s_stated_average_is_the_mean(hall: Hall) -> None:
    learned = selectors.service_times(office=hall.office, now=at(0))
    assert learned.by_pair == {} and learned.cv2 == 1.0
    assert learned.mean(hall.a.pk, hall.one.pk) == 60.0 * hall.a.average_minutes


def finished(hall: Hall, *, back: int, minutes: float, number: int = 1) -> Ticket:
    """A visit to counter one for service A ``back`` days before the test Monday."""
    called = at(-back * 24 * 60)
    return Ticket.objects.create(
        office=hall.office,
        service=hall.a,
        day=called.astimezone(MOSCOW).date(),
        letter="A",
        number=number,
        status=Ticket.Status.DONE,
        counter=hall.one,
        issued_at=called - dt.timedelta(minutes=5),
        called_at=called,
        finished_at=called + dt.timedelta(minutes=minutes),
    )


def test_a_visit_older_than_the_window_does_not_count(hall: Hall) -> None:
    finished(hall, back=28, minutes=10)  # the window's first day
    finished(hall, back=29, minutes=50)  # the day before it
    learned = selectors.service_times(office=hall.office, now=at(0))
    assert learned.by_pair == {(hall.a.pk, hall.one.pk): (1, 600.0)}


@override_settings(GOROD_QUEUES_HISTORY_DAYS=7)
def test_the_window_is_a_setting(hall: Hall) -> None:
    finished(hall, back=7, minutes=10)
    finished(hall, back=8, minutes=50)
    learned = selectors.service_times(office=hall.office, now=at(0))
    assert learned.by_pair == {(hall.a.pk, hall.one.pk): (1, 600.0)}


def test_today_s_finished_visits_count(hall: Hall) -> None:
    finished(hall, back=0, minutes=10)
    learned = selectors.service_times(office=hall.office, now=at(30))
    assert learned.by_pair == {(hall.a.pk, hall.one.pk): (1, 600.0)}
