"""Writes: tickets issued and checked in, counters calling, serving, transferring, finishing.

Every action is timed by a ``TicketEvent``. Two counters calling at once never get the same
ticket: the call is a conditional update (``status = waiting``) that only one wins, and a
counter holds one visitor at a time by a partial unique index.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, Conflict
from gorod.people.models import Official, Role
from gorod.places.models import Institution
from gorod.portal.notifications import notify
from gorod.queues import conf, selectors
from gorod.queues.calling import call_order
from gorod.queues.models import Counter, QueueService, Shift, Ticket, TicketEvent
from gorod.scheduling import services as scheduling

COUNTER_ROLES = (Role.REGISTRY_CLERK, Role.OFFICE_HEAD)
NUMBER_ATTEMPTS = 5
# A checked-in booking's ``cancelled_reason`` when its ticket is cancelled (machine words,
# like scheduling's own "hold expired" and "rescheduled").
LEFT_THE_QUEUE = "left the queue"
OFFICE_CLOSED = "office closed"


def _event(
    ticket: Ticket,
    action: str,
    *,
    at: dt.datetime,
    counter: Counter | None = None,
    clerk: Official | None = None,
) -> None:
    previous = ticket.events.order_by("-at", "-pk").values_list("at", flat=True).first()
    TicketEvent.objects.create(
        ticket=ticket,
        action=action,
        at=at,
        seconds=(at - previous).total_seconds() if previous else None,
        counter=counter,
        clerk=clerk,
        service=ticket.service,
    )


def _next_number(office: Institution, day: dt.date, letter: str) -> int:
    found = Ticket.objects.filter(office=office, day=day, letter=letter).aggregate(n=Max("number"))
    return (found["n"] or 0) + 1


def _ticket_create(
    *, office: Institution, service: QueueService, now: dt.datetime, **fields: Any
) -> Ticket:
    """Insert with the next free number. Kiosks of one office take numbers one at a time
    (the office's row is locked on PostgreSQL); the unique index backs it, with a retry
    where the database cannot lock rows (SQLite serialises writers instead)."""
    day = selectors.local_day(now)
    Institution.objects.select_for_update().filter(pk=office.pk).values_list("pk").first()
    for _attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return Ticket.objects.create(
                    office=office,
                    service=service,
                    day=day,
                    letter=service.letter,
                    number=_next_number(office, day, service.letter),
                    issued_at=now,
                    **fields,
                )
        except IntegrityError:
            continue
    raise Conflict(_("The kiosk is busy; please try again."), field="service_id")


def _open_check(office: Institution, now: dt.datetime) -> None:
    if not office.is_active or not selectors.office_is_open(office=office, at=now):
        hours = selectors.office_hours_on(office=office, day=selectors.local_day(now))
        when = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in hours)
        message = (
            _("The office is closed now. Today it is open %(hours)s.") % {"hours": when}
            if when
            else _("The office is closed today.")
        )
        raise ApplicationError(message, field="office_id")


def _priority_check(priority: str) -> None:
    if priority and priority not in conf.priority_categories():
        raise ApplicationError(_("Unknown priority category."), field="priority")


@transaction.atomic
def ticket_issue(
    *,
    office: Institution,
    service: QueueService,
    priority: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """A walk-in's ticket from the kiosk: refused when the office is closed."""
    now = now or timezone.now()
    _open_check(office, now)
    _priority_check(priority)
    if not selectors.services_of(office=office).filter(pk=service.pk).exists():
        raise ApplicationError(_("This office does not offer that service."), field="service_id")
    ticket = _ticket_create(office=office, service=service, now=now, priority=priority)
    _event(ticket, TicketEvent.Action.ISSUED, at=now)
    return ticket


@transaction.atomic
def ticket_check_in(
    *, code: str, office: Institution, priority: str = "", now: dt.datetime | None = None
) -> Ticket:
    """A booked visitor arrives: their booking is checked in and they get a ticket that is
    called at their appointment time."""
    now = now or timezone.now()
    _open_check(office, now)
    _priority_check(priority)
    booking = scheduling.booking_check_in(code=code, institution=office, now=now)
    service = (
        selectors.services_of(office=office).filter(booking_service=booking.service_id).first()
    )
    if service is None:
        raise ApplicationError(_("This office has no queue for the booked service."), field="code")
    ticket = _ticket_create(
        office=office,
        service=service,
        now=now,
        kind=Ticket.Kind.BOOKED,
        booking=booking,
        appointment_at=booking.slot.start,
        priority=priority,
    )
    _event(ticket, TicketEvent.Action.CHECKED_IN, at=now)
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """The visitor leaves before being called; a booked visitor's booking (``arrived``
    since the check-in) is ``cancelled`` as having left the queue, in the same transaction."""
    now = now or timezone.now()
    updated = Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.WAITING).update(
        status=Ticket.Status.CANCELLED, finished_at=now
    )
    if not updated:
        raise Conflict(_("Only a waiting ticket can be cancelled."), field="token")
    ticket.refresh_from_db()
    _event(ticket, TicketEvent.Action.CANCELLED, at=now)
    if ticket.booking_id is not None:
        scheduling.bookings_arrived_cancel(
            booking_ids=[ticket.booking_id], reason=LEFT_THE_QUEUE, now=now
        )
    return ticket


