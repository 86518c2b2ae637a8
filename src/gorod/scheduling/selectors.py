"""Reads: services on offer, free slots, a citizen's bookings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, NotFound
from gorod.people.models import Citizen, User
from gorod.people.scope import citizens_acted_for, restrict
from gorod.places.models import Institution
from gorod.rows import Columns, datetime_value, fetch_one
from gorod.scheduling.models import ACTIVE_STATUSES, Booking, Resource, Service, Slot


def services_offered(*, institution: Institution | None = None) -> QuerySet[Service]:
    """Active services with at least one active resource serving them."""
    services = Service.objects.filter(is_active=True, resources__is_active=True)
    if institution is not None:
        services = services.filter(resources__institution=institution)
    return services.distinct().order_by("name")


def institutions_offering(*, service: Service) -> QuerySet[Institution]:
    return (
        Institution.objects.filter(
            is_active=True, resources__is_active=True, resources__services=service
        )
        .select_related("district")
        .distinct()
        .order_by("district__name", "name")
    )


def _serves(service: Service) -> Q:
    """Slots usable for ``service``: of a resource serving it, the service's own or open
    to any of the resource's services."""
    return Q(resource__services=service) & (Q(service=service) | Q(service__isnull=True))


def slots_free(
    *,
    service: Service,
    institution: Institution | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> QuerySet[Slot]:
    """Free future slots for ``service``, earliest first."""
    now = timezone.now()
    slots = Slot.objects.filter(
        _serves(service),
        status=Slot.Status.FREE,
        resource__is_active=True,
        start__gt=max(start, now) if start else now,
    )
    if end is not None:
        slots = slots.filter(start__lt=end)
    if institution is not None:
        slots = slots.filter(resource__institution=institution)
    return slots.select_related("resource", "resource__institution").order_by("start", "pk")


# Slots ``s`` of resources ``r`` free for a service at an institution: the ORM's
# ``slots_free`` written out for the booking paths. Parameters: institution, service, service.
_FREE_FOR_SERVICE = (
    "r.institution_id = %s AND r.is_active AND s.status = 'free'"
    " AND (s.service_id = %s OR s.service_id IS NULL) AND EXISTS (SELECT 1 FROM"
    " scheduling_resource_services m WHERE m.resource_id = r.id AND m.service_id = %s)"
)
# Those other than one slot, from a time on: a lost race asks for them on every 409.
# Parameters: institution, service, service, slot, now.
_FREE_HERE = (
    "SELECT s.id, s.start, s.{end}, r.name, r.institution_id FROM scheduling_slot s"  # noqa: S608
    f" JOIN scheduling_resource r ON r.id = s.resource_id WHERE {_FREE_FOR_SERVICE}"
    " AND s.id <> %s AND s.start > %s"
)
_NEAREST_SQL = (
    "SELECT * FROM ({free} AND s.start >= %s ORDER BY s.start, s.id LIMIT %s) later"
    " UNION ALL"
    " SELECT * FROM ({free} AND s.start < %s ORDER BY s.start DESC, s.id DESC LIMIT %s) earlier"
)


def slots_nearest(*, slot: Slot, service: Service, count: int = 5) -> list[dict[str, Any]]:
    """The free slots for ``service`` at the same institution closest in time to ``slot``,
    earliest first, as plain rows (id, start, end, resource, institution_id): a lost race
    answers with them, so they are read without building models."""
    ops = connection.ops
    free = _FREE_HERE.format(end=ops.quote_name("end"))
    side = [slot.resource.institution_id, service.pk, service.pk, slot.pk]
    now, start = (
        ops.adapt_datetimefield_value(timezone.now()),
        ops.adapt_datetimefield_value(slot.start),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _NEAREST_SQL.format(free=free),
            [*side, now, start, count, *side, now, start, count],
        )
        rows = cursor.fetchall()
    found = [
        (pk, datetime_value(begin), datetime_value(end), name, place)
        for pk, begin, end, name, place in rows
    ]
    # Nearest first; of two as near, the earlier.
    nearest = sorted(found, key=lambda row: (abs(row[1] - slot.start), row[1]))[:count]
    return [
        {
            "id": pk,
            "start": begin.isoformat(),
            "end": end.isoformat(),
            "resource": resource,
            "institution_id": institution_id,
        }
        for pk, begin, end, resource, institution_id in sorted(nearest, key=lambda row: row[1])
    ]


def slot_serves(*, slot: Slot, service: Service) -> bool:
    return Slot.objects.filter(_serves(service), pk=slot.pk).exists()


def _bookings() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "slot", "slot__resource", "slot__resource__institution", "service", "citizen"
    )


def bookings_visible(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Booking]:
    """Bookings ``user`` may see: their own and their children's, or their institution's."""
    return restrict(_bookings(), user, institution="slot__resource__institution", citizen="citizen")


