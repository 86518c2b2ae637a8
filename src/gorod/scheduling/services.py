"""Writes: calendars, slot generation and the booking life cycle.

A booking is held (``pending``, with an expiry), then confirmed (``booked``); the visitor
checks in by code (``arrived``) and is served (``fulfilled``), or is marked ``noshow``
after a grace period. Who wins a slot is decided by the database: the partial unique
index on active bookings; the loser gets a ``Conflict`` listing the nearest free slots.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people.models import Citizen, Official, Role, User
from gorod.people.scope import citizens_acted_for, official_for
from gorod.places.models import Institution
from gorod.portal.notifications import notify
from gorod.rows import fetch_one
from gorod.scheduling import calendars, conf, selectors
from gorod.scheduling.calendars import DayException, Span
from gorod.scheduling.models import (
    ACTIVE_STATUSES,
    Booking,
    Break,
    CalendarException,
    Resource,
    Service,
    Slot,
    WorkingHours,
)

# Unambiguous letters and digits for check-in codes read aloud or typed at a kiosk.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
assert 256 % len(CODE_ALPHABET) == 0, "a random byte must pick each symbol evenly"  # noqa: S101
CODE_LENGTH = 6
_CODE_ATTEMPTS = 3


def local_zone() -> zoneinfo.ZoneInfo:
    """The city's time zone, in which days, hours and slots are told."""
    zone: zoneinfo.ZoneInfo = timezone.get_default_timezone()
    return zone


def code_new() -> str:
    """Six symbols from one read of the system's random source (each byte picks one of
    the 32 symbols, which 256 divides evenly, so each is as likely as any other);
    ``secrets.choice`` reads it once per symbol, a system call each."""
    return "".join(
        CODE_ALPHABET[byte % len(CODE_ALPHABET)] for byte in secrets.token_bytes(CODE_LENGTH)
    )


def code_normalise(code: str) -> str:
    return "".join(code.split()).upper().replace("-", "")


# --- calendars and slots -------------------------------------------------------------


@transaction.atomic
def resource_create(
    *,
    institution: Institution,
    name: str,
    services: Iterable[Service],
    hours: Mapping[int, Sequence[Span]],
    breaks: Mapping[int, Sequence[Span]] | None = None,
    kind: str = Resource.Kind.COUNTER,
    slot_minutes: int = 15,
) -> Resource:
    """A resource with its weekly hours and breaks (weekday 0 is Monday, local time)."""
    resource = Resource.objects.create(
        institution=institution, name=name, kind=kind, slot_minutes=slot_minutes
    )
    resource.services.set(list(services))
    WorkingHours.objects.bulk_create(
        WorkingHours(resource=resource, weekday=day, start=start, end=end)
        for day, spans in hours.items()
        for start, end in spans
    )
    Break.objects.bulk_create(
        Break(resource=resource, weekday=day, start=start, end=end)
        for day, spans in (breaks or {}).items()
        for start, end in spans
    )
    return resource


def _weekly(rows: Iterable[WorkingHours | Break]) -> dict[int, list[Span]]:
    week: dict[int, list[Span]] = {}
    for row in rows:
        week.setdefault(row.weekday, []).append((row.start, row.end))
    return week


def _exceptions(resource: Resource, start: dt.date, end: dt.date) -> dict[dt.date, DayException]:
    """The day exceptions in [start, end): the resource's own override the city's."""
    found: dict[dt.date, DayException] = {}
    rows = CalendarException.objects.filter(date__gte=start, date__lt=end).filter(
        resource__isnull=True
    ) | CalendarException.objects.filter(date__gte=start, date__lt=end, resource=resource)
    for row in rows.order_by("resource_id"):  # city rows (NULL) first on both databases
        if row.resource_id is None and row.date in found:
            continue
        found[row.date] = DayException(kind=row.kind, hours_shorter=row.hours_shorter)
    return found