@transaction.atomic
def tickets_close(*, before: dt.date, now: dt.datetime | None = None) -> int:
    """Cancel the tickets of days before ``before`` still waiting or called: the office has
    closed on them. A visitor still being served is left for the clerk to finish. The
    bookings of booked visitors among them are ``cancelled`` ("office closed"): they came,
    so they are not no-shows, and they were not served."""
    now = now or timezone.now()
    stale = list(
        Ticket.objects.select_for_update()
        .filter(day__lt=before, status__in=[Ticket.Status.WAITING, Ticket.Status.CALLED])
        .order_by("pk")
    )
    for ticket in stale:
        ticket.status = Ticket.Status.CANCELLED
        ticket.counter = None
        ticket.finished_at = now
        ticket.save(update_fields=["status", "counter", "finished_at"])
        _event(ticket, TicketEvent.Action.CANCELLED, at=now)
    booked = [t.booking_id for t in stale if t.booking_id is not None]
    scheduling.bookings_arrived_cancel(booking_ids=booked, reason=OFFICE_CLOSED, now=now)
    return len(stale)


# --- at the counter --------------------------------------------------------------------


def _clerk_check(counter: Counter, clerk: Official) -> None:
    if clerk.role not in COUNTER_ROLES or clerk.institution_id != counter.office_id:
        raise PermissionDenied(_("This counter belongs to another office."))


def _on_shift(counter: Counter, clerk: Official, now: dt.datetime) -> None:
    """The clerk takes the counter: their open shift, or a new one (handing it over)."""
    shift = Shift.objects.select_for_update().filter(counter=counter, end__isnull=True).first()
    if shift is not None and shift.clerk_id == clerk.pk:
        return
    if shift is not None:
        shift.end = max(now, shift.start + dt.timedelta(seconds=1))
        shift.save(update_fields=["end"])
    Shift.objects.filter(clerk=clerk, end__isnull=True).update(end=now)
    Shift.objects.create(counter=counter, clerk=clerk, start=now)


@transaction.atomic
def shift_close(*, counter: Counter, clerk: Official, now: dt.datetime | None = None) -> None:
    """The clerk leaves the counter; a visitor still at it must be finished first."""
    _clerk_check(counter, clerk)
    now = now or timezone.now()
    if selectors.ticket_current(counter=counter) is not None:
        raise Conflict(_("Finish with the visitor at the counter first."), field="counter_id")
    Shift.objects.filter(counter=counter, end__isnull=True).update(end=now)


def _tell_booked_visitor(ticket: Ticket, counter: Counter) -> None:
    """A booked visitor with an account hears it in the cabinet (and by SMS if they chose)."""
    citizen = ticket.booking.citizen if ticket.booking is not None else None
    if citizen is None or citizen.user is None:
        return
    notify(
        user=citizen.user,
        kind="queues.called",
        title=_("Ticket %(code)s: please come to counter %(number)s")
        % {"code": ticket.code, "number": counter.number},
        body=str(ticket.office),
        link=reverse("queues:ticket", args=[ticket.token]),
        channels=("cabinet", "sms") if citizen.notify_by_sms else ("cabinet",),
    )


@transaction.atomic
def call_next(
    *, counter: Counter, clerk: Official, now: dt.datetime | None = None
) -> Ticket | None:
    """Call the next visitor by the fair rule; None when nobody waits for this counter."""
    _clerk_check(counter, clerk)
    now = now or timezone.now()
    if selectors.ticket_current(counter=counter) is not None:
        raise Conflict(_("Finish with the visitor at the counter first."), field="counter_id")
    _on_shift(counter, clerk, now)
    office = counter.office
    waiting = selectors.tickets_waiting(office=office, day=selectors.local_day(now))
    by_key = {t.pk: t for t in waiting}
    order = call_order(
        [selectors.waiting_of(t) for t in waiting],
        services=counter.services.values_list("pk", flat=True),
        now=now,
        priority_head_start=conf.priority_head_start(),
    )
    for candidate in order:
        try:
            with transaction.atomic():
                won = Ticket.objects.filter(pk=candidate.key, status=Ticket.Status.WAITING).update(
                    status=Ticket.Status.CALLED, counter=counter, clerk=clerk, called_at=now
                )
        except IntegrityError as exc:
            raise Conflict(_("This counter has just called someone."), field="counter_id") from exc
        if won:
            ticket = by_key[candidate.key]
            ticket.refresh_from_db()
            _event(ticket, TicketEvent.Action.CALLED, at=now, counter=counter, clerk=clerk)
            _tell_booked_visitor(ticket, counter)
            return ticket
    return None


