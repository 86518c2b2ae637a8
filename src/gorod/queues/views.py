"""Pages: offices, the kiosk, a visitor's ticket, the hall board, the counter, the head's figures.

The kiosk, tickets and the board are public, as in the office's hall; the ticket page and
the board refresh themselves by htmx polling of a fragment. The counter screen is for the
office's clerks, the figures for its head (and district and city officials).
"""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gorod.errors import ApplicationError, NotFound
from gorod.people.models import Official, Role
from gorod.people.scope import official_for
from gorod.places.models import Institution
from gorod.queues import conf, selectors, services
from gorod.queues.models import Counter, Ticket

BOARD_ROWS = 10


def _office(office_id: int) -> Institution:
    try:
        return selectors.office_get(office_id=office_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _ticket(token: str) -> Ticket:
    try:
        return selectors.ticket_by_token(token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
def offices(request: HttpRequest) -> HttpResponse:
    rows = selectors.offices_today(at=timezone.now())
    return render(request, "queues/offices.html", {"rows": rows})


@require_GET
def kiosk(request: HttpRequest, office_id: int) -> HttpResponse:
    office = _office(office_id)
    now = timezone.now()
    return render(
        request,
        "queues/kiosk.html",
        {
            "office": office,
            "services": selectors.services_of(office=office),
            "open_now": selectors.office_is_open(office=office, at=now),
            "hours": selectors.office_hours_on(office=office, day=selectors.local_day(now)),
            "priorities": conf.priority_categories(),
        },
    )


@require_POST
def kiosk_take(request: HttpRequest, office_id: int) -> HttpResponse:
    """Issue a walk-in's ticket, or check a booking in, and show the printed ticket."""
    office = _office(office_id)
    priority = request.POST.get("priority", "")
    try:
        if "code" in request.POST:
            ticket = services.ticket_check_in(
                code=request.POST["code"], office=office, priority=priority
            )
        else:
            service = selectors.service_get(
                office=office, service_id=_int(request.POST.get("service_id"))
            )
            ticket = services.ticket_issue(office=office, service=service, priority=priority)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("queues:kiosk", office_id=office.pk)
    return redirect(reverse("queues:ticket", args=[ticket.token]) + "?printed=1")


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


def _qr(request: HttpRequest, ticket: Ticket) -> SafeString:
    url = request.build_absolute_uri(reverse("queues:ticket", args=[ticket.token]))
    svg = segno.make(url, error="m").svg_inline(scale=4, title=_("Link to this ticket"))
    return mark_safe(svg)  # noqa: S308  (segno's own SVG of our own URL)


def _ticket_context(ticket: Ticket) -> dict[str, Any]:
    waiting = ticket.status == Ticket.Status.WAITING
    return {
        "ticket": ticket,
        "position": selectors.ticket_position(ticket=ticket) if waiting else None,
        "priorities": conf.priority_categories(),
    }


@require_GET
def ticket(request: HttpRequest, token: str) -> HttpResponse:
    found = _ticket(token)
    context = _ticket_context(found)
    context |= {"qr": _qr(request, found), "printed": "printed" in request.GET}
    return render(request, "queues/ticket.html", context)


@require_GET
def ticket_status(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "queues/_ticket_status.html", _ticket_context(_ticket(token)))


@require_POST
def ticket_cancel(request: HttpRequest, token: str) -> HttpResponse:
    found = _ticket(token)
    try:
        services.ticket_cancel(ticket=found)
        messages.success(request, _("Your ticket is cancelled."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("queues:ticket", token=found.token)


def _board_context(office: Institution) -> dict[str, Any]:
    now = timezone.now()
    rows = selectors.board(office=office, day=selectors.local_day(now), recent=BOARD_ROWS)
    return {
        "office": office,
        "at_counter": [t for t in rows if t.status in selectors.AT_COUNTER],
        "recent": [t for t in rows if t.status not in selectors.AT_COUNTER],
        "waiting": len(selectors.tickets_waiting(office=office, day=selectors.local_day(now))),
        "now": now,
    }


@require_GET
def board(request: HttpRequest, office_id: int) -> HttpResponse:
    return render(request, "queues/board.html", _board_context(_office(office_id)))


@require_GET
def board_rows(request: HttpRequest, office_id: int) -> HttpResponse:
    return render(request, "queues/_board_rows.html", _board_context(_office(office_id)))


# --- clerks ----------------------------------------------------------------------------


def _clerk(request: HttpRequest) -> Official:
    official = official_for(request.user)
    if official is None or official.role not in services.COUNTER_ROLES:
        raise PermissionDenied(_("Only a clerk of the office works a counter."))
    return official


@login_required
@require_GET
def counters(request: HttpRequest) -> HttpResponse:
    _clerk(request)
    rows = [
        (c, selectors.shift_open_at(counter=c)) for c in selectors.counters_for(user=request.user)
    ]
    return render(request, "queues/counters.html", {"rows": rows})


def _counter(request: HttpRequest, counter_id: int) -> Counter:
    try:
        return selectors.counter_get(user=request.user, counter_id=counter_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


COUNTER_ACTIONS = {
    "recall": services.ticket_recall,
    "start": services.ticket_start,
    "no_show": services.ticket_no_show,
    "finish": services.ticket_finish,
}


def _counter_act(request: HttpRequest, counter: Counter, clerk: Official) -> None:
    action = request.POST.get("action", "")
    if action == "call":
        if services.call_next(counter=counter, clerk=clerk) is None:
            messages.info(request, _("Nobody is waiting for this counter."))
        return
    if action == "close":
        services.shift_close(counter=counter, clerk=clerk)
        messages.success(request, _("You have left the counter."))
        return
    current = selectors.ticket_current(counter=counter)
    if current is None or str(current.pk) != request.POST.get("ticket_id"):
        raise ApplicationError(_("This ticket is not at your counter."), field="ticket_id")
    if action == "transfer":
        service = selectors.service_get(
            office=counter.office, service_id=_int(request.POST.get("service_id"))
        )
        services.ticket_transfer(ticket=current, service=service, counter=counter, clerk=clerk)
    elif action in COUNTER_ACTIONS:
        COUNTER_ACTIONS[action](ticket=current, counter=counter, clerk=clerk)
    else:
        raise ApplicationError(_("Unknown action."), field="action")


@login_required
@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest, counter_id: int) -> HttpResponse:
    clerk = _clerk(request)
    found = _counter(request, counter_id)
    if request.method == "POST":
        try:
            _counter_act(request, found, clerk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("queues:counter", counter_id=found.pk)
    current = selectors.ticket_current(counter=found)
    transfer_to = selectors.services_of(office=found.office)
    if current is not None:
        transfer_to = transfer_to.exclude(pk=current.service_id)
    context = {
        "counter": found,
        "current": current,
        "shift": selectors.shift_open_at(counter=found),
        "transfer_to": transfer_to,
    }
    return render(request, "queues/counter.html", context | _waiting_context(found))


def _waiting_context(counter: Counter) -> dict[str, Any]:
    offered = {s.pk for s in counter.services.all()}
    waiting = selectors.tickets_waiting(
        office=counter.office, day=selectors.local_day(timezone.now())
    )
    return {"counter": counter, "waiting": [t for t in waiting if t.service_id in offered]}


@login_required
@require_GET
def counter_waiting(request: HttpRequest, counter_id: int) -> HttpResponse:
    """The line for the counter, polled by the counter screen."""
    _clerk(request)
    found = _counter(request, counter_id)
    return render(request, "queues/_counter_waiting.html", _waiting_context(found))


# --- the office head -------------------------------------------------------------------


@login_required
@require_GET
def my_office(request: HttpRequest) -> HttpResponse:
    official = official_for(request.user)
    if official is None or official.role != Role.OFFICE_HEAD or official.institution_id is None:
        raise PermissionDenied(_("This page is for an office's head."))
    return redirect("queues:figures", office_id=official.institution_id)


@login_required
@require_GET
def figures(request: HttpRequest, office_id: int) -> HttpResponse:
    office = _office(office_id)
    if not selectors.may_see_office_figures(user=request.user, office=office):
        raise PermissionDenied(_("Only the office's head sees its figures."))
    day = selectors.local_day(timezone.now())
    return render(
        request,
        "queues/figures.html",
        {
            "office": office,
            "day": day,
            "stats": selectors.day_stats(office=office, day=day),
            "advice": selectors.staffing_advice(office=office, day=day),
            "target_minutes": conf.target_minutes(),
            "target_percent": round(conf.target_share() * 100),
            "counters": selectors.counters_of(office=office),
        },
    )