def bookings_of(*, user: AbstractBaseUser | AnonymousUser, current: bool) -> QuerySet[Booking]:
    """The bookings of the citizens ``user`` acts for: coming ones or the history."""
    bookings = restrict(_bookings(), user, citizen="citizen").order_by("slot__start")
    coming = Q(status__in=["pending", "booked"], slot__end__gt=timezone.now())
    return bookings.filter(coming) if current else bookings.exclude(coming).reverse()


def slots_taken(*, slot_ids: list[int]) -> set[int]:
    """Which of ``slot_ids`` carry an active booking."""
    return set(
        Booking.objects.filter(slot_id__in=slot_ids, status__in=ACTIVE_STATUSES).values_list(
            "slot_id", flat=True
        )
    )


def _active_sql(columns: Columns[Any], table: str) -> str:
    """One active row by key (booking asks for its service and office on every request)."""
    alias = columns.alias
    return (
        f"SELECT {columns.sql()} FROM {table} {alias}"  # noqa: S608 - our own names
        f" WHERE {alias}.id = %s AND {alias}.is_active"
    )


# A service and a citizen as hand-written SQL reads them (``v`` and ``c``).
SERVICE_COLUMNS = Columns(Service, "v")
_SERVICE_SQL = _active_sql(SERVICE_COLUMNS, "scheduling_service")
_PLACE = Columns(Institution, "i")
_PLACE_SQL = _active_sql(_PLACE, "places_institution")


def service_get(*, service_id: int) -> Service:
    service = SERVICE_COLUMNS.fetch(_SERVICE_SQL, [service_id])
    if service is None:
        raise NotFound(_("No such service."), field="service_id")
    return service


def institution_get(*, institution_id: int) -> Institution:
    institution = _PLACE.fetch(_PLACE_SQL, [institution_id])
    if institution is None:
        raise NotFound(_("No such institution."), field="institution_id")
    return institution


_SLOT = Columns(Slot, "s", ["start", "end", "status", "service_id", "resource_id"])
_RESOURCE = Columns(Resource, "r", ["name", "is_active", "institution_id"])
_INSTITUTION = Columns(Institution, "i", ["name", "address"])
_OWN_SERVICE = Columns(Service, "v", ["name", "is_active"])


# What a booking's answer shows of its slot, from ``scheduling_slot s`` with its resource
# ``r`` and institution ``i``: a SELECT list that ``slot_from`` reads back.
SLOT_COLUMNS = f"{_SLOT.sql()}, {_RESOURCE.sql()}, {_INSTITUTION.sql()}"
SLOT_COLUMNS_COUNT = len(_SLOT) + len(_RESOURCE) + len(_INSTITUTION)


def slot_from(row: tuple[Any, ...], start: int = 0) -> Slot:
    """The slot with its resource and institution from ``SLOT_COLUMNS`` in ``row`` from
    ``start`` on."""
    slot = _SLOT.build(row, start)
    start += len(_SLOT)
    slot.resource = _RESOURCE.build(row, start)
    slot.resource.institution = _INSTITUTION.build(row, start + len(_RESOURCE))
    return slot


# A booking reads its slot with this: written out once, as the ORM would compile it anew
# on every request.
_SLOT_SQL = (
    f"SELECT {SLOT_COLUMNS}, {_OWN_SERVICE.sql()}"  # noqa: S608
    " FROM scheduling_slot s JOIN scheduling_resource r ON r.id = s.resource_id"
    " JOIN places_institution i ON i.id = r.institution_id"
    " LEFT JOIN scheduling_service v ON v.id = s.service_id WHERE s.id = %s"
)


def slot_and_service_get(*, slot_id: int, service_id: int) -> tuple[Slot, Service]:
    """The slot and the service asked for; one query when the slot is the service's own.
    Only what booking it needs is read: the checks and the answer's names and address."""
    row = fetch_one(_SLOT_SQL, [slot_id])
    if row is None:
        raise NotFound(_("No such slot."), field="slot_id")
    found = slot_from(row)
    at = SLOT_COLUMNS_COUNT
    own = _OWN_SERVICE.build(row, at) if row[at] is not None else None
    found.service = own
    if own is not None and own.pk == service_id and own.is_active:
        return found, own
    return found, service_get(service_id=service_id)


# The earliest free slot for a service at an institution after a time, with the columns a
# booking's answer needs. Parameters: citizen, institution, service, service, after. The
# citizen's row comes first: the booking paths lock it (``citizen_lock``) in the same
# statement, before the slots are scanned.
_EARLIEST_SQL = (
    "WITH c AS (SELECT id FROM people_citizen WHERE id = %s{citizen_lock})"  # noqa: S608
    f" SELECT {SLOT_COLUMNS}"
    " FROM scheduling_slot s JOIN scheduling_resource r ON r.id = s.resource_id"
    " JOIN places_institution i ON i.id = r.institution_id"
    f" WHERE EXISTS (SELECT 1 FROM c) AND {_FREE_FOR_SERVICE}"
    " AND s.start > %s ORDER BY s.start, s.id LIMIT 1{slot_lock}"
)