@transaction.atomic
def slots_generate(*, resource: Resource, start_date: dt.date, days: int) -> int:
    """Create the resource's slots for ``days`` days from ``start_date``; returns how many
    are new. Idempotent: slots already there (by resource and start) are left alone."""
    if days < 1 or days > 366:
        raise ApplicationError(_("Generate slots for 1 to 366 days."), field="days")
    zone = local_zone()
    end_date = start_date + dt.timedelta(days=days)
    hours = _weekly(resource.hours.all())
    breaks = _weekly(resource.breaks.all())
    exceptions = _exceptions(resource, start_date, end_date)
    services = list(resource.services.all())
    service = services[0] if len(services) == 1 else None
    wanted: list[Slot] = []
    for offset in range(days):
        day = start_date + dt.timedelta(days=offset)
        spans = calendars.open_spans(day, hours, breaks, exceptions.get(day))
        for start, end in calendars.cut(spans, resource.slot_minutes):
            wanted.append(
                Slot(
                    resource=resource,
                    service=service,
                    start=dt.datetime.combine(day, start, tzinfo=zone),
                    end=dt.datetime.combine(day, end, tzinfo=zone),
                )
            )
    if not wanted:
        return 0
    existing = set(
        Slot.objects.filter(
            resource=resource, start__gte=wanted[0].start, start__lte=wanted[-1].start
        ).values_list("start", flat=True)
    )
    new = [slot for slot in wanted if slot.start not in existing]
    Slot.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# --- the booking life cycle ------------------------------------------------------------


# Officials who book at the desk or by phone for any citizen, at their own institution.
DESK_ROLES = frozenset({Role.REGISTRY_CLERK, Role.OFFICE_HEAD})


def desk_official(user: User) -> Official | None:
    """``user`` as a registry clerk or office head, who books for their office's visitors."""
    official = official_for(user)
    return official if official is not None and official.role in DESK_ROLES else None


def books_for_anyone_at(by_user: User, institution_id: int) -> bool:
    """A registry clerk or the office head of the institution: they book for its visitors."""
    official = desk_official(by_user)
    return official is not None and official.institution_id == institution_id


def _acting_for(by_user: User, citizen: Citizen, institution_id: int) -> None:
    """Refuse unless ``by_user`` is the citizen, a guardian of the citizen, or an official
    booking at the desk of the institution."""
    if citizen.user_id == by_user.pk:
        return
    if citizens_acted_for(by_user).filter(pk=citizen.pk).exists():
        return
    if not books_for_anyone_at(by_user, institution_id):
        raise ApplicationError(
            _("You can book only for yourself or a child in your care."), field="citizen_id"
        )


def _own(booking: Booking, by_user: User) -> None:
    """A booking of someone else is, to this user, a booking that does not exist."""
    if not citizens_acted_for(by_user).filter(pk=booking.citizen_id).exists():
        raise NotFound(_("No such booking."), field="booking_id")


def _slot_checks(*, slot: Slot, service: Service, now: dt.datetime) -> None:
    if not service.is_active:
        raise ApplicationError(_("This service is not on offer."), field="service_id")
    if slot.start <= now:
        raise ApplicationError(_("This slot has already started."), field="slot_id")
    if slot.status == Slot.Status.BUSY_UNAVAILABLE or not slot.resource.is_active:
        raise ApplicationError(_("This slot is not available for booking."), field="slot_id")
    if not selectors.slot_serves(slot=slot, service=service):  # the counter still serves it
        raise ApplicationError(_("This slot is not for the chosen service."), field="slot_id")


def _limit_error(*, count: int, limit: int) -> ApplicationError:
    return ApplicationError(
        _("You already have %(count)d active bookings for this service, the most allowed.")
        % {"count": count},
        field="service_id",
        extra={"limit": limit},
    )


def _taken(slot: Slot, service: Service) -> Conflict:
    return Conflict(
        _("This slot has just been taken. Here are the nearest free ones."),
        field="slot_id",
        extra={"nearest": selectors.slots_nearest(slot=slot, service=service)},
    )


def _expire_stale_hold(slot: Slot, now: dt.datetime) -> bool:
    """Cancel an expired hold still on ``slot`` (the tick has not come yet); True if one was."""
    return bool(
        Booking.objects.filter(
            slot=slot, status=Booking.Status.PENDING, hold_expires_at__lte=now
        ).update(status=Booking.Status.CANCELLED, cancelled_reason="hold expired", updated_at=now)
    )


# Counts a citizen's live holds and coming bookings for a service; parameters: citizen,
# service, now.
_ACTIVE_OF_CITIZEN = (
    "SELECT COUNT(*) FROM scheduling_booking WHERE citizen_id = %s AND service_id = %s"
    " AND status IN ('pending', 'booked') AND (status = 'booked' OR hold_expires_at > %s)"
)

