"""A day at an office, simulated: arrivals, bookings, no-shows, service times, the call rule.

Pure: no Django. A discrete-event simulation with the same call rule the counters use
(:mod:`gorod.queues.calling`): walk-ins arrive by a non-homogeneous Poisson process (the
hourly rates, by thinning), booked visitors come a little before their appointment or not
at all, some walk-ins leave before they are called, and each counter has its own pace.
At every walk-in's arrival both estimators (:mod:`gorod.queues.estimators`) predict the
wait, with service times learned from the services finished so far and, for QL, the
priority visitors expected to come (``priority_rates``, learned from the office's history
as the ticket page learns them); when the visitor is called, the prediction meets the
actual wait. The report gives each estimator's mean absolute error, over all walk-ins and
over those with and without a priority, so the better one can be chosen
(``GOROD_QUEUES_ESTIMATOR``).
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from gorod.queues.calling import Waiting, call_order, ordered, turn
from gorod.queues.estimators import (
    ESTIMATORS,
    LES,
    NAIVE,
    QL,
    Arrivals,
    Desk,
    ServiceSample,
    ServiceTimes,
    les_estimate,
    mean_absolute_error,
    naive_estimate,
    ql_estimate,
)

_MIDNIGHT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NO_SHOW_CALL_SECONDS = 60.0
GAMMA_SHAPE = 2.0  # service times vary (coefficient of variation 0.71), less than exponential


@dataclass(frozen=True)
class DayPlan:
    """What a day looks like. Times are minutes after midnight; ``rates`` are walk-ins per
    hour of the day; ``mix`` weighs the services walk-ins come for; ``priority_share`` of
    walk-ins carry a priority. ``priority_rates`` (hour of the day, then priority visitors
    per hour per service) are what QL is told to expect, as learned from history; without
    them it expects none."""

    open_spans: Sequence[tuple[int, int]]
    rates: Mapping[int, float]
    mix: Mapping[int, float]
    service_minutes: Mapping[int, float]
    counters: Mapping[int, frozenset[int]]
    appointments: Sequence[tuple[int, int]] = ()
    booked_no_show: float = 0.1
    walk_in_leaves: float = 0.03
    priority_share: float = 0.05
    priority_head_start_minutes: float = 30.0
    counter_pace: Mapping[int, float] = field(default_factory=dict)
    priority_rates: Mapping[int, Mapping[int, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Visit:
    ticket: int
    service: int
    booked: bool
    arrived: float  # seconds after midnight
    predicted: dict[str, float]
    priority: bool = False
    appointment: float | None = None  # seconds after midnight, for a booked visitor
    waited: float | None = None  # None: did not come when called
    counter: int | None = None
    called: float | None = None  # seconds after midnight
    service_seconds: float | None = None


@dataclass(frozen=True)
class Report:
    arrivals: int
    served: int
    no_shows: int
    mean_wait_minutes: float
    share_within_15_minutes: float
    mae_minutes: dict[str, float | None]  # each estimator's, and the naive baseline's
    mae_minutes_regular: dict[str, float | None]  # the same over walk-ins without a priority
    mae_minutes_priority: dict[str, float | None]  # ...and over those with one
    priority_walk_ins: int  # called walk-ins with a priority (their errors' count)

    @property
    def better(self) -> str:
        return better_of(self.mae_minutes)


def better_of(errors: Mapping[str, float | None]) -> str:
    """The estimator with the smaller error (QL on a tie or without figures)."""
    known = {m: e for m in ESTIMATORS if (e := errors.get(m)) is not None}
    return min(known, key=lambda m: known[m]) if known else QL


def _poisson_arrivals(plan: DayPlan, rng: random.Random) -> list[float]:
    """Arrival times (seconds) during the open spans, by thinning a homogeneous process."""
    peak = max(plan.rates.values(), default=0.0)
    if peak <= 0:
        return []
    times: list[float] = []
    for start, end in plan.open_spans:
        t = start * 60.0
        while True:
            t += rng.expovariate(peak / 3600)
            if t >= end * 60:
                break
            if rng.random() < plan.rates.get(int(t // 3600), 0.0) / peak:
                times.append(t)
    return times


def _choose(weights: Mapping[int, float], rng: random.Random) -> int:
    keys = sorted(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


@dataclass
class _Day:
    plan: DayPlan
    rng: random.Random
    head_start: dt.timedelta
    predicting: bool = True
    waiting: dict[int, Waiting] = field(default_factory=dict)
    leaves: set[int] = field(default_factory=set)
    idle: set[int] = field(default_factory=set)
    visits: dict[int, Visit] = field(default_factory=dict)
    samples: list[ServiceSample] = field(default_factory=list)
    last_delay: dict[int, float] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    # counter -> (called at, service, the sample it gives when it finishes)
    busy: dict[int, tuple[float, int, ServiceSample | None]] = field(default_factory=dict)
    events: list[tuple[float, int, str, int]] = field(default_factory=list)
    sequence: int = 0

    def push(self, when: float, kind: str, subject: int) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (when, self.sequence, kind, subject))

    def desks(self, now: float) -> list[Desk]:
        desks = []
        for counter, services in sorted(self.plan.counters.items()):
            if counter in self.busy:
                since, service, _sample = self.busy[counter]
                desks.append(Desk(counter, services, service, now - since))
            else:
                desks.append(Desk(counter, services))
        return desks

    def predict(self, ticket: Waiting, now: float) -> dict[str, float]:
        """Each estimator's wait (seconds) for ``ticket`` arriving now, and the baseline's,
        from what the office knows at that moment: the line, the counters, the services
        finished so far."""
        times = ServiceTimes.learn(
            self.samples,
            prior=60 * self.plan.service_minutes[ticket.service],
            priors={s: 60 * m for s, m in self.plan.service_minutes.items()},
        )
        line = ordered(self.waiting.values(), priority_head_start=self.head_start)
        before = line[: line.index(ticket) + 1]
        moment = _MIDNIGHT + dt.timedelta(seconds=now)
        turns = [
            (turn(t, priority_head_start=self.head_start) - moment).total_seconds() for t in before
        ]
        head_start = self.head_start.total_seconds()
        expected = None
        if self.plan.priority_rates:
            expected = Arrivals.hourly(
                self.plan.priority_rates,
                now=now,
                head_start=head_start,
                until=turns[-1] + head_start,
            )
        ql = ql_estimate(
            ahead=[t.service for t in before[:-1]],
            service=ticket.service,
            desks=self.desks(now),
            times=times,
            seed=ticket.key,
            turns=turns,
            arrivals=expected,
        )
        les = les_estimate(last_delay=self.last_delay.get(ticket.service))
        return {
            QL: 0.0 if ql is None else ql,
            LES: (0.0 if ql is None else ql) if les is None else les,
            NAIVE: naive_estimate(waits_today=self.waits),
        }

    def arrive(self, ticket: Waiting, now: float) -> None:
        self.waiting[ticket.key] = ticket
        walk_in = ticket.appointment_at is None
        predicted = self.predict(ticket, now) if walk_in and self.predicting else {}
        self.visits[ticket.key] = Visit(
            ticket.key,
            ticket.service,
            ticket.appointment_at is not None,
            now,
            predicted,
            priority=ticket.priority,
            appointment=(
                None
                if ticket.appointment_at is None
                else (ticket.appointment_at - _MIDNIGHT).total_seconds()
            ),
        )
        for counter in sorted(self.idle):
            if self.call(counter, now):
                break

    def call(self, counter: int, now: float) -> bool:
        """The counter calls its next visitor; False when there is nobody for it."""
        order = call_order(
            self.waiting.values(),
            services=self.plan.counters[counter],
            now=_MIDNIGHT + dt.timedelta(seconds=now),
            priority_head_start=self.head_start,
        )
        finished = self.busy.pop(counter, None)
        if finished is not None and finished[2] is not None:
            self.samples.append(finished[2])  # learned once the visitor has been served
        if not order:
            self.idle.add(counter)
            return False
        self.idle.discard(counter)
        ticket = self.waiting.pop(order[0].key)
        visit = self.visits[ticket.key]
        if ticket.key in self.leaves:
            self.visits[ticket.key] = replace(visit, counter=counter, called=now)
            self.busy[counter] = (now, ticket.service, None)
            self.push(now + NO_SHOW_CALL_SECONDS, "free", counter)
            return True
        start = visit.arrived
        if ticket.appointment_at is not None:
            start = max(start, (ticket.appointment_at - _MIDNIGHT).total_seconds())
        waited = max(0.0, now - start)  # an early booked visitor called early waits none
        self.last_delay[ticket.service] = waited
        self.waits.append(waited)
        pace = self.plan.counter_pace.get(counter, 1.0)
        mean = 60 * self.plan.service_minutes[ticket.service] * pace
        seconds = self.rng.gammavariate(GAMMA_SHAPE, mean / GAMMA_SHAPE)
        self.visits[ticket.key] = replace(
            visit, waited=waited, counter=counter, called=now, service_seconds=seconds
        )
        self.busy[counter] = (now, ticket.service, ServiceSample(ticket.service, counter, seconds))
        self.push(now + seconds, "free", counter)
        return True


def _tickets(plan: DayPlan, rng: random.Random) -> list[tuple[float, Waiting, bool]]:
    """(arrival seconds, ticket, leaves before being called) for the whole day."""
    arrivals: list[tuple[float, Waiting, bool]] = []
    for t in _poisson_arrivals(plan, rng):
        waiting = Waiting(
            key=0,
            service=_choose(plan.mix, rng),
            issued_at=_MIDNIGHT + dt.timedelta(seconds=t),
            priority=rng.random() < plan.priority_share,
        )
        arrivals.append((t, waiting, rng.random() < plan.walk_in_leaves))
    for minute, service in plan.appointments:
        if rng.random() < plan.booked_no_show:
            continue
        t = max(0.0, minute * 60 - rng.uniform(0, 600))
        appointment = _MIDNIGHT + dt.timedelta(minutes=minute)
        waiting = Waiting(
            key=0,
            service=service,
            issued_at=_MIDNIGHT + dt.timedelta(seconds=t),
            appointment_at=appointment,
        )
        arrivals.append((t, waiting, False))
    arrivals.sort(key=lambda a: a[0])
    return [
        (t, Waiting(n, w.service, w.issued_at, w.appointment_at, w.priority, n), leaves)
        for n, (t, w, leaves) in enumerate(arrivals, start=1)
    ]


def simulate(plan: DayPlan, *, seed: int) -> Report:
    """Run the day once and report; deterministic for a seed."""
    return report_of(simulate_visits(plan, seed=seed))


def simulate_visits(plan: DayPlan, *, seed: int, predicting: bool = True) -> list[Visit]:
    """Every visit of the day, in order of arrival; deterministic for a seed. Without
    ``predicting`` the estimators are not asked (the same visits, faster: demo history)."""
    rng = random.Random(seed)  # noqa: S311  (a simulation, not a secret)
    day = _Day(plan, rng, dt.timedelta(minutes=plan.priority_head_start_minutes), predicting)
    day.idle = set(plan.counters)
    tickets = {}
    for t, ticket, leaves in _tickets(plan, rng):
        tickets[ticket.key] = ticket
        if leaves:
            day.leaves.add(ticket.key)
        day.push(t, "arrive", ticket.key)
    while day.events:
        now, _seq, kind, subject = heapq.heappop(day.events)
        if kind == "arrive":
            day.arrive(tickets[subject], now)
        else:
            day.call(subject, now)
    return sorted(day.visits.values(), key=lambda v: v.arrived)


def _mae_minutes(walk_ins: Sequence[Visit]) -> dict[str, float | None]:
    """Each estimator's and the baseline's mean absolute error (minutes) over ``walk_ins``."""
    mae = {
        method: mean_absolute_error(
            (v.predicted[method], v.waited) for v in walk_ins if v.waited is not None
        )
        for method in (*ESTIMATORS, NAIVE)
    }
    return {k: None if v is None else v / 60 for k, v in mae.items()}


def report_of(visits: list[Visit]) -> Report:
    served = [v for v in visits if v.waited is not None]
    waits = [v.waited for v in served if v.waited is not None]
    walk_ins = [v for v in served if not v.booked and v.predicted]
    priority = [v for v in walk_ins if v.priority]
    return Report(
        arrivals=len(visits),
        served=len(served),
        no_shows=len(visits) - len(served),
        mean_wait_minutes=sum(waits) / len(waits) / 60 if waits else 0.0,
        share_within_15_minutes=sum(1 for w in waits if w <= 900) / len(waits) if waits else 1.0,
        mae_minutes=_mae_minutes(walk_ins),
        mae_minutes_regular=_mae_minutes([v for v in walk_ins if not v.priority]),
        mae_minutes_priority=_mae_minutes(priority),
        priority_walk_ins=len(priority),
    )