def slot_earliest_free(
    *,
    service: Service,
    institution: Institution,
    after: dt.datetime,
    citizen: Citizen,
    lock: bool = False,
) -> Slot | None:
    """The earliest free slot for ``service`` at ``institution`` starting after ``after``,
    for ``citizen`` (None if the citizen's record is gone). With ``lock`` (in a
    transaction), the citizen's row is locked first, as every booking of theirs does, and
    then the slot's row, skipping slots other transactions have locked, so parallel
    callers get different slots (PostgreSQL; SQLite has one writer at a time and needs no
    lock)."""
    features = connection.features
    sql = _EARLIEST_SQL.format(
        citizen_lock=" FOR UPDATE" if lock and features.has_select_for_update else "",
        slot_lock=" FOR UPDATE OF s SKIP LOCKED"
        if lock and features.has_select_for_update_skip_locked
        else "",
    )
    after_value = connection.ops.adapt_datetimefield_value(after)
    row = fetch_one(sql, [citizen.pk, institution.pk, service.pk, service.pk, after_value])
    if row is None:
        return None
    found = slot_from(row)
    found.service = service if found.service_id == service.pk else None
    return found


def slot_get(*, slot_id: int) -> Slot:
    slot = Slot.objects.select_related("resource", "resource__institution").filter(pk=slot_id)
    found = slot.first()
    if found is None:
        raise NotFound(_("No such slot."), field="slot_id")
    return found


def booking_get(*, user: AbstractBaseUser | AnonymousUser, booking_id: int) -> Booking:
    """One of the bookings ``user`` acts for; someone else's is as good as missing."""
    found = restrict(_bookings(), user, citizen="citizen").filter(pk=booking_id).first()
    if found is None:
        raise NotFound(_("No such booking."), field="booking_id")
    return found


CITIZEN_COLUMNS = Columns(Citizen, "c")
_OWN_CITIZEN_SQL = f"SELECT {CITIZEN_COLUMNS.sql()} FROM people_citizen c WHERE c.user_id = %s"  # noqa: S608


_PARTIES = (SERVICE_COLUMNS, _PLACE, CITIZEN_COLUMNS)
# The service, the office and the user's own citizen record, all active: a booking for
# oneself at the first available time needs the three, so they are read together.
# Parameters: service, institution, user.
_PARTIES_SQL = (
    f"SELECT {', '.join(part.sql() for part in _PARTIES)}"  # noqa: S608 - our columns
    " FROM scheduling_service v, places_institution i, people_citizen c"
    " WHERE v.id = %s AND v.is_active AND i.id = %s AND i.is_active AND c.user_id = %s"
)


def booking_parties(
    *, user: User, service_id: int, institution_id: int
) -> tuple[Service, Institution, Citizen]:
    """The service and the institution asked for and the user's own citizen record, in
    one query; when one of them is missing, the error of the one that is."""
    row = fetch_one(_PARTIES_SQL, [service_id, institution_id, user.pk])
    if row is None:
        return (
            service_get(service_id=service_id),
            institution_get(institution_id=institution_id),
            citizen_for(user=user, citizen_id=None),
        )
    citizen_at = len(SERVICE_COLUMNS) + len(_PLACE)
    return (
        SERVICE_COLUMNS.build(row),
        _PLACE.build(row, len(SERVICE_COLUMNS)),
        CITIZEN_COLUMNS.build(row, citizen_at),
    )


def citizen_for(*, user: User, citizen_id: int | None, desk: bool = False) -> Citizen:
    """The citizen to book for: the user's own record, or a child in their care; with
    ``desk`` (an official booking at their institution's desk), any citizen by id."""
    if citizen_id is None:
        citizen = CITIZEN_COLUMNS.fetch(_OWN_CITIZEN_SQL, [user.pk])
    else:
        candidates = Citizen.objects.all() if desk else citizens_acted_for(user)
        citizen = candidates.filter(pk=citizen_id).first()
    if citizen is None:
        message = (
            _("Only a resident with a citizen record can book.")
            if citizen_id is None
            else _("You can book only for yourself or a child in your care.")
        )
        raise ApplicationError(message, field="citizen_id")
    return citizen


def free_days(
    *, service: Service, institution: Institution, start: dt.datetime, days: int
) -> list[tuple[dt.date, int]]:
    """Local days from ``start`` with free slots for ``service`` there, and how many."""
    zone = timezone.get_current_timezone()
    counted = (
        slots_free(
            service=service,
            institution=institution,
            start=start,
            end=start + dt.timedelta(days=days),
        )
        .annotate(day=TruncDate("start", tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(free=Count("pk"))
        .order_by("day")
    )
    return [(row["day"], row["free"]) for row in counted]


def bookings_on_day(*, institution: Institution, day: dt.date) -> QuerySet[Booking]:
    """The day's bookings at an institution, by time (the back office's appointment list)."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return (
        _bookings()
        .filter(
            slot__resource__institution=institution,
            slot__start__gte=start,
            slot__start__lt=start + dt.timedelta(days=1),
        )
        .exclude(status__in=["proposed", "entered-in-error"])
        .order_by("slot__start", "slot__resource__name")
    )
