"""``/api/v1/queues/``: offices, the kiosk and check-in, a visitor's ticket, counters, the board.

The kiosk, the ticket (by its unguessable token) and the board are public, as they are in
the office's hall; counters need a clerk of the office.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from gorod.errors import NotFound
from gorod.people.auth import request_user
from gorod.people.models import Official
from gorod.people.scope import official_for
from gorod.queues import conf, selectors, services
from gorod.queues.models import Counter, QueueService, Ticket
from gorod.schemas import ErrorOut

router = Router(tags=["queues"])


class ServiceOut(Schema):
    id: int
    letter: str
    name: str
    documents: list[str]
    average_minutes: int

    @staticmethod
    def from_model(service: QueueService) -> ServiceOut:
        return ServiceOut(
            id=service.pk,
            letter=service.letter,
            name=service.name,
            documents=service.document_list,
            average_minutes=service.average_minutes,
        )


class OfficeOut(Schema):
    id: int
    name: str
    kind: str
    address: str
    district: str
    open_now: bool
    hours_today: list[str]

    @staticmethod
    def from_row(row: selectors.OfficeToday) -> OfficeOut:
        office = row.office
        return OfficeOut(
            id=office.pk,
            name=office.name,
            kind=office.kind,
            address=office.address,
            district=office.district.name,
            open_now=row.open_now,
            hours_today=[f"{a:%H:%M}–{b:%H:%M}" for a, b in row.hours],
        )


class OfficeDetailOut(OfficeOut):
    services: list[ServiceOut]


class PositionOut(Schema):
    ahead: int = Field(description="visitors before this one, for the same counters")
    counters_open: int
    wait_minutes: int | None = Field(description="estimated wait; null when none is possible")
    assumed_counters: int | None = Field(
        description="no counter open for the service yet: the counters the estimate assumes"
    )
    assumed_from: dt.datetime | None = Field(description="...and from when")
    basis: str = Field(
        description="what the estimate assumes, in words; empty when counters are open"
    )
    no_estimate_reason: str = Field(description="why there is no estimate; empty when there is")


class TicketOut(Schema):
    id: int
    code: str = Field(description="the number on the ticket, e.g. A-017")
    token: str = Field(description="the ticket page's key: /queues/ticket/{token}/")
    office_id: int
    service: ServiceOut
    kind: str
    status: str
    priority: str
    counter: int | None = Field(description="the counter's number once called")
    issued_at: dt.datetime
    appointment_at: dt.datetime | None
    called_at: dt.datetime | None
    position: PositionOut | None = Field(description="while waiting")

    @staticmethod
    def from_model(ticket: Ticket) -> TicketOut:
        position = None
        if ticket.status == Ticket.Status.WAITING:
            found = selectors.ticket_position(ticket=ticket)
            plan = found.plan
            position = PositionOut(
                ahead=found.ahead,
                counters_open=found.counters,
                wait_minutes=found.wait_minutes,
                assumed_counters=None if plan is None else len(plan.counters),
                assumed_from=None if plan is None else plan.start,
                basis=found.basis,
                no_estimate_reason=found.reason,
            )
        return TicketOut(
            id=ticket.pk,
            code=ticket.code,
            token=ticket.token,
            office_id=ticket.office_id,
            service=ServiceOut.from_model(ticket.service),
            kind=ticket.kind,
            status=ticket.status,
            priority=ticket.priority,
            counter=ticket.counter.number if ticket.counter else None,
            issued_at=ticket.issued_at,
            appointment_at=ticket.appointment_at,
            called_at=ticket.called_at,
            position=position,
        )


class TicketIn(Schema):
    service_id: int
    priority: str = Field("", max_length=32, description="a priority category, or empty")


class CheckInIn(Schema):
    code: str = Field(min_length=1, max_length=32, description="the booking's check-in code")
    priority: str = Field("", max_length=32)


class BoardRowOut(Schema):
    code: str
    counter: int | None
    status: str
    called_at: dt.datetime | None


class CounterOut(Schema):
    id: int
    office_id: int
    number: int
    services: list[ServiceOut]
    on_shift: str | None = Field(description="the clerk at the counter")
    current: TicketOut | None
    waiting: int = Field(description="tickets this counter may call")

    @staticmethod
    def from_model(counter: Counter) -> CounterOut:
        current = selectors.ticket_current(counter=counter)
        shift = selectors.shift_open_at(counter=counter)
        offered = list(counter.services.all())
        ids = {s.pk for s in offered}
        waiting = selectors.tickets_waiting(
            office=counter.office, day=selectors.local_day(timezone.now())
        )
        return CounterOut(
            id=counter.pk,
            office_id=counter.office_id,
            number=counter.number,
            services=[ServiceOut.from_model(s) for s in offered],
            on_shift=str(shift.clerk.user) if shift else None,
            current=TicketOut.from_model(current) if current else None,
            waiting=sum(1 for t in waiting if t.service_id in ids),
        )


class TransferIn(Schema):
    service_id: int


class HourOut(Schema):
    hour: int
    arrivals: float = Field(description="forecast visitors in the hour")
    needed: int = Field(description="counters for the target (Erlang C)")
    staffed: int = Field(description="counters with a clerk on shift")


class StaffingOut(Schema):
    day: dt.date
    target_minutes: int
    target_share: float
    hours: list[HourOut]


# --- public: offices, the kiosk, tickets, the board --------------------------------------


@router.get("/offices", auth=None, response=list[OfficeOut], summary="Offices with a queue")
def offices(request: HttpRequest) -> list[OfficeOut]:
    return [OfficeOut.from_row(row) for row in selectors.offices_today(at=timezone.now())]


@router.get(
    "/offices/{office_id}",
    auth=None,
    response={200: OfficeDetailOut, 404: ErrorOut},
    summary="An office and its services",
)
def office(request: HttpRequest, office_id: int) -> OfficeDetailOut:
    found = selectors.office_get(office_id=office_id)
    now = timezone.now()
    hours = selectors.office_hours_on(office=found, day=selectors.local_day(now))
    base = OfficeOut.from_row(
        selectors.OfficeToday(found, hours, selectors.office_is_open(office=found, at=now))
    )
    return OfficeDetailOut(
        **base.dict(),
        services=[ServiceOut.from_model(s) for s in selectors.services_of(office=found)],
    )


@router.post(
    "/offices/{office_id}/tickets",
    auth=None,
    response={201: TicketOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Take a ticket (the kiosk)",
)
def ticket_take(request: HttpRequest, office_id: int, payload: TicketIn) -> Status[TicketOut]:
    found = selectors.office_get(office_id=office_id)
    service = selectors.service_get(office=found, service_id=payload.service_id)
    ticket = services.ticket_issue(office=found, service=service, priority=payload.priority)
    return Status(201, TicketOut.from_model(ticket))


@router.post(
    "/offices/{office_id}/check-in",
    auth=None,
    response={201: TicketOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Check in a booking and take its ticket",
)
def check_in(request: HttpRequest, office_id: int, payload: CheckInIn) -> Status[TicketOut]:
    found = selectors.office_get(office_id=office_id)
    ticket = services.ticket_check_in(code=payload.code, office=found, priority=payload.priority)
    return Status(201, TicketOut.from_model(ticket))


@router.get(
    "/tickets/{token}",
    auth=None,
    response={200: TicketOut, 404: ErrorOut},
    summary="A ticket: status, position, estimated wait",
)
def ticket(request: HttpRequest, token: str) -> TicketOut:
    return TicketOut.from_model(selectors.ticket_by_token(token=token))


@router.post(
    "/tickets/{token}/cancel",
    auth=None,
    response={200: TicketOut, 404: ErrorOut, 409: ErrorOut},
    summary="Give up a waiting ticket",
)
def ticket_cancel(request: HttpRequest, token: str) -> TicketOut:
    found = selectors.ticket_by_token(token=token)
    return TicketOut.from_model(services.ticket_cancel(ticket=found))


@router.get(
    "/offices/{office_id}/board",
    auth=None,
    response={200: list[BoardRowOut], 404: ErrorOut},
    summary="Now serving: ticket to counter",
)
def board(request: HttpRequest, office_id: int) -> list[BoardRowOut]:
    found = selectors.office_get(office_id=office_id)
    rows = selectors.board(office=found, day=selectors.local_day(timezone.now()))
    return [
        BoardRowOut(
            code=t.code,
            counter=t.counter.number if t.counter else None,
            status=t.status,
            called_at=t.called_at,
        )
        for t in rows
    ]


# --- clerks: counters ------------------------------------------------------------------


def _clerk(request: HttpRequest) -> Official:
    official = official_for(request_user(request))
    if official is None or official.role not in services.COUNTER_ROLES:
        raise PermissionDenied(_("Only a clerk of the office works a counter."))
    return official


def _counter(request: HttpRequest, counter_id: int) -> tuple[Counter, Official]:
    clerk = _clerk(request)
    counter = Counter.objects.filter(pk=counter_id, is_active=True).select_related("office").first()
    if counter is None:
        raise NotFound(_("No such counter."), field="counter_id")
    return counter, clerk


CLERK_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.get("/counters", response={200: list[CounterOut], 401: ErrorOut, 403: ErrorOut})
def counters(request: HttpRequest) -> list[CounterOut]:
    """The counters of my office."""
    _clerk(request)
    return [CounterOut.from_model(c) for c in selectors.counters_for(user=request_user(request))]


@router.get("/counters/{counter_id}", response={200: CounterOut, **CLERK_ERRORS})
def counter(request: HttpRequest, counter_id: int) -> CounterOut:
    """A counter of my office: who is at it, how many wait for it."""
    _clerk(request)
    found = selectors.counter_get(user=request_user(request), counter_id=counter_id)
    return CounterOut.from_model(found)


@router.post("/counters/{counter_id}/call-next", response={200: CounterOut, **CLERK_ERRORS})
def call_next(request: HttpRequest, counter_id: int) -> CounterOut:
    """Call the next visitor by the fair rule (404 when nobody waits for this counter)."""
    found, clerk = _counter(request, counter_id)
    if services.call_next(counter=found, clerk=clerk) is None:
        raise NotFound(_("Nobody is waiting for this counter."), field="counter_id")
    return CounterOut.from_model(found)


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/transfer",
    response={200: CounterOut, **CLERK_ERRORS, 422: ErrorOut},
)
def ticket_transfer(
    request: HttpRequest, counter_id: int, ticket_id: int, payload: TransferIn
) -> CounterOut:
    """Send the visitor to another service; they keep their turn."""
    found, clerk = _counter(request, counter_id)
    ticket_found = selectors.ticket_for_counter(counter=found, ticket_id=ticket_id)
    service = selectors.service_get(office=found.office, service_id=payload.service_id)
    services.ticket_transfer(ticket=ticket_found, service=service, counter=found, clerk=clerk)
    return CounterOut.from_model(found)


Action = Literal["recall", "start", "no-show", "finish"]
ACTIONS = {
    "recall": services.ticket_recall,
    "start": services.ticket_start,
    "no-show": services.ticket_no_show,
    "finish": services.ticket_finish,
}


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/{action}",
    response={200: CounterOut, **CLERK_ERRORS, 422: ErrorOut},
)
def ticket_act(request: HttpRequest, counter_id: int, ticket_id: int, action: Action) -> CounterOut:
    """Act on the visitor at the counter: recall, start serving, no-show, finish."""
    found, clerk = _counter(request, counter_id)
    ticket_found = selectors.ticket_for_counter(counter=found, ticket_id=ticket_id)
    ACTIONS[action](ticket=ticket_found, counter=found, clerk=clerk)
    return CounterOut.from_model(found)


@router.post("/counters/{counter_id}/close", response={200: CounterOut, **CLERK_ERRORS})
def counter_close(request: HttpRequest, counter_id: int) -> CounterOut:
    """Leave the counter (end the shift)."""
    found, clerk = _counter(request, counter_id)
    services.shift_close(counter=found, clerk=clerk)
    return CounterOut.from_model(found)


@router.get(
    "/offices/{office_id}/staffing",
    response={200: StaffingOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Counters needed per hour (Erlang C) against those scheduled",
)
def staffing(request: HttpRequest, office_id: int, day: dt.date | None = None) -> StaffingOut:
    found = selectors.office_get(office_id=office_id)
    if not selectors.may_see_office_figures(user=request_user(request), office=found):
        raise PermissionDenied(_("Only the office's head sees its staffing."))
    when = day or selectors.local_day(timezone.now())
    return StaffingOut(
        day=when,
        target_minutes=conf.target_minutes(),
        target_share=conf.target_share(),
        hours=[
            HourOut(hour=h.hour, arrivals=h.arrivals, needed=h.needed, staffed=h.staffed)
            for h in selectors.staffing_advice(office=found, day=when)
        ],
    )