# One statement inserts the booking, or nothing when the slot has an active booking (the
# partial unique index; a colliding check-in code is skipped alike) or, with a limit, when
# the citizen already has that many: the count runs after the citizen's row is locked, so
# it sees every booking of theirs that another transaction has committed.
_INSERT = (
    "INSERT INTO scheduling_booking (slot_id, citizen_id, service_id, status, code,"
    " hold_expires_at, booked_by_id, rescheduled_from_id, cancelled_reason, created_at,"
    " updated_at) SELECT %s, %s, %s, %s, %s, %s, %s, %s, '', %s, %s WHERE {condition}"
    " ON CONFLICT DO NOTHING"
)
# PostgreSQL marks the slot busy in the same statement (SQLite has no INSERT in a WITH).
_INSERT_MARKING_BUSY = (
    "WITH b AS ({insert} RETURNING id, slot_id) UPDATE scheduling_slot SET status = 'busy'"
    " FROM b WHERE scheduling_slot.id = b.slot_id RETURNING b.id"
)
# By (with a limit, marking the slot busy): each returns the new booking's id.
_INSERTS = {
    (limited, marking): (_INSERT_MARKING_BUSY if marking else "{insert} RETURNING id").format(
        insert=_INSERT.format(condition=f"({_ACTIVE_OF_CITIZEN}) < %s" if limited else "1 = 1")
    )
    for limited in (False, True)
    for marking in (False, True)
}

# Why an insert did nothing: the citizen's active bookings for the service, and the live
# (not expired) active bookings on the slot. Parameters: citizen, service, now, slot, now.
# Built from the module's own constants, no input.
_WHY_NOT = (
    f"SELECT ({_ACTIVE_OF_CITIZEN}), (SELECT COUNT(*) FROM scheduling_booking"  # noqa: S608
    f" WHERE slot_id = %s AND status IN ({', '.join(repr(s) for s in ACTIVE_STATUSES)})"
    " AND NOT (status = 'pending' AND hold_expires_at <= %s))"
)


def _mark_busy(slot: Slot) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scheduling_slot SET status = %s WHERE id = %s", [Slot.Status.BUSY, slot.pk]
        )


def _lock_citizen(citizen: Citizen) -> None:
    """Lock the citizen's row: one family's parallel requests pass the limit one by one
    (SQLite has one writer at a time anyway)."""
    if connection.features.has_select_for_update:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM people_citizen WHERE id = %s FOR UPDATE", [citizen.pk])


@dataclass(frozen=True)
class _Draft:
    """What a new booking is inserted with besides its slot, citizen and service."""

    by_user: User
    status: str
    code: str
    expires: dt.datetime
    created: dt.datetime

    @classmethod
    def new(cls, by_user: User, status: str, now: dt.datetime) -> _Draft:
        """With a fresh check-in code, the hold's expiry counted from ``now``."""
        return cls(by_user, status, code_new(), now + conf.hold_time(), timezone.now())


def _inserted(
    pk: int,
    draft: _Draft,
    *,
    slot: Slot,
    citizen: Citizen,
    service: Service,
    rescheduled_from: Booking | None = None,
) -> Booking:
    """The booking just inserted as ``pk``, built from what was inserted, not read back."""
    stored = {
        "id": pk,
        "slot_id": slot.pk,
        "citizen_id": citizen.pk,
        "service_id": service.pk,
        "status": draft.status,
        "code": draft.code,
        "hold_expires_at": draft.expires,
        "booked_by_id": draft.by_user.pk,
        "rescheduled_from_id": rescheduled_from.pk if rescheduled_from is not None else None,
        "cancelled_reason": "",
        "cancelled_by_id": None,
        "reminded_at": None,
        "arrived_at": None,
        "created_at": draft.created,
        "updated_at": draft.created,
    }
    names = [field.attname for field in Booking._meta.concrete_fields]
    booking = Booking.from_db(connection.alias, names, [stored[n] for n in names])
    slot.status = Slot.Status.BUSY
    booking.slot, booking.citizen, booking.service = slot, citizen, service
    booking.booked_by, booking.rescheduled_from = draft.by_user, rescheduled_from
    return booking


