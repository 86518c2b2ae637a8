"""Reads: offices and their hours, the waiting line, a ticket's position, the board, stats."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gorod.errors import NotFound
from gorod.people.scope import restrict
from gorod.places.hours import WEEKDAYS
from gorod.places.models import Institution
from gorod.queues import conf
from gorod.queues.calling import Waiting, ahead_of, ordered, turn
from gorod.queues.estimators import (
    LES,
    Arrivals,
    Desk,
    ServiceTimes,
    les_estimate,
    ql_estimate,
)
from gorod.queues.models import Counter, Office, QueueService, Shift, Ticket
from gorod.queues.staffing import arrivals_forecast, counters_needed
from gorod.scheduling.calendars import shorten
from gorod.scheduling.models import CalendarException
from gorod.scheduling.services import local_zone

OPEN = (Ticket.Status.WAITING, Ticket.Status.CALLED, Ticket.Status.SERVING)
AT_COUNTER = (Ticket.Status.CALLED, Ticket.Status.SERVING)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_zone()).date()


# --- offices and their hours -----------------------------------------------------------


def offices_listed() -> QuerySet[Office]:
    return (
        Office.objects.filter(is_active=True)
        .select_related("district")
        .order_by("district__name", "kind", "name")
    )


def office_get(*, office_id: int) -> Office:
    office = Office.objects.filter(pk=office_id, is_active=True).first()
    if office is None:
        raise NotFound(_("No such office."), field="office_id")
    return office


def services_of(*, office: Institution) -> QuerySet[QueueService]:
    """The services an office offers: its own and those of every office of its kind."""
    return QueueService.objects.filter(
        Q(office=office) | Q(office__isnull=True, institution_kind=office.kind), is_active=True
    ).order_by("letter")


def service_get(*, office: Institution, service_id: int) -> QueueService:
    service = services_of(office=office).filter(pk=service_id).first()
    if service is None:
        raise NotFound(_("This office does not offer that service."), field="service_id")
    return service


def _time(text: str) -> dt.time:
    hours, minutes = (int(part) for part in text.split(":"))
    return dt.time.max if hours == 24 else dt.time(hours, minutes)


def _exceptions(since: dt.date, until: dt.date) -> dict[dt.date, CalendarException]:
    """The production calendar's city-wide days off the pattern, ``since`` to ``until``."""
    rows = CalendarException.objects.filter(date__gte=since, date__lte=until, resource__isnull=True)
    return {row.date: row for row in rows}


def _hours(
    office: Institution, day: dt.date, exception: CalendarException | None
) -> list[tuple[dt.time, dt.time]]:
    weekday = WEEKDAYS[day.weekday()]
    if exception is not None and exception.kind == CalendarException.Kind.HOLIDAY:
        return []
    if exception is not None and exception.kind == CalendarException.Kind.WORKING_DAY:
        weekday = WEEKDAYS[0]
    spans = [(_time(a), _time(b)) for a, b in (office.opening_hours or {}).get(weekday, [])]
    if exception is not None and exception.kind == CalendarException.Kind.SHORT:
        spans = shorten(spans, exception.hours_shorter)
    return spans


