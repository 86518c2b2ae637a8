"""The office's side of bookings: a registry clerk or the office head books a visitor at the
desk or by phone, and confirms or cancels the bookings of their own office.

The booking itself is the citizen flow's (``services.booking_hold``, which records the
official in ``booked_by``); what differs is who may act. An official acts only at their
own institution: anyone else's booking is, to them, a booking that does not exist. Finding
a resident by SNILS or name is an official reading a resident's record, recorded as such
(``people.record.read``) for the resident to see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, NotFound
from gorod.people import validators
from gorod.people.models import Citizen, User
from gorod.people.scope import official_for
from gorod.people.services import citizen_record_read
from gorod.places.models import Institution
from gorod.scheduling import selectors, services
from gorod.scheduling.models import Booking, Service, Slot

# Who booked a visit, as the office page tells it.
BY_VISITOR, BY_GUARDIAN, BY_OFFICIAL, BY_UNKNOWN = "visitor", "guardian", "official", "unknown"

# Only the coming part of a booking's life can be changed at the desk.
_OPEN = (Booking.Status.PENDING, Booking.Status.BOOKED)


def desk_institution(*, user: User) -> Institution | None:
    """The institution at whose desk ``user`` books for visitors, or None when they may not
    (a citizen, or an official of another role)."""
    official = services.desk_official(user)
    return official.institution if official is not None else None


def desk_of(by_user: User) -> Institution:
    """The official's institution; anyone who does not work at a desk is refused (403)."""
    institution = desk_institution(user=by_user)
    if institution is None:
        raise PermissionDenied(_("Only an office's registry clerk or head works at the desk."))
    return institution


def _institution_of(by_user: User) -> Institution:
    institution = desk_institution(user=by_user)
    if institution is None:
        raise NotFound(_("No such booking."), field="booking_id")
    return institution


# --- finding the visitor ----------------------------------------------------------------


def _spellings(last_name: str) -> list[str]:
    """The ways a typed last name may be stored: as typed, capitalised, in capitals.
    (SQLite compares only Latin letters case-insensitively, so the database is asked for
    each spelling rather than for a case-insensitive match.)"""
    spellings = [last_name, last_name.title(), last_name.capitalize(), last_name.upper()]
    return list(dict.fromkeys(spellings))