def _insert(
    *,
    slot: Slot,
    citizen: Citizen,
    service: Service,
    by_user: User,
    status: str,
    now: dt.datetime,
    limit: int | None = None,
    rescheduled_from: Booking | None = None,
) -> Booking | None:
    """Insert the booking: the unique index decides the race for the slot; None when a live
    booking holds the slot. With ``limit``, the citizen must have fewer active bookings for
    the service (lock them first)."""
    adapt = connection.ops.adapt_datetimefield_value
    for _attempt in range(_CODE_ATTEMPTS):
        draft = _Draft.new(by_user, status, now)
        params: list[Any] = [
            slot.pk,
            citizen.pk,
            service.pk,
            status,
            draft.code,
            adapt(draft.expires),
            by_user.pk,
            rescheduled_from.pk if rescheduled_from is not None else None,
            adapt(draft.created),
            adapt(draft.created),
        ]
        if limit is not None:
            params += [citizen.pk, service.pk, adapt(now), limit]
        marking = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute(_INSERTS[limit is not None, marking], params)
            row = cursor.fetchone()
            if row is None:
                cursor.execute(_WHY_NOT, [citizen.pk, service.pk, adapt(now), slot.pk, adapt(now)])
                mine, live = cursor.fetchone()
        if row is not None:
            if not marking:
                _mark_busy(slot)
            return _inserted(
                row[0],
                draft,
                slot=slot,
                citizen=citizen,
                service=service,
                rescheduled_from=rescheduled_from,
            )
        if limit is not None and mine >= limit:
            raise _limit_error(count=mine, limit=limit)
        if live:
            return None
        # Nothing live stands in the way: an expired hold the tick has not cleared yet
        # (cancel it and try again), or a check-in code collided (draw another).
        _expire_stale_hold(slot, now)
    raise Conflict(_("Could not issue a check-in code; please try again."), field="slot_id")


@transaction.atomic
def booking_hold(
    *,
    slot: Slot,
    citizen: Citizen,
    service: Service,
    by_user: User,
    confirm: bool = False,
    now: dt.datetime | None = None,
) -> Booking:
    """Hold ``slot`` for ``citizen`` until the hold expires (or book it at once with
    ``confirm``). Raises ``Conflict`` with the nearest free slots when it is taken."""
    now = now or timezone.now()
    _acting_for(by_user, citizen, slot.resource.institution_id)
    _slot_checks(slot=slot, service=service, now=now)
    _lock_citizen(citizen)
    booking = _insert(
        slot=slot,
        citizen=citizen,
        service=service,
        by_user=by_user,
        status=Booking.Status.BOOKED if confirm else Booking.Status.PENDING,
        now=now,
        limit=conf.active_per_service(),
    )
    if booking is None:
        raise _taken(slot, service)
    return booking


def booking_hold_for_self(
    *, by_user: User, slot_id: int, service_id: int, confirm: bool = False
) -> Booking:
    """``booking_hold`` for the user's own record, by the ids asked for. On PostgreSQL the
    slot, the service and the citizen are looked up in the booking's own round trip, and a
    lost race costs one more (the nearest free slots); when anything else stands in the
    way, they are read as usual and the transaction says what."""
    now = timezone.now()
    status = Booking.Status.BOOKED if confirm else Booking.Status.PENDING
    if connection.vendor == "postgresql" and (
        booking := _slot_at_once(slot_id, service_id, _Draft.new(by_user, status, now), now=now)
    ):
        return booking
    slot, service = selectors.slot_and_service_get(slot_id=slot_id, service_id=service_id)
    citizen = selectors.citizen_for(user=by_user, citizen_id=None)
    return booking_hold(
        slot=slot, citizen=citizen, service=service, by_user=by_user, confirm=confirm, now=now
    )


# What a one-call booking's answer shows, read in the call's own statement after its
# result: the slot with its counter and office, the service, the citizen (``s``, ``r``,
# ``i``, ``v``, ``c``); ``_answer_from`` and ``_booked_from`` read them back.
_ANSWER_COLUMNS = (
    f"{selectors.SLOT_COLUMNS}, {selectors.SERVICE_COLUMNS.sql()},"
    f" {selectors.CITIZEN_COLUMNS.sql()}"
)


def _answer_from(row: tuple[Any, ...], at: int) -> tuple[Slot, Service]:
    """The slot and the service of ``_ANSWER_COLUMNS`` from column ``at`` of ``row`` on."""
    slot = selectors.slot_from(row, at)
    service = selectors.SERVICE_COLUMNS.build(row, at + selectors.SLOT_COLUMNS_COUNT)
    slot.service = service if slot.service_id == service.pk else None
    return slot, service


def _booked_from(row: tuple[Any, ...], at: int, draft: _Draft) -> Booking:
    """The booking a one-call function made (its id first in ``row``), with the slot, the
    service and the citizen of ``_ANSWER_COLUMNS`` from column ``at`` on."""
    slot, service = _answer_from(row, at)
    citizen_at = at + selectors.SLOT_COLUMNS_COUNT + len(selectors.SERVICE_COLUMNS)
    citizen = selectors.CITIZEN_COLUMNS.build(row, citizen_at)
    return _inserted(row[0], draft, slot=slot, citizen=citizen, service=service)


