"""An office's day as the simulation takes it: hours, arrivals, services, counters, bookings.

Walk-ins per hour come from the office's history (the staffing forecast of walk-ins) or, without
history, from a typical profile of its kind; service times from history or the services'
average durations; appointments from the day's bookings or, without any, one every
``BOOKING_EVERY_MINUTES`` for the services that can be booked.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Count
from django.utils import timezone

from gorod.places.models import Institution
from gorod.queues import conf, selectors
from gorod.queues.models import Ticket
from gorod.queues.simulation import DayPlan
from gorod.scheduling.models import Booking
from gorod.scheduling.services import local_zone

BOOKING_EVERY_MINUTES = 20
# Walk-ins per hour at the busiest time of a typical day, and how the day is shaped.
PEAK_PER_HOUR: dict[str, float] = {
    Institution.Kind.REGISTRY_OFFICE: 9.0,
    Institution.Kind.SERVICE_CENTRE: 22.0,
}
SHAPE = {8: 0.5, 9: 0.7, 10: 1.0, 11: 1.0, 12: 0.9, 13: 0.6, 14: 0.8, 15: 0.9, 16: 0.8}
LATE_SHAPE = 0.6


def _minutes(t: dt.time) -> int:
    return 24 * 60 if t == dt.time.max else t.hour * 60 + t.minute


def _rates(office: Institution, day: dt.date) -> dict[int, float]:
    # Walk-ins only: booked visitors are simulated at their appointments (counting them
    # here as well would count them twice, and demo history would grow day by day).
    forecast = selectors.arrivals_forecast_of(office=office, day=day, walk_ins_only=True)
    if forecast is not None:
        return forecast
    peak = PEAK_PER_HOUR.get(office.kind, 10.0)
    return {hour: peak * SHAPE.get(hour, LATE_SHAPE) for hour in range(24)}


def _appointments(
    office: Institution, day: dt.date, spans: list[tuple[int, int]], rng: random.Random
) -> list[tuple[int, int]]:
    offered = {s.booking_service_id: s.pk for s in selectors.services_of(office=office)}
    bookable = sorted(pk for booked_as, pk in offered.items() if booked_as is not None)
    real = Booking.objects.filter(
        slot__resource__institution=office,
        slot__start__date=day,
        status__in=[Booking.Status.BOOKED, Booking.Status.ARRIVED, Booking.Status.FULFILLED],
    ).values_list("slot__start", "service_id")
    zone = local_zone()
    found = [
        (_minutes(start.astimezone(zone).time()), offered[service])
        for start, service in real
        if service in offered
    ]
    if found or not bookable:
        return found
    return [
        (minute, rng.choice(bookable))
        for start, end in spans
        for minute in range(start, end - 15, BOOKING_EVERY_MINUTES)
    ]


def day_plan(*, office: Institution, day: dt.date, seed: int) -> DayPlan:
    rng = random.Random(seed)  # noqa: S311  (a simulation, not a secret)
    spans = [
        (_minutes(a), _minutes(b)) for a, b in selectors.office_hours_on(office=office, day=day)
    ]
    offered = list(selectors.services_of(office=office))
    times = selectors.service_times(office=office, now=timezone.now())
    counters = {
        c.pk: frozenset(s.pk for s in c.services.all())
        for c in selectors.counters_of(office=office)
    }
    mix = dict(
        Ticket.objects.filter(office=office)
        .values_list("service_id")
        .annotate(n=Count("pk"))
        .values_list("service_id", "n")
    )
    return DayPlan(
        open_spans=spans,
        rates=_rates(office, day),
        mix={s.pk: float(mix.get(s.pk, 1)) for s in offered},
        service_minutes={
            s.pk: times.mean(s.pk, prior=s.average_minutes * 60) / 60 for s in offered
        },
        counters=counters,
        appointments=_appointments(office, day, spans, rng),
        priority_head_start_minutes=conf.priority_head_start().total_seconds() / 60,
        counter_pace={pk: rng.uniform(0.85, 1.25) for pk in counters},
        priority_rates=selectors.priority_rates(office=office, day=day),
    )
