"""``/api/v1/scheduling/``: services, free slots, and the citizen's bookings.

A booking is held (``POST /bookings``) and then confirmed, or booked at once with
``"confirm": true``. A slot someone else has just taken is a 409 whose ``extra.nearest``
lists the nearest free slots of the same service at the same place.
``POST /bookings/earliest`` takes the first available time instead of a chosen slot.
"""

# No ``from __future__ import annotations``: Ninja's pagination reads the parameters'
# annotations at run time, outside this module's namespace.
import datetime as dt

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from gorod.errors import ApplicationError
from gorod.people.auth import request_user
from gorod.places.models import Institution
from gorod.scheduling import selectors, services
from gorod.scheduling.models import Booking, Service, Slot
from gorod.schemas import Key, Pages, errors

router = Router(tags=["scheduling"])

MAX_RANGE_DAYS = 62
# Dates asked for lie in these bounds (a day after 9999-12-31 does not exist).
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2199, 12, 31)


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    duration_minutes: int
    description: str


class InstitutionOut(Schema):
    id: int
    name: str
    kind: str
    address: str
    district: str = Field(alias="district.name")


# Names from related rows are resolved by methods rather than dotted aliases: Ninja
# parses a dotted alias anew for every object, which took half of a booking's answer.
class SlotOut(Schema):
    id: int
    start: dt.datetime
    end: dt.datetime
    status: str
    resource: str
    institution_id: int

    @staticmethod
    def resolve_resource(slot: Slot) -> str:
        return slot.resource.name

    @staticmethod
    def resolve_institution_id(slot: Slot) -> int:
        return slot.resource.institution_id


class BookingOut(Schema):
    id: int
    status: str
    code: str
    citizen_id: int
    service_id: int
    service: str
    slot: SlotOut
    institution: str
    address: str
    hold_expires_at: dt.datetime | None
    rescheduled_from_id: int | None
    cancelled_reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_service(booking: Booking) -> str:
        return booking.service.name

    @staticmethod
    def resolve_institution(booking: Booking) -> str:
        return booking.slot.resource.institution.name

    @staticmethod
    def resolve_address(booking: Booking) -> str:
        return booking.slot.resource.institution.address


class HoldIn(Schema):
    slot_id: Key
    service_id: Key
    citizen_id: Key | None = Field(
        None,
        description="a child in your care (any citizen for a clerk at their office's desk); "
        "yourself when left out",
    )
    confirm: bool = Field(False, description="book at once instead of holding")


class EarliestIn(Schema):
    service_id: Key
    institution_id: Key
    after: dt.datetime | None = Field(
        None, description="the earliest start wanted (now when left out); with a time zone"
    )
    citizen_id: Key | None = Field(
        None,
        description="a child in your care (any citizen for a clerk at their office's desk); "
        "yourself when left out",
    )
    confirm: bool = Field(False, description="book at once instead of holding")


class CancelIn(Schema):
    reason: str = Field("", max_length=200)


class RescheduleIn(Schema):
    slot_id: Key


@router.get("/services", response={200: list[ServiceOut], **errors(404, 422)}, auth=None)
def services_list(request: HttpRequest, institution_id: Key | None = None) -> QuerySet[Service]:
    """Services that can be booked, everywhere or at one institution."""
    institution = (
        selectors.institution_get(institution_id=institution_id) if institution_id else None
    )
    return selectors.services_offered(institution=institution)


@router.get(
    "/services/{service_id}/institutions",
    response={200: list[InstitutionOut], **errors(404, 422)},
    auth=None,
)
def service_institutions(request: HttpRequest, service_id: Key) -> QuerySet[Institution]:
    """Where a service is offered."""
    return selectors.institutions_offering(service=selectors.service_get(service_id=service_id))


def day_check(day: dt.date, *, field: str) -> dt.date:
    """A day asked for, refused (400 naming ``field``) outside FIRST_DAY to LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ApplicationError(
            _("Choose a day between %(first)s and %(last)s.")
            % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
            field=field,
        )
    return day


def _range(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    zone = services.local_zone()
    for name, day in (("date_from", date_from), ("date_to", date_to)):
        if day is not None:
            day_check(day, field=name)
    first = date_from or dt.datetime.now(zone).date()
    last = date_to or first + dt.timedelta(days=6)
    if last < first:
        raise ApplicationError(_("The end date is before the start date."), field="date_to")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ApplicationError(
            _("Ask for at most %(days)d days at a time.") % {"days": MAX_RANGE_DAYS},
            field="date_to",
        )
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)


@router.get("/slots", response={200: list[SlotOut], **errors(400, 404, 422)}, auth=None)
@paginate(Pages)
def slots(
    request: HttpRequest,
    service_id: Key,
    institution_id: Key | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Slot]:
    """Free slots for a service, earliest first, between two local dates (inclusive;
    from today and for a week when left out)."""
    service = selectors.service_get(service_id=service_id)
    institution = (
        selectors.institution_get(institution_id=institution_id) if institution_id else None
    )
    start, end = _range(date_from, date_to)
    return selectors.slots_free(service=service, institution=institution, start=start, end=end)


@router.get("/bookings", response={200: list[BookingOut], **errors(401, 422)})
@paginate(Pages)
def bookings(request: HttpRequest, current: bool = True) -> QuerySet[Booking]:
    """Your bookings and your children's: coming ones, or (``current=false``) the history."""
    return selectors.bookings_of(user=request_user(request), current=current)