# PostgreSQL books a chosen slot for oneself in one call (migration 0006 says how), and
# reads in the same statement what the answer shows. Parameters: slot, service, user,
# status, code, hold expiry, now, created, limit; the slot and the service again.
_BOOK_SLOT_SQL = (
    f"SELECT f.new_booking, f.taken, {_ANSWER_COLUMNS}"  # noqa: S608
    " FROM scheduling_book_slot(%s, %s, %s, %s, %s, %s, %s, %s, %s) f"
    " JOIN scheduling_slot s ON s.id = %s"
    " JOIN scheduling_resource r ON r.id = s.resource_id"
    " JOIN places_institution i ON i.id = r.institution_id"
    " JOIN scheduling_service v ON v.id = %s"
    " LEFT JOIN people_citizen c ON c.id = f.new_citizen"
)


def _slot_at_once(
    slot_id: int, service_id: int, draft: _Draft, *, now: dt.datetime
) -> Booking | None:
    """The booking made in one round trip, or None when anything but a lost race stood in
    the way (the call changed nothing then); a lost race raises the usual ``Conflict``."""
    adapt = connection.ops.adapt_datetimefield_value
    params = [slot_id, service_id, draft.by_user.pk, draft.status, draft.code, adapt(draft.expires)]
    params += [adapt(now), adapt(draft.created), conf.active_per_service(), slot_id, service_id]
    row = fetch_one(_BOOK_SLOT_SQL, params)
    if row is None:  # no such slot or service
        return None
    if row[1]:
        raise _taken(*_answer_from(row, 2))
    return None if row[0] is None else _booked_from(row, 2, draft)


# A free slot whose status went stale under a live booking is marked busy and passed over;
# this many in a row and the request gives up (a sign of a bug, not of contention).
_EARLIEST_ATTEMPTS = 5


def booking_earliest(
    *,
    service: Service,
    institution: Institution,
    citizen: Citizen,
    by_user: User,
    after: dt.datetime | None = None,
    confirm: bool = False,
    now: dt.datetime | None = None,
) -> Booking:
    """Hold (or with ``confirm`` book) the earliest free slot for ``service`` at
    ``institution`` starting after ``after`` (now when left out): the "first available
    time" a visitor asks for. Parallel requests are given different slots: each locks its
    candidate and skips those others hold (PostgreSQL; SQLite has one writer at a time), so
    none loses a race. Raises ``Conflict`` when no slot is free."""
    _acting_for(by_user, citizen, institution.pk)
    if not service.is_active:
        raise ApplicationError(_("This service is not on offer."), field="service_id")
    return _first_available(
        _Asked(by_user, service.pk, institution.pk, citizen.pk, after, confirm, now),
        parties=lambda: (service, institution, citizen),
    )


def booking_earliest_for_self(
    *,
    by_user: User,
    service_id: int,
    institution_id: int,
    after: dt.datetime | None = None,
    confirm: bool = False,
) -> Booking:
    """``booking_earliest`` for the user's own record, by the ids asked for. On PostgreSQL
    the service, the office and the citizen are looked up in the booking's own round trip;
    when anything stands in the way, they are read as usual and the transaction says what
    (no such service, no citizen record, no free time, the limit)."""
    return _first_available(
        _Asked(by_user, service_id, institution_id, None, after, confirm),
        parties=functools.partial(
            selectors.booking_parties,
            user=by_user,
            service_id=service_id,
            institution_id=institution_id,
        ),
    )


@dataclass(frozen=True)
class _Asked:
    """A request for the first available time: the citizen None for the user's own."""

    by_user: User
    service_id: int
    institution_id: int
    citizen_id: int | None
    after: dt.datetime | None = None
    confirm: bool = False
    now: dt.datetime | None = None


def _first_available(
    asked: _Asked, *, parties: Callable[[], tuple[Service, Institution, Citizen]]
) -> Booking:
    """In one round trip on PostgreSQL; else, or when that booked nothing, in the
    transaction, with the service, the office and the citizen ``parties`` gives."""
    now = asked.now or timezone.now()
    start = max(asked.after, now) if asked.after is not None else now
    draft = _Draft.new(
        asked.by_user, Booking.Status.BOOKED if asked.confirm else Booking.Status.PENDING, now
    )
    if connection.vendor == "postgresql" and (
        booking := _earliest_at_once(asked, draft, start=start, now=now)
    ):
        return booking
    service, institution, citizen = parties()
    return _earliest_locked(
        service=service,
        institution=institution,
        citizen=citizen,
        by_user=asked.by_user,
        start=start,
        status=draft.status,
        now=now,
    )