def _same_name(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


@transaction.atomic
def citizen_find(
    *,
    by_user: User,
    snils: str = "",
    last_name: str = "",
    birth_date: dt.date | None = None,
) -> Citizen:
    """The resident a desk official asks for: by SNILS, or by last name and date of birth
    when only one resident has them. With a SNILS, a last name or date of birth typed
    beside it must be the resident's. The lookup is recorded for the resident to see."""
    desk_of(by_user)
    if snils.strip():
        number = validators.clean_snils(snils)
        citizen = Citizen.objects.filter(snils=number).first()
        if citizen is None:
            raise NotFound(_("No resident has this SNILS."), field="snils")
        if last_name.strip() and not _same_name(last_name.strip(), citizen.last_name):
            raise ApplicationError(
                _("The resident with this SNILS has another last name."), field="last_name"
            )
        if birth_date is not None and birth_date != citizen.birth_date:
            raise ApplicationError(
                _("The resident with this SNILS has another date of birth."), field="birth_date"
            )
    else:
        name = validators.clean_name(last_name, field="last_name")
        if birth_date is None:
            raise ApplicationError(
                _("Give the date of birth with the last name, or the SNILS."), field="birth_date"
            )
        found = list(
            Citizen.objects.filter(last_name__in=_spellings(name), birth_date=birth_date)[:2]
        )
        if not found:
            raise NotFound(
                _("No resident has this last name and date of birth."), field="last_name"
            )
        if len(found) > 1:
            raise ApplicationError(
                _("Several residents have this last name and date of birth: ask for the SNILS."),
                field="snils",
            )
        citizen = found[0]
    citizen_record_read(
        actor=by_user,
        citizen=citizen,
        purpose=_("Booking a visit at the office desk"),
        channel="desk",
    )
    return citizen


def visitor_get(*, by_user: User, citizen_id: int) -> Citizen:
    """The visitor found earlier at this desk (the id the desk kept after the lookup)."""
    desk_of(by_user)
    citizen = Citizen.objects.filter(pk=citizen_id).first()
    if citizen is None:
        raise NotFound(_("No such resident."), field="citizen_id")
    return citizen


# --- booking at the desk ----------------------------------------------------------------


def _tell(booking: Booking, *, kind: str, title: str, body: str) -> None:
    link = reverse("scheduling:booking", args=[booking.pk])
    services.tell(booking, kind=kind, title=title, body=body, link=link)


def _place(booking: Booking) -> str:
    institution = booking.slot.resource.institution
    return f"{institution.name}, {institution.address}"


@transaction.atomic
def desk_book(*, by_user: User, citizen: Citizen, slot: Slot, service: Service) -> Booking:
    """Book ``slot`` for ``citizen`` at once (no hold to confirm): the visitor is at the desk
    or on the phone. The slot must be at the official's own office."""
    institution = desk_of(by_user)
    if slot.resource.institution_id != institution.pk:
        raise ApplicationError(_("This time is at another office."), field="slot_id")
    try:
        booking = services.booking_hold(
            slot=slot, citizen=citizen, service=service, by_user=by_user, confirm=True
        )
    except ApplicationError as exc:
        if "limit" in exc.extra:
            raise ApplicationError(
                _("The visitor already has %(count)d active bookings for this service.")
                % {"count": exc.extra["limit"]},
                field="service_id",
                extra=exc.extra,
            ) from exc
        raise
    _tell(
        booking,
        kind="scheduling.desk_booked",
        title=_("The office booked you a visit: %(service)s on %(when)s")
        % {"service": service.name, "when": services.visit_time(booking)},
        body=_("%(place)s. Check-in code: %(code)s. Visitor: %(name)s.")
        % {"place": _place(booking), "code": booking.code, "name": citizen.full_name},
    )
    return booking


# --- the office's bookings --------------------------------------------------------------


def office_bookings(*, institution: Institution, day: dt.date) -> QuerySet[Booking]:
    """The day's bookings at the office with who booked and who cancelled each."""
    return selectors.bookings_on_day(institution=institution, day=day).select_related(
        "booked_by",
        "booked_by__official",
        "booked_by__citizen",
        "cancelled_by",
        "cancelled_by__official",
        "cancelled_by__citizen",
    )


def desk_booking_get(*, by_user: User, booking_id: int) -> Booking:
    """A booking of the official's own office; any other is as good as missing."""
    institution = _institution_of(by_user)
    found = (
        selectors._bookings().filter(pk=booking_id, slot__resource__institution=institution).first()
    )
    if found is None:
        raise NotFound(_("No such booking."), field="booking_id")
    return found


@dataclass(frozen=True)
class Booker:
    """Who booked a visit: the visitor, a guardian, an official, or no longer known."""

    kind: str
    name: str = ""
    role: str = ""


def booker(booking: Booking) -> Booker:
    """Who booked ``booking`` (read with ``office_bookings`` to spare the queries)."""
    return _who(booking.booked_by, booking)


def canceller(booking: Booking) -> Booker | None:
    """Who cancelled ``booking``, None when it is not cancelled; ``unknown`` when the
    platform did (a hold expired, the visitor left the queue, the office closed)."""
    if booking.status != Booking.Status.CANCELLED:
        return None
    return _who(booking.cancelled_by, booking)


def _who(user: User | None, booking: Booking) -> Booker:
    """``user`` as the visitor of ``booking``, a guardian or an official."""
    if user is None:
        return Booker(BY_UNKNOWN)
    if user.pk == booking.citizen.user_id:
        return Booker(BY_VISITOR)
    official = official_for(user)
    if official is not None:
        return Booker(BY_OFFICIAL, user.display_name or str(user), official.get_role_display())
    citizen = getattr(user, "citizen", None)
    return Booker(BY_GUARDIAN, citizen.full_name if citizen else str(user))


def can_confirm(booking: Booking, now: dt.datetime | None = None) -> bool:
    """A live hold: the desk may confirm it."""
    now = now or timezone.now()
    expires = booking.hold_expires_at
    return booking.status == Booking.Status.PENDING and expires is not None and expires > now


def can_cancel(booking: Booking) -> bool:
    return booking.status in _OPEN


@transaction.atomic
def desk_booking_confirm(
    *, booking: Booking, by_user: User, now: dt.datetime | None = None
) -> Booking:
    """Confirm a citizen's live hold at the official's office (the visitor asked by phone
    or at the desk); the citizen is told."""
    now = now or timezone.now()
    booking = desk_booking_get(by_user=by_user, booking_id=booking.pk)
    locked = services._locked(booking)
    if locked.status == Booking.Status.BOOKED:  # confirmed already: nothing to tell
        return locked
    services.confirm_locked(locked, now=now)
    booking.status = locked.status
    _tell(
        booking,
        kind="scheduling.desk_confirmed",
        title=_("The office confirmed your visit: %(service)s on %(when)s")
        % {"service": booking.service.name, "when": services.visit_time(booking)},
        body=_("%(place)s. Check-in code: %(code)s. Visitor: %(name)s.")
        % {"place": _place(booking), "code": booking.code, "name": booking.citizen.full_name},
    )
    return booking


@transaction.atomic
def desk_booking_cancel(*, booking: Booking, by_user: User, reason: str) -> Booking:
    """Cancel a held or booked visit at the official's office, for a reason the citizen is
    told; the slot is free again, as when the citizen cancels."""
    booking = desk_booking_get(by_user=by_user, booking_id=booking.pk)
    why = validators.clean_text(reason, field="reason", max_length=200)
    locked = services.cancel_locked(services._locked(booking), reason=why, by_user=by_user)
    booking.status, booking.cancelled_reason = locked.status, locked.cancelled_reason
    booking.cancelled_by = by_user
    _tell(
        booking,
        kind="scheduling.desk_cancelled",
        title=_("The office cancelled your visit: %(service)s on %(when)s")
        % {"service": booking.service.name, "when": services.visit_time(booking)},
        body=_("%(place)s. Reason: %(reason)s") % {"place": _place(booking), "reason": why},
    )
    return booking
