"""``/api/v1/scheduling/desk/``: the office desk's API, for a registry clerk or the office
head, at their own office only; thin endpoints over ``scheduling.desk``.

Anyone else signed in (a citizen, an official of another role) is refused with a 403, as
the desk's pages refuse them; a booking of another office is a 404, as if it did not exist.
"""

# No ``from __future__ import annotations``: Ninja's pagination reads the parameters'
# annotations at run time, outside this module's namespace.
import datetime as dt
from dataclasses import asdict

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gorod.people.auth import request_user
from gorod.people.models import User
from gorod.places.models import Institution
from gorod.scheduling import desk
from gorod.scheduling.api import BookingOut, day_check
from gorod.scheduling.models import Booking
from gorod.schemas import Key, Pages, errors

router = Router(tags=["scheduling desk"])


class BookerOut(Schema):
    kind: str = Field(description="visitor, guardian, official or unknown")
    name: str = Field(description="the guardian's or the official's name; empty otherwise")
    role: str = Field(description="the official's role; empty otherwise")


class DeskBookingOut(BookingOut):
    visitor: str = Field(alias="citizen.full_name")
    booked_by: BookerOut

    cancelled_by: BookerOut | None = Field(
        description="who cancelled it (kind unknown: the platform, e.g. an expired hold); "
        "null unless cancelled"
    )

    @staticmethod
    def resolve_booked_by(obj: Booking) -> dict[str, str]:
        return asdict(desk.booker(obj))

    @staticmethod
    def resolve_cancelled_by(obj: Booking) -> dict[str, str] | None:
        who = desk.canceller(obj)
        return None if who is None else asdict(who)


class DeskCancelIn(Schema):
    reason: str = Field("", description="why, told to the visitor; required")


def _desk_user(request: HttpRequest) -> tuple[User, Institution]:
    """The signed-in desk official and their office; anyone else is a 403."""
    user = request_user(request)
    return user, desk.desk_of(user)


@router.get("/bookings", response={200: list[DeskBookingOut], **errors(400, 401, 403, 422)})
@paginate(Pages)
def bookings(request: HttpRequest, day: dt.date | None = None) -> QuerySet[Booking]:
    """The office's bookings on a local day (today when left out), by time, with who
    booked each."""
    _user, institution = _desk_user(request)
    day = day_check(day or timezone.localdate(), field="day")
    return desk.office_bookings(institution=institution, day=day)


@router.post(
    "/bookings/{booking_id}/confirm",
    response={200: DeskBookingOut, **errors(401, 403, 404, 409, 422)},
)
def booking_confirm(request: HttpRequest, booking_id: Key) -> Booking:
    """Confirm a visitor's live hold at your office; the visitor is told."""
    user, _institution = _desk_user(request)
    found = desk.desk_booking_get(by_user=user, booking_id=booking_id)
    return desk.desk_booking_confirm(booking=found, by_user=user)


@router.post(
    "/bookings/{booking_id}/cancel",
    response={200: DeskBookingOut, **errors(400, 401, 403, 404, 409, 422)},
)
def booking_cancel(request: HttpRequest, booking_id: Key, payload: DeskCancelIn) -> Booking:
    """Cancel a hold or a booking at your office for a reason the visitor is told; the
    time is free again."""
    user, _institution = _desk_user(request)
    found = desk.desk_booking_get(by_user=user, booking_id=booking_id)
    return desk.desk_booking_cancel(booking=found, by_user=user, reason=payload.reason)