# PostgreSQL books the first available time in one call (migration 0004 says how); the
# slot, the service and the citizen the answer shows are read in the same statement.
# Parameters: citizen (None: the user's own), user, institution, service, after, status,
# code, hold expiry, booked by, now, created, limit; and the service again.
_BOOK_EARLIEST_SQL = (
    f"SELECT f.new_booking, {_ANSWER_COLUMNS}"  # noqa: S608
    " FROM scheduling_book_earliest(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) f"
    " JOIN scheduling_slot s ON s.id = f.new_slot"
    " JOIN scheduling_resource r ON r.id = s.resource_id"
    " JOIN places_institution i ON i.id = r.institution_id"
    " JOIN scheduling_service v ON v.id = %s"
    " JOIN people_citizen c ON c.id = f.new_citizen"
)


def _earliest_at_once(
    asked: _Asked, draft: _Draft, *, start: dt.datetime, now: dt.datetime
) -> Booking | None:
    """The booking made in one round trip (no BEGIN, no COMMIT of our own), or None when
    anything stood in the way: no such citizen, service or office on offer, a limit
    reached, no free slot, an insert that collided. The call changed nothing then."""
    adapt = connection.ops.adapt_datetimefield_value
    user, service_id = asked.by_user.pk, asked.service_id
    params = [asked.citizen_id, user, asked.institution_id, service_id, adapt(start)]
    params += [draft.status, draft.code, adapt(draft.expires), user, adapt(now)]
    params += [adapt(draft.created), conf.active_per_service(), service_id]
    row = fetch_one(_BOOK_EARLIEST_SQL, params)
    if row is None:
        return None
    return _booked_from(row, 1, draft)


@transaction.atomic
def _earliest_locked(
    *,
    service: Service,
    institution: Institution,
    citizen: Citizen,
    by_user: User,
    start: dt.datetime,
    status: str,
    now: dt.datetime,
) -> Booking:
    """The first available time in a transaction: the citizen's row and the slot locked,
    the insert, the slot marked busy; raises what stands in the way."""
    insert = functools.partial(
        _insert,
        citizen=citizen,
        service=service,
        by_user=by_user,
        status=status,
        now=now,
        limit=conf.active_per_service(),
    )
    for _attempt in range(_EARLIEST_ATTEMPTS):
        # Locks the citizen's row first, as _lock_citizen does for a chosen slot.
        slot = selectors.slot_earliest_free(
            service=service, institution=institution, after=start, citizen=citizen, lock=True
        )
        if slot is None:
            raise Conflict(
                _("There is no free time for this service here."), field="institution_id"
            )
        if (booking := insert(slot=slot)) is not None:
            return booking
        _mark_busy(slot)
    raise Conflict(_("Could not find a free slot; please try again."), field="institution_id")


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().select_related("slot").get(pk=booking.pk)


@transaction.atomic
def booking_confirm(*, booking: Booking, by_user: User, now: dt.datetime | None = None) -> Booking:
    """Turn a live hold into a booking."""
    _own(booking, by_user)
    return confirm_locked(_locked(booking), now=now or timezone.now())


def confirm_locked(booking: Booking, *, now: dt.datetime) -> Booking:
    """A live hold, locked by the caller who may confirm it, becomes a booking (a booking
    already is one); the citizen's confirm and the desk's share it."""
    if booking.status == Booking.Status.BOOKED:
        return booking
    if booking.status != Booking.Status.PENDING:
        raise Conflict(_("Only a held slot can be confirmed."), field="booking_id")
    if booking.hold_expires_at is not None and booking.hold_expires_at <= now:
        raise Conflict(_("The hold has expired; choose the slot again."), field="booking_id")
    booking.status = Booking.Status.BOOKED
    booking.save(update_fields=["status", "updated_at"])
    return booking


def _release(booking: Booking, *, status: str, reason: str, by_user: User | None) -> None:
    booking.status = status
    booking.cancelled_reason = reason
    booking.cancelled_by = by_user
    booking.save(update_fields=["status", "cancelled_reason", "cancelled_by", "updated_at"])
    Slot.objects.filter(pk=booking.slot_id, status=Slot.Status.BUSY).update(status=Slot.Status.FREE)


@transaction.atomic
def booking_cancel(*, booking: Booking, by_user: User, reason: str = "") -> Booking:
    """Cancel a held or booked visit; its slot is free again."""
    _own(booking, by_user)
    return cancel_locked(_locked(booking), reason=reason[:200] or "cancelled", by_user=by_user)