def office_hours_on(*, office: Institution, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """The office's open intervals on ``day``: its weekly hours changed by the production
    calendar (a day off, a shortened day, a Saturday worked as a Monday)."""
    return _hours(office, day, _exceptions(day, day).get(day))


def open_days(*, office: Institution, since: dt.date, until: dt.date) -> set[dt.date]:
    """The days from ``since`` to before ``until`` the office was open (quiet ones too)."""
    exceptions = _exceptions(since, until)
    days = (since + dt.timedelta(days=n) for n in range((until - since).days))
    return {day for day in days if _hours(office, day, exceptions.get(day))}


def _open_at(spans: list[tuple[dt.time, dt.time]], moment: dt.time) -> bool:
    return any(a <= moment < b for a, b in spans)


def office_is_open(*, office: Institution, at: dt.datetime) -> bool:
    local = at.astimezone(local_zone())
    return _open_at(office_hours_on(office=office, day=local.date()), local.time())


@dataclass(frozen=True)
class OfficeToday:
    office: Institution
    hours: list[tuple[dt.time, dt.time]]
    open_now: bool


def offices_today(*, at: dt.datetime) -> list[OfficeToday]:
    """Every office with today's hours and whether it is open at ``at`` (one calendar read)."""
    local = at.astimezone(local_zone())
    exception = _exceptions(local.date(), local.date()).get(local.date())
    rows = []
    for office in offices_listed():
        hours = _hours(office, local.date(), exception)
        rows.append(OfficeToday(office, hours, _open_at(hours, local.time())))
    return rows


# --- counters and clerks ---------------------------------------------------------------


def counters_of(*, office: Institution) -> QuerySet[Counter]:
    return Counter.objects.filter(office=office, is_active=True).prefetch_related("services")


def counters_for(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Counter]:
    """The counters an official may work at or look at (their own institution)."""
    return restrict(counters_of_all(), user, institution="office")


def counters_of_all() -> QuerySet[Counter]:
    return Counter.objects.filter(is_active=True).select_related("office")


def counter_get(*, user: AbstractBaseUser | AnonymousUser, counter_id: int) -> Counter:
    counter = counters_for(user=user).filter(pk=counter_id).first()
    if counter is None:
        raise NotFound(_("No such counter at your office."), field="counter_id")
    return counter


def may_see_office_figures(*, user: AbstractBaseUser | AnonymousUser, office: Institution) -> bool:
    """Office heads (and clerks) of the office, district analysts, city officials."""
    return restrict(Institution.objects.filter(pk=office.pk), user, institution="pk").exists()


def shift_open_at(*, counter: Counter) -> Shift | None:
    return Shift.objects.filter(counter=counter, end__isnull=True).select_related("clerk").first()


def counters_staffed(*, office: Institution, at: dt.datetime) -> list[Counter]:
    """Counters with a clerk on shift at ``at``."""
    on_shift = Shift.objects.filter(counter__office=office, start__lte=at).filter(
        Q(end__isnull=True) | Q(end__gt=at)
    )
    return list(counters_of(office=office).filter(pk__in=on_shift.values("counter_id")))


# --- the line --------------------------------------------------------------------------


def waiting_of(ticket: Ticket) -> Waiting:
    return Waiting(
        key=ticket.pk,
        service=ticket.service_id,
        issued_at=ticket.issued_at,
        appointment_at=ticket.appointment_at,
        priority=bool(ticket.priority),
        number=ticket.number,
    )


def tickets_waiting(*, office: Institution, day: dt.date) -> list[Ticket]:
    return list(
        Ticket.objects.filter(office=office, day=day, status=Ticket.Status.WAITING).select_related(
            "service"
        )
    )


def ticket_by_token(*, token: str) -> Ticket:
    ticket = (
        Ticket.objects.filter(token=token).select_related("office", "service", "counter").first()
    )
    if ticket is None:
        raise NotFound(_("No such ticket."), field="token")
    return ticket


def ticket_for_counter(*, counter: Counter, ticket_id: int) -> Ticket:
    ticket = Ticket.objects.filter(pk=ticket_id, office_id=counter.office_id).first()
    if ticket is None:
        raise NotFound(_("No such ticket at this office."), field="ticket_id")
    return ticket


def ticket_current(*, counter: Counter) -> Ticket | None:
    return (
        Ticket.objects.filter(counter=counter, status__in=AT_COUNTER)
        .select_related("service")
        .first()
    )


def sharing_services(*, office: Institution, service_id: int) -> set[int]:
    """Services competing with ``service_id`` for the same counters (itself included)."""
    counters = Counter.objects.filter(office=office, is_active=True, services=service_id)
    shared = set(QueueService.objects.filter(counters__in=counters).values_list("pk", flat=True))
    return shared | {service_id}


def waited_seconds(
    issued: dt.datetime, appointment: dt.datetime | None, called: dt.datetime | None
) -> float | None:
    """How long a visitor waited for a counter: from arrival, or from their appointment
    when they came early (none when called before it)."""
    if called is None:
        return None
    return max(0.0, (called - max(issued, appointment or issued)).total_seconds())


def served_seconds(
    called: dt.datetime | None, served: dt.datetime | None, finished: dt.datetime | None
) -> float | None:
    begin = served or called
    if begin is None or finished is None:
        return None
    return (finished - begin).total_seconds()


class _Seconds(Func):
    """Seconds from the first datetime to the second, a number computed in the database
    and exact to the microsecond like ``timedelta.total_seconds``. SQLite keeps datetimes
    as text (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC): the whole seconds of each by
    ``strftime('%s')`` of its first 19 characters (given the fraction, SQLite rounds to
    milliseconds first; its ``julianday`` loses tens of microseconds; Django's difference
    is a Python function called per row), the fraction from the text."""

    output_field = FloatField()
    arity = 2

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        begin, begin_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"((strftime('%%s', substr({end}, 1, 19)) - strftime('%%s', substr({begin}, 1, 19)))"
            f" + (CAST(substr({end}, 20) AS REAL) - CAST(substr({begin}, 20) AS REAL)))"
        )
        return sql, [*end_params, *begin_params] * 2

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        begin, begin_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return f"EXTRACT(EPOCH FROM ({end} - {begin}))", [*end_params, *begin_params]

    def as_sql(self, *args: Any, **kwargs: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("queues: service times are computed on SQLite and PostgreSQL")


def service_times(*, office: Institution, now: dt.datetime) -> ServiceTimes:
    """Service times learned from the office's finished tickets of today and the last
    ``conf.history_days()`` days: one aggregate query (count, sum and sum of squares of the
    seconds per service and counter), the same model ``ServiceTimes.learn`` makes from the
    visits one by one. The window is on the ticket's day, so the query reads the
    ``(office, status, day)`` index's range, not every visit the office ever finished."""
    seconds = _Seconds(Coalesce("served_at", "called_at"), "finished_at")
    rows = (
        Ticket.objects.filter(
            office=office,
            status=Ticket.Status.DONE,
            day__gte=local_day(now) - dt.timedelta(days=conf.history_days()),
            counter__isnull=False,
        )
        .filter(Q(served_at__isnull=False) | Q(called_at__isnull=False))
        .annotate(seconds=seconds)
        .values("service_id", "counter_id")
        .annotate(n=Count("pk"), total=Sum("seconds"), squares=Sum(F("seconds") * F("seconds")))
        .order_by()
        .values_list("service_id", "counter_id", "n", "total", "squares")
    )
    sums = {
        (service, counter): (n, float(total), float(squares))
        for service, counter, n, total, squares in rows
    }
    priors = {s.pk: 60.0 * s.average_minutes for s in services_of(office=office)}
    return ServiceTimes.from_sums(sums, prior=15 * 60, priors=priors)


class _UtcHour(Func):
    """A datetime's hour in UTC as text, ``YYYY-MM-DD HH``, computed by the database itself
    (a time zone's hour is a Python function per row on SQLite: 3,500 tickets took 120 ms).
    SQLite keeps datetimes as UTC text; PostgreSQL formats its own."""

    output_field = CharField()
    arity = 1

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        moment, params = compiler.compile(self.source_expressions[0])
        return f"substr({moment}, 1, 13)", list(params)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        moment, params = compiler.compile(self.source_expressions[0])
        return f"to_char({moment} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')", list(params)

    def as_sql(self, *args: Any, **kwargs: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError("queues: hours are computed on SQLite and PostgreSQL")


class _LocalHours:
    """The city's time at the start of a UTC hour (``YYYY-MM-DD HH``): the hour and the day
    of every moment in it where the city's offset from UTC is whole hours (Moscow's is)."""

    def __init__(self) -> None:
        self.zone = local_zone()
        self.found: dict[str, dt.datetime] = {}

    def __call__(self, text: str) -> dt.datetime:
        if text not in self.found:
            utc = dt.datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
            self.found[text] = utc.astimezone(self.zone)
        return self.found[text]


# Pseudo-tickets pulling the services' shares of priority walk-ins towards their shares of
# all walk-ins: a few priority visitors a day do not say much about each service.
PRIORITY_SHARE_SHRINKAGE = 5.0
# Pseudo-days pulling a weekday's hour towards the same hour on every open day (as the
# staffing forecast does, ``staffing.arrivals_forecast``).
WEEKDAY_SHRINKAGE = 2.0


def priority_rates(*, office: Institution, day: dt.date) -> dict[int, dict[int, float]]:
    """Priority walk-ins expected per hour of ``day`` (local, 0-23, the hours the office is
    open that day) per service, from the last ``conf.history_days()`` days. (Booked
    visitors come at their appointments, not at random.)

    Two to six priority visitors a day leave most weekday-hours of four weeks empty, so
    their own forecast would be noise: the walk-ins expected in that hour (the staffing
    forecast's weekday mean shrunk towards the same hour on every open day, quiet open days
    counting as zeros) times the share of walk-ins who had a priority over the whole window,
    split among the services by their share of priority walk-ins, shrunk towards their
    share of all walk-ins. Two aggregate queries, per service and per hour. Empty when no
    priority walk-in came."""
    since = day - dt.timedelta(days=conf.history_days())
    walk_ins = Ticket.objects.filter(
        office=office, day__gte=since, day__lt=day, kind=Ticket.Kind.WALK_IN
    ).order_by()
    by_service = {
        service: (n, p)
        for service, n, p in walk_ins.values("service_id")
        .annotate(n=Count("pk"), p=Count("pk", filter=~Q(priority="")))
        .values_list("service_id", "n", "p")
    }
    everyone = sum(n for n, _p in by_service.values())
    priority = sum(p for _n, p in by_service.values())
    if not priority:
        return {}
    local_hour = _LocalHours()
    at_hour: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    first = day
    for hour, n in (
        walk_ins.annotate(hour=_UtcHour("issued_at"))
        .values("hour")
        .annotate(n=Count("pk"))
        .values_list("hour", "n")
    ):
        moment = local_hour(hour)
        at_hour[moment.hour][0] += n
        at_hour[moment.hour][1] += n if moment.weekday() == day.weekday() else 0
        first = min(first, moment.date())
    # Open days count from the first day with a walk-in: before it, nothing was recorded.
    days = open_days(office=office, since=max(first, since), until=day)
    weekdays = sum(1 for d in days if d.weekday() == day.weekday())
    spans = office_hours_on(office=office, day=day)
    hours = {h for start, end in spans for h in range(start.hour, end.hour + (end.minute > 0))}
    fraction = priority / everyone  # of all walk-ins, those with a priority
    pseudo = PRIORITY_SHARE_SHRINKAGE
    shares = {
        service: fraction * (p + pseudo * n / everyone) / (priority + pseudo)
        for service, (n, p) in by_service.items()
    }
    found: dict[int, dict[int, float]] = {}
    for hour, (n, weekday) in sorted(at_hour.items()):
        if hour in hours and days:
            overall = n / len(days)
            visitors = (weekday + WEEKDAY_SHRINKAGE * overall) / (weekdays + WEEKDAY_SHRINKAGE)
            found[hour] = {service: visitors * share for service, share in shares.items()}
    return found


def expected_priority(
    *, office: Institution, now: dt.datetime, start: dt.datetime, until: float
) -> Arrivals | None:
    """The priority visitors a replay starting at ``start`` (now, or when the counters
    are assumed to open) expects from ``now`` until ``until`` seconds after ``start``; None
    when none could go ahead (the window is over) or none ever came."""
    head_start = conf.priority_head_start().total_seconds()
    since = (now - start).total_seconds()
    if until <= since:
        return None
    rates = priority_rates(office=office, day=local_day(now))
    if not rates:
        return None
    local = start.astimezone(local_zone())
    midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=local_zone())
    return Arrivals.hourly(
        rates,
        now=(local - midnight).total_seconds(),
        head_start=head_start,
        until=until,
        since=since,
    )


def last_delay(*, office: Institution, services: set[int], day: dt.date) -> float | None:
    """Seconds the last visitor to reach a counter (for these services) waited."""
    last = (
        Ticket.objects.filter(
            office=office, day=day, service_id__in=services, called_at__isnull=False
        )
        .order_by("-called_at")
        .values_list("called_at", "issued_at", "appointment_at")
        .first()
    )
    if last is None:
        return None
    called, issued, appointment = last
    return waited_seconds(issued, appointment, called)


@dataclass(frozen=True)
class Plan:
    """The counters an estimate assumes when none is open for the service yet, and from
    when; ``usual`` when that is what the office's history shows at this hour, not simply
    every counter that serves the service."""

    counters: list[Counter]
    start: dt.datetime
    usual: bool


@dataclass(frozen=True)
class Position:
    ahead: int
    counters: int  # open now for the ticket's service
    wait_seconds: float | None  # None: no estimate (``reason`` says why)
    plan: Plan | None = None  # no counter open yet: what the estimate assumes
    reason: str = ""

    @property
    def wait_minutes(self) -> int | None:
        if self.wait_seconds is None:
            return None
        return round(self.wait_seconds / 60)

    @property
    def basis(self) -> str:
        """What the estimate assumes when no counter is open for the service yet."""
        if self.plan is None:
            return ""
        counters = len(self.plan.counters)
        values = {"counters": counters, "time": f"{self.plan.start.astimezone(local_zone()):%H:%M}"}
        if self.plan.usual:
            return (
                ngettext(
                    "No counter is open for this service yet; the estimate assumes %(counters)d "
                    "counter from %(time)s, as on past days at this hour.",
                    "No counter is open for this service yet; the estimate assumes %(counters)d "
                    "counters from %(time)s, as on past days at this hour.",
                    counters,
                )
                % values
            )
        return (
            ngettext(
                "No counter is open for this service yet; the estimate assumes its %(counters)d "
                "counter opens at %(time)s.",
                "No counter is open for this service yet; the estimate assumes all %(counters)d "
                "counters that serve it open at %(time)s.",
                counters,
            )
            % values
        )


def _desks(counters: list[Counter], now: dt.datetime) -> list[Desk]:
    """The counters as the estimator sees them: who is at each, since when."""
    current = {
        t.counter_id: t
        for t in Ticket.objects.filter(counter__in=counters, status__in=AT_COUNTER).only(
            "counter_id", "service_id", "called_at"
        )
    }
    desks = []
    for counter in counters:
        services = frozenset(s.pk for s in counter.services.all())
        visitor = current.get(counter.pk)
        if visitor is None or visitor.called_at is None:
            desks.append(Desk(counter.pk, services))
        else:
            since = (now - visitor.called_at).total_seconds()
            desks.append(Desk(counter.pk, services, visitor.service_id, max(0.0, since)))
    return desks


def _next_open(office: Institution, now: dt.datetime) -> dt.datetime | None:
    """``now`` if the office is open, else when it opens again today; None: not today."""
    local = now.astimezone(local_zone())
    for start, end in office_hours_on(office=office, day=local.date()):
        if local.time() < end:
            return max(now, dt.datetime.combine(local.date(), start, tzinfo=local_zone()))
    return None


def _usual_staffing(
    office: Institution, pool: list[Counter], now: dt.datetime
) -> tuple[list[Counter], dt.time | None]:
    """From the last weeks: the counters of ``pool`` that called visitors at this hour on
    an average day (the most often open first), and the median time of a day's first call."""
    zone = local_zone()
    local = now.astimezone(zone)
    called = Ticket.objects.filter(
        office=office,
        day__gte=local.date() - dt.timedelta(days=conf.history_days()),
        day__lt=local.date(),
        called_at__isnull=False,
    ).values_list("day", "counter_id", "called_at")
    first: dict[dt.date, dt.time] = {}
    at_hour: dict[dt.date, set[int]] = {}
    members = {c.pk for c in pool}
    for day, counter, when in called:
        if when is None:
            continue
        moment = when.astimezone(zone)
        first[day] = min(first.get(day, moment.time()), moment.time())
        if counter in members and moment.hour == local.hour:
            at_hour.setdefault(day, set()).add(counter)
    if not first:
        return [], None
    days = len(first)
    usual = round(sum(len(c) for c in at_hour.values()) / days)
    often = {c.pk: sum(c.pk in open_ for open_ in at_hour.values()) for c in pool}
    chosen = sorted(pool, key=lambda c: (-often[c.pk], c.number))[:usual]
    starts = sorted(first.values())
    return chosen, starts[(len(starts) - 1) // 2]


def staffing_plan(*, office: Institution, service_id: int, now: dt.datetime) -> Plan | str:
    """What an estimate can assume while no counter is open for ``service_id``: the
    counters usually open at this hour from the time the first visitor is usually called
    (or, without history, every counter that serves it from now); or why it cannot."""
    pool = [c for c in counters_of(office=office) if service_id in {s.pk for s in c.services.all()}]
    if not pool:
        return _("No counter of this office serves this service.")
    start = _next_open(office, now)
    if start is None:
        return _("The office does not open again today.")
    chosen, first_call = _usual_staffing(office, pool, now)
    if first_call is None:
        return Plan(pool, start, usual=False)
    if not chosen:
        return _("On past days no counter served this service at this hour.")
    usual_start = dt.datetime.combine(local_day(now), first_call, tzinfo=local_zone())
    return Plan(chosen, max(start, usual_start), usual=True)


def ticket_position(*, ticket: Ticket, now: dt.datetime | None = None) -> Position:
    """How many are ahead of a waiting ticket and how long it should wait: by the
    configured estimator at the counters open now, or, when none is open for the service
    yet, by QL at the counters the office usually opens (what it assumes is stated)."""
    now = now or timezone.now()
    office = ticket.office
    shared = sharing_services(office=office, service_id=ticket.service_id)
    waiting = [waiting_of(t) for t in tickets_waiting(office=office, day=ticket.day)]
    mine = waiting_of(ticket)
    head_start = conf.priority_head_start()
    ahead = ahead_of(mine, waiting, services=shared, priority_head_start=head_start)
    line = ordered({w.key: w for w in [*waiting, mine]}.values(), priority_head_start=head_start)
    before = line[: line.index(mine) + 1]
    times = service_times(office=office, now=now)
    staffed = counters_staffed(office=office, at=now)
    open_for_it = sum(ticket.service_id in {s.pk for s in c.services.all()} for c in staffed)
    plan: Plan | None = None
    delay = 0.0
    if open_for_it:
        desks = _desks(staffed, now)
    else:
        found = staffing_plan(office=office, service_id=ticket.service_id, now=now)
        if isinstance(found, str):
            return Position(ahead, 0, None, reason=found)
        plan = found
        desks = _desks(plan.counters, now)
        delay = (plan.start - now).total_seconds()
    seconds = None
    if open_for_it and conf.estimator() == LES:
        since = max(ticket.issued_at, ticket.appointment_at or ticket.issued_at)
        seconds = les_estimate(
            last_delay=last_delay(office=office, services={ticket.service_id}, day=ticket.day),
            waited=max(0.0, (now - since).total_seconds()),
        )
    if seconds is None:  # QL, or LES without a visitor called today
        start = now + dt.timedelta(seconds=delay)  # the replay's 0
        turns = [(turn(w, priority_head_start=head_start) - start).total_seconds() for w in before]
        seconds = ql_estimate(
            ahead=[w.service for w in before[:-1]],
            service=ticket.service_id,
            desks=desks,
            times=times,
            seed=ticket.pk,
            turns=turns,
            arrivals=expected_priority(
                office=office,
                now=now,
                start=start,
                until=turns[-1] + head_start.total_seconds(),
            ),
        )
    if seconds is None:
        return Position(
            ahead, open_for_it, None, reason=_("No counter of this office serves this service.")
        )
    seconds += delay
    if ticket.appointment_at is not None:  # not called before the appointment is due
        seconds = max(seconds, (ticket.appointment_at - now).total_seconds())
    return Position(ahead, open_for_it, seconds, plan=plan)


# --- the board and the day's figures ---------------------------------------------------


def board(*, office: Institution, day: dt.date, recent: int = 8) -> list[Ticket]:
    """Tickets now at a counter, most recently called first, then the last few served."""
    return list(
        Ticket.objects.filter(office=office, day=day, called_at__isnull=False)
        .exclude(status=Ticket.Status.CANCELLED)
        .select_related("counter")
        .order_by("-called_at")[:recent]
    )


@dataclass(frozen=True)
class DayStats:
    issued: int
    waiting: int
    served: int
    no_shows: int
    mean_wait_minutes: float | None
    mean_service_minutes: float | None


def day_stats(*, office: Institution, day: dt.date) -> DayStats:
    tickets = Ticket.objects.filter(office=office, day=day)
    counts = tickets.aggregate(
        issued=Count("pk"),
        waiting=Count("pk", filter=Q(status=Ticket.Status.WAITING)),
        served=Count("pk", filter=Q(status=Ticket.Status.DONE)),
        no_shows=Count("pk", filter=Q(status=Ticket.Status.NO_SHOW)),
    )
    rows = tickets.filter(called_at__isnull=False).values_list(
        "issued_at", "appointment_at", "called_at", "served_at", "finished_at", "status"
    )
    waits: list[float] = []
    services: list[float] = []
    for issued, appointment, called, served, finished, status in rows:
        if (wait := waited_seconds(issued, appointment, called)) is not None:
            waits.append(wait / 60)
        service = served_seconds(called, served, finished)
        if status == Ticket.Status.DONE and service is not None:
            services.append(service / 60)
    return DayStats(
        issued=counts["issued"],
        waiting=counts["waiting"],
        served=counts["served"],
        no_shows=counts["no_shows"],
        mean_wait_minutes=sum(waits) / len(waits) if waits else None,
        mean_service_minutes=sum(services) / len(services) if services else None,
    )


def arrivals_forecast_of(
    *, office: Institution, day: dt.date, walk_ins_only: bool = False
) -> dict[int, float] | None:
    """Arrivals per hour expected on ``day`` from the last weeks (only walk-ins when asked:
    booked visitors come at their appointments); None without history."""
    since = day - dt.timedelta(days=conf.history_days())
    everyone = Ticket.objects.filter(office=office, day__gte=since, day__lt=day)
    if not everyone.exists():
        return None
    history = everyone.filter(kind=Ticket.Kind.WALK_IN) if walk_ins_only else everyone
    zone = local_zone()
    arrivals = [t.astimezone(zone) for t in history.values_list("issued_at", flat=True)]
    # Open days count from the first day with a ticket: before it, nothing was recorded.
    first = everyone.order_by("day").values_list("day", flat=True).first() or since
    days = open_days(office=office, since=first, until=day)
    return arrivals_forecast(arrivals, days=days).for_day(day)


@dataclass(frozen=True)
class HourAdvice:
    hour: int
    arrivals: float
    needed: int
    staffed: int


def staffing_advice(*, office: Institution, day: dt.date) -> list[HourAdvice]:
    """Per opening hour of ``day``: forecast arrivals (from the last weeks' tickets), the
    counters Erlang C says meet the target, and the counters scheduled."""
    history = Ticket.objects.filter(office=office, day__lt=day)
    forecast = arrivals_forecast_of(office=office, day=day)
    now = timezone.now()
    times = service_times(office=office, now=now)
    offered = list(services_of(office=office))
    mix = dict(
        history.values_list("service_id").annotate(n=Count("pk")).values_list("service_id", "n")
    )
    total = sum(mix.values())
    mean_minutes = (
        sum(times.mean(s.pk, prior=s.average_minutes * 60) * mix.get(s.pk, 0) for s in offered)
        / total
        / 60
        if total
        else 15.0
    )
    advice = []
    for start, end in office_hours_on(office=office, day=day):
        for hour in range(start.hour, end.hour + (end.minute > 0)):
            moment = dt.datetime.combine(day, dt.time(hour, 30), tzinfo=local_zone())
            rate = (forecast or {}).get(hour, 0.0)
            advice.append(
                HourAdvice(
                    hour=hour,
                    arrivals=rate,
                    needed=counters_needed(
                        arrivals_per_hour=rate,
                        mean_service_minutes=mean_minutes,
                        target_minutes=conf.target_minutes(),
                        target_share=conf.target_share(),
                    ),
                    staffed=len(counters_staffed(office=office, at=moment)),
                )
            )
    return sorted({a.hour: a for a in advice}.values(), key=lambda a: a.hour)