# Before /bookings/{booking_id}: the first route whose path matches is the one Django tries.
@router.post("/bookings/earliest", response={201: BookingOut, **errors(400, 401, 404, 409, 422)})
def booking_earliest(request: HttpRequest, payload: EarliestIn) -> Status[Booking]:
    """Hold (or book at once) the earliest free slot for a service at an institution: the
    first available time. Parallel requests get different slots; a 409 means none is free."""
    user = request_user(request)
    if payload.after is not None and payload.after.tzinfo is None:
        raise ApplicationError(_("Give the time with its time zone."), field="after")
    if payload.citizen_id is None:  # for oneself: most requests
        booking = services.booking_earliest_for_self(
            by_user=user,
            service_id=payload.service_id,
            institution_id=payload.institution_id,
            after=payload.after,
            confirm=payload.confirm,
        )
        return Status(201, booking)
    service = selectors.service_get(service_id=payload.service_id)
    institution = selectors.institution_get(institution_id=payload.institution_id)
    desk = services.books_for_anyone_at(user, institution.pk)
    citizen = selectors.citizen_for(user=user, citizen_id=payload.citizen_id, desk=desk)
    booking = services.booking_earliest(
        service=service,
        institution=institution,
        citizen=citizen,
        by_user=user,
        after=payload.after,
        confirm=payload.confirm,
    )
    return Status(201, booking)


@router.get("/bookings/{booking_id}", response={200: BookingOut, **errors(401, 404, 422)})
def booking(request: HttpRequest, booking_id: Key) -> Booking:
    return selectors.booking_get(user=request_user(request), booking_id=booking_id)


@router.post("/bookings", response={201: BookingOut, **errors(400, 401, 404, 409, 422)})
def booking_hold(request: HttpRequest, payload: HoldIn) -> Status[Booking]:
    """Hold a slot for yourself or a child in your care (or book it at once). A registry
    clerk or office head books for any citizen (``citizen_id``) at their institution."""
    user = request_user(request)
    if payload.citizen_id is None:  # for oneself: most requests
        booking = services.booking_hold_for_self(
            by_user=user,
            slot_id=payload.slot_id,
            service_id=payload.service_id,
            confirm=payload.confirm,
        )
        return Status(201, booking)
    slot, service = selectors.slot_and_service_get(
        slot_id=payload.slot_id, service_id=payload.service_id
    )
    desk = services.books_for_anyone_at(user, slot.resource.institution_id)
    citizen = selectors.citizen_for(user=user, citizen_id=payload.citizen_id, desk=desk)
    booking = services.booking_hold(
        slot=slot, citizen=citizen, service=service, by_user=user, confirm=payload.confirm
    )
    return Status(201, booking)


@router.post(
    "/bookings/{booking_id}/confirm", response={200: BookingOut, **errors(401, 404, 409, 422)}
)
def booking_confirm(request: HttpRequest, booking_id: Key) -> Booking:
    """Confirm a hold before it expires."""
    user = request_user(request)
    found = selectors.booking_get(user=user, booking_id=booking_id)
    return services.booking_confirm(booking=found, by_user=user)


@router.post(
    "/bookings/{booking_id}/cancel", response={200: BookingOut, **errors(401, 404, 409, 422)}
)
def booking_cancel(request: HttpRequest, booking_id: Key, payload: CancelIn) -> Booking:
    """Cancel a hold or a booking; the slot is free for others."""
    user = request_user(request)
    found = selectors.booking_get(user=user, booking_id=booking_id)
    return services.booking_cancel(booking=found, by_user=user, reason=payload.reason)


@router.post(
    "/bookings/{booking_id}/reschedule",
    response={200: BookingOut, **errors(400, 401, 404, 409, 422)},
)
def booking_reschedule(request: HttpRequest, booking_id: Key, payload: RescheduleIn) -> Booking:
    """Move a booking to another slot of the same service; the answer is the new booking.
    If the new slot is taken, the old booking stays as it was."""
    user = request_user(request)
    found = selectors.booking_get(user=user, booking_id=booking_id)
    new_slot = selectors.slot_get(slot_id=payload.slot_id)
    return services.booking_reschedule(booking=found, new_slot=new_slot, by_user=user)