def _at_counter(ticket: Ticket, counter: Counter, clerk: Official, *, field: str) -> Ticket:
    """The ticket, locked, if it is the one at this counter."""
    _clerk_check(counter, clerk)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.counter_id != counter.pk or locked.status not in selectors.AT_COUNTER:
        raise Conflict(_("This ticket is not at your counter."), field=field)
    return locked


def _called(ticket: Ticket, counter: Counter, clerk: Official) -> Ticket:
    """The ticket, locked, if it has been called to this counter and not yet served."""
    ticket = _at_counter(ticket, counter, clerk, field="ticket_id")
    if ticket.status != Ticket.Status.CALLED:
        raise Conflict(_("The visitor is already being served."), field="ticket_id")
    return ticket


@transaction.atomic
def ticket_recall(
    *, ticket: Ticket, counter: Counter, clerk: Official, now: dt.datetime | None = None
) -> Ticket:
    """Call the same visitor again (the board shows the number once more)."""
    now = now or timezone.now()
    ticket = _called(ticket, counter, clerk)
    ticket.recalls += 1
    ticket.called_at = now
    ticket.save(update_fields=["recalls", "called_at"])
    _event(ticket, TicketEvent.Action.RECALLED, at=now, counter=counter, clerk=clerk)
    return ticket


@transaction.atomic
def ticket_start(
    *, ticket: Ticket, counter: Counter, clerk: Official, now: dt.datetime | None = None
) -> Ticket:
    """The called visitor has come to the counter: service begins."""
    now = now or timezone.now()
    ticket = _called(ticket, counter, clerk)
    ticket.status = Ticket.Status.SERVING
    ticket.served_at = now
    ticket.save(update_fields=["status", "served_at"])
    _event(ticket, TicketEvent.Action.STARTED, at=now, counter=counter, clerk=clerk)
    return ticket


@transaction.atomic
def ticket_no_show(
    *, ticket: Ticket, counter: Counter, clerk: Official, now: dt.datetime | None = None
) -> Ticket:
    """The called visitor did not come; a booked visitor's booking (``arrived`` since the
    check-in) becomes ``noshow`` in the same transaction."""
    now = now or timezone.now()
    ticket = _called(ticket, counter, clerk)
    ticket.status = Ticket.Status.NO_SHOW
    ticket.finished_at = now
    ticket.save(update_fields=["status", "finished_at"])
    _event(ticket, TicketEvent.Action.NO_SHOW, at=now, counter=counter, clerk=clerk)
    if ticket.booking_id is not None:
        scheduling.booking_arrived_no_show(booking_id=ticket.booking_id, now=now)
    return ticket


@transaction.atomic
def ticket_transfer(
    *,
    ticket: Ticket,
    service: QueueService,
    counter: Counter,
    clerk: Official,
    now: dt.datetime | None = None,
) -> Ticket:
    """Send the visitor to another service of the office; they keep their turn."""
    now = now or timezone.now()
    ticket = _at_counter(ticket, counter, clerk, field="ticket_id")
    if service.pk == ticket.service_id:
        raise ApplicationError(_("The visitor is already in this service."), field="service_id")
    if not selectors.services_of(office=counter.office).filter(pk=service.pk).exists():
        raise ApplicationError(_("This office does not offer that service."), field="service_id")
    _event(ticket, TicketEvent.Action.TRANSFERRED, at=now, counter=counter, clerk=clerk)
    ticket.service = service
    ticket.status = Ticket.Status.WAITING
    ticket.counter = None
    ticket.clerk = None
    ticket.transfers += 1
    ticket.save(update_fields=["service", "status", "counter", "clerk", "transfers"])
    return ticket


@transaction.atomic
def ticket_finish(
    *, ticket: Ticket, counter: Counter, clerk: Official, now: dt.datetime | None = None
) -> Ticket:
    """The visitor has been served."""
    now = now or timezone.now()
    ticket = _at_counter(ticket, counter, clerk, field="ticket_id")
    ticket.status = Ticket.Status.DONE
    ticket.served_at = ticket.served_at or ticket.called_at
    ticket.finished_at = now
    ticket.save(update_fields=["status", "served_at", "finished_at"])
    _event(ticket, TicketEvent.Action.FINISHED, at=now, counter=counter, clerk=clerk)
    if ticket.booking is not None:
        scheduling.booking_fulfil(booking=ticket.booking)
    return ticket