def cancel_locked(booking: Booking, *, reason: str, by_user: User) -> Booking:
    """A hold or a booking, locked by ``by_user`` who may cancel it, is cancelled and its
    slot freed; the citizen's cancel and the desk's share it."""
    if booking.status not in {Booking.Status.PENDING, Booking.Status.BOOKED}:
        raise Conflict(
            _("A booking that is %(status)s cannot be cancelled.")
            % {"status": booking.get_status_display()},
            field="booking_id",
        )
    _release(booking, status=Booking.Status.CANCELLED, reason=reason, by_user=by_user)
    return booking


@transaction.atomic
def booking_reschedule(
    *, booking: Booking, new_slot: Slot, by_user: User, now: dt.datetime | None = None
) -> Booking:
    """Move a booking to ``new_slot``: the new slot is taken first, and only then the old
    released, so a lost race leaves the old booking as it was."""
    now = now or timezone.now()
    _own(booking, by_user)
    old = _locked(booking)
    if old.status not in {Booking.Status.PENDING, Booking.Status.BOOKED}:
        raise Conflict(_("Only a coming visit can be moved."), field="booking_id")
    if new_slot.pk == old.slot_id:
        raise ApplicationError(_("That is the slot you already have."), field="slot_id")
    service = old.service
    _slot_checks(slot=new_slot, service=service, now=now)
    new = _insert(
        slot=new_slot,
        citizen=old.citizen,
        service=service,
        by_user=by_user,
        status=old.status,
        now=now,
        rescheduled_from=old,
    )
    if new is None:
        raise _taken(new_slot, service)
    _release(old, status=Booking.Status.CANCELLED, reason="rescheduled", by_user=by_user)
    return new


@transaction.atomic
def booking_check_in(
    *, code: str, institution: Institution | None = None, now: dt.datetime | None = None
) -> Booking:
    """The visitor has come: a booking for today, found by its code, is ``arrived``.

    With ``institution``, a code for another office is refused (the visitor is at the
    wrong place)."""
    now = now or timezone.now()
    found = (
        Booking.objects.select_for_update()
        .select_related("slot", "slot__resource", "service", "citizen")
        .filter(code=code_normalise(code))
        .first()
    )
    if found is None:
        raise NotFound(_("No booking has this code."), field="code")
    if institution is not None and found.slot.resource.institution_id != institution.pk:
        raise ApplicationError(_("This booking is for another office."), field="code")
    if found.status == Booking.Status.ARRIVED:
        raise Conflict(_("This booking has already been checked in."), field="code")
    if found.status != Booking.Status.BOOKED:
        raise Conflict(
            _("This booking is %(status)s.") % {"status": found.get_status_display()},
            field="code",
        )
    zone = local_zone()
    day = found.slot.start.astimezone(zone).date()
    if day != now.astimezone(zone).date():
        raise ApplicationError(
            _("This booking is for %(day)s.") % {"day": date_format(day, "DATE_FORMAT")},
            field="code",
        )
    found.status = Booking.Status.ARRIVED
    found.arrived_at = now
    found.save(update_fields=["status", "arrived_at", "updated_at"])
    return found


@transaction.atomic
def booking_fulfil(*, booking: Booking) -> Booking:
    """The visit took place."""
    booking = _locked(booking)
    if booking.status != Booking.Status.ARRIVED:
        raise Conflict(_("Only a visitor who has arrived can be served."), field="booking_id")
    booking.status = Booking.Status.FULFILLED
    booking.save(update_fields=["status", "updated_at"])
    return booking


# --- the queue's side: a checked-in visitor's booking follows their ticket ------------------


def booking_arrived_no_show(*, booking_id: int, now: dt.datetime) -> bool:
    """The visitor checked in but did not come to the counter when called: FHIR's
    ``arrived`` to ``noshow``. A booking in any other state is left as it is (one
    conditional update, like ``noshows_mark``); the slot stays taken, its time has passed.
    True if the booking changed."""
    return bool(
        Booking.objects.filter(pk=booking_id, status=Booking.Status.ARRIVED).update(
            status=Booking.Status.NOSHOW, updated_at=now
        )
    )


def bookings_arrived_cancel(*, booking_ids: list[int], reason: str, now: dt.datetime) -> int:
    """Checked-in visitors who were not served (they left the queue, or the office closed
    on them): FHIR's ``arrived`` to ``cancelled`` with ``reason``. A booking in any other
    state is left as it is. A slot that has not begun yet is free again, as
    ``booking_cancel`` frees it; one whose time has come stays taken. Returns how many
    changed; call it inside the caller's transaction."""
    if not booking_ids:
        return 0
    arrived = dict(
        Booking.objects.select_for_update()
        .filter(pk__in=booking_ids, status=Booking.Status.ARRIVED)
        .values_list("pk", "slot_id")
    )
    Booking.objects.filter(pk__in=arrived).update(
        status=Booking.Status.CANCELLED, cancelled_reason=reason, updated_at=now
    )
    Slot.objects.filter(pk__in=arrived.values(), status=Slot.Status.BUSY, start__gt=now).update(
        status=Slot.Status.FREE
    )
    return len(arrived)


# --- periodic work ---------------------------------------------------------------------


@transaction.atomic
def holds_expire(*, now: dt.datetime) -> int:
    """Cancel holds not confirmed in time and free their slots; returns how many."""
    expired = list(
        Booking.objects.filter(status=Booking.Status.PENDING, hold_expires_at__lte=now).values_list(
            "pk", "slot_id"
        )
    )
    if not expired:
        return 0
    count = Booking.objects.filter(
        pk__in=[pk for pk, _slot in expired], status=Booking.Status.PENDING
    ).update(status=Booking.Status.CANCELLED, cancelled_reason="hold expired", updated_at=now)
    slot_ids = [slot for _pk, slot in expired]
    still_taken = selectors.slots_taken(slot_ids=slot_ids)
    Slot.objects.filter(pk__in=set(slot_ids) - still_taken, status=Slot.Status.BUSY).update(
        status=Slot.Status.FREE
    )
    return count


@transaction.atomic
def noshows_mark(*, now: dt.datetime) -> int:
    """Booked visitors who have not checked in a grace period after their start."""
    return Booking.objects.filter(
        status=Booking.Status.BOOKED, slot__start__lt=now - conf.noshow_grace()
    ).update(status=Booking.Status.NOSHOW, updated_at=now)


def _reminder_channels(citizen: Citizen) -> tuple[str, ...]:
    channels = ["cabinet"]
    if citizen.notify_by_email:
        channels.append("email")
    if citizen.notify_by_sms:
        channels.append("sms")
    return tuple(channels)


def listeners(citizen: Citizen) -> list[tuple[User, Citizen]]:
    """Who hears of a citizen's booking: their own account, or (for a child without one)
    each guardian's, never the official who booked; with the contact whose channels are
    used."""
    if citizen.user is not None:
        return [(citizen.user, citizen)]
    guardianships = citizen.guardians.select_related("guardian__user")
    return [(g.guardian.user, g.guardian) for g in guardianships if g.guardian.user is not None]


def visit_time(booking: Booking) -> str:
    """When the visit is, in the city's time, as messages about it tell it."""
    return date_format(booking.slot.start.astimezone(local_zone()), "DATETIME_FORMAT")


def tell(booking: Booking, *, kind: str, title: str, body: str, link: str) -> int:
    """Tell the citizen of ``booking`` (or a child's guardians) by the channels they chose;
    returns how many accounts were told."""
    told = listeners(booking.citizen)
    for user, contact in told:
        notify(
            user=user,
            kind=kind,
            title=title,
            body=body,
            link=link,
            channels=_reminder_channels(contact),
        )
    return len(told)


def reminders_send(*, now: dt.datetime) -> int:
    """Remind each booked visitor once, ``reminder_lead`` before the visit."""
    due = Booking.objects.filter(
        status=Booking.Status.BOOKED,
        reminded_at__isnull=True,
        slot__start__gt=now,
        slot__start__lte=now + conf.reminder_lead(),
    ).select_related("slot", "slot__resource__institution", "service", "citizen__user")
    sent = 0
    for booking in due:
        with transaction.atomic():
            # The conditional update claims the reminder: two ticks never send it twice.
            claimed = Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            told = tell(
                booking,
                kind="scheduling.reminder",
                title=_("Reminder: %(service)s on %(when)s")
                % {"service": booking.service.name, "when": visit_time(booking)},
                body=_("%(place)s, %(address)s. Check-in code: %(code)s. Visitor: %(name)s.")
                % {
                    "place": booking.slot.resource.institution.name,
                    "address": booking.slot.resource.institution.address,
                    "code": booking.code,
                    "name": booking.citizen.first_name,
                },
                link=reverse("scheduling:bookings"),
            )
            sent += bool(told)
    return sent


def tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """One round of the periodic work: expire holds, mark no-shows, send reminders."""
    now = now or timezone.now()
    return {
        "holds_expired": holds_expire(now=now),
        "noshows": noshows_mark(now=now),
        "reminders": reminders_send(now=now),
    }
