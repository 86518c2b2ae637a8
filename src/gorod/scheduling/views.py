"""Pages: the citizen's bookings and the booking flow (service → office → day → time).

The flow is a chain of GET steps with the choices in the query string, so it works
without JavaScript and each step can be bookmarked; choosing a time holds it, and the
booking's page confirms it before the hold expires.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people.models import Citizen, User
from gorod.people.scope import citizens_acted_for, official_for
from gorod.places.models import Institution
from gorod.scheduling import selectors, services
from gorod.scheduling.forms import CancelForm, SlotChoiceForm
from gorod.scheduling.models import Booking, Service, Slot

DAYS_AHEAD = 14
HISTORY_SHOWN = 20


def _account(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _number(request: HttpRequest, name: str) -> int | None:
    """A positive id from the query string; anything else is as good as absent."""
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 19 and int(raw) > 0 else None


def _day(request: HttpRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return None


def _people(user: User) -> list[Citizen]:
    """The people a user books for: themselves first, then their children."""
    people = list(citizens_acted_for(user).order_by("birth_date"))
    return sorted(people, key=lambda c: c.user_id != user.pk)


def _booking_or_404(user: User, booking_id: int) -> Booking:
    try:
        return selectors.booking_get(user=user, booking_id=booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_GET
def bookings(request: HttpRequest) -> HttpResponse:
    user = _account(request)
    return render(
        request,
        "scheduling/bookings.html",
        {
            "coming": selectors.bookings_of(user=user, current=True),
            "past": selectors.bookings_of(user=user, current=False)[:HISTORY_SHOWN],
            "can_book": bool(_people(user)),
        },
    )


@login_required
@require_GET
def booking(request: HttpRequest, booking_id: int) -> HttpResponse:
    found = _booking_or_404(_account(request), booking_id)
    qr = segno.make(found.code, error="m").svg_inline(scale=5, title=found.code)
    return render(
        request,
        "scheduling/booking.html",
        {"booking": found, "qr": qr, "cancel_form": CancelForm()},
    )


@login_required
@require_POST
def booking_confirm(request: HttpRequest, booking_id: int) -> HttpResponse:
    user = _account(request)
    found = _booking_or_404(user, booking_id)
    try:
        services.booking_confirm(booking=found, by_user=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:booking", booking_id=found.pk)
    messages.success(request, _("Booked. Your check-in code is %(code)s.") % {"code": found.code})
    return redirect("scheduling:booking", booking_id=found.pk)


@login_required
@require_POST
def booking_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    user = _account(request)
    found = _booking_or_404(user, booking_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.booking_cancel(booking=found, by_user=user, reason=reason)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:booking", booking_id=found.pk)
    messages.success(request, _("The booking is cancelled; the time is free for others."))
    return redirect("scheduling:bookings")


@dataclass(frozen=True)
class Step:
    """Where the visitor is in the flow, from the query string."""

    service: Service | None
    institution: Institution | None
    day: dt.date | None
    moving: Booking | None

    def link(self, **changes: Any) -> str:
        """This step's URL with some choices changed (``None`` drops one)."""
        query = {
            "service": self.service.pk if self.service else None,
            "institution": self.institution.pk if self.institution else None,
            "day": self.day.isoformat() if self.day else None,
            "reschedule": self.moving.pk if self.moving else None,
        } | changes
        kept = {k: v for k, v in query.items() if v is not None}
        return reverse("scheduling:book") + (f"?{urlencode(kept)}" if kept else "")

    @property
    def change_institution(self) -> str:
        return self.link(institution=None, day=None)

    @property
    def change_day(self) -> str:
        return self.link(day=None)


def _step(request: HttpRequest, user: User) -> Step:
    moving = None
    if (booking_id := _number(request, "reschedule")) is not None:
        moving = _booking_or_404(user, booking_id)
    service_id = moving.service_id if moving else _number(request, "service")
    service = Service.objects.filter(pk=service_id, is_active=True).first() if service_id else None
    institution_id = _number(request, "institution")
    institution = (
        selectors.institutions_offering(service=service).filter(pk=institution_id).first()
        if service and institution_id
        else None
    )
    return Step(service, institution, _day(request) if institution else None, moving)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=services.local_zone())


def _flow_context(step: Step, user: User) -> dict[str, Any]:
    context: dict[str, Any] = {"step": step, "people": _people(user)}
    if step.service is None:
        context["services"] = selectors.services_offered()
    elif step.institution is None:
        context["institutions"] = [
            (place, step.link(institution=place.pk))
            for place in selectors.institutions_offering(service=step.service)
        ]
    elif step.day is None:
        context["days"] = [
            (day, count, step.link(day=day.isoformat()))
            for day, count in selectors.free_days(
                service=step.service,
                institution=step.institution,
                start=_day_start(timezone.localdate()),
                days=DAYS_AHEAD,
            )
        ]
    else:
        context["slots"] = selectors.slots_free(
            service=step.service,
            institution=step.institution,
            start=_day_start(step.day),
            end=_day_start(step.day + dt.timedelta(days=1)),
        )
    return context


def _take(user: User, form: SlotChoiceForm) -> Booking:
    data = form.cleaned_data
    slot = selectors.slot_get(slot_id=data["slot_id"])
    if data["reschedule"]:
        old = selectors.booking_get(user=user, booking_id=data["reschedule"])
        return services.booking_reschedule(booking=old, new_slot=slot, by_user=user)
    return services.booking_hold(
        slot=slot,
        citizen=selectors.citizen_for(user=user, citizen_id=data["citizen_id"]),
        service=selectors.service_get(service_id=data["service_id"]),
        by_user=user,
    )


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    user = _account(request)
    step = _step(request, user)
    nearest: list[Slot] = []
    form = SlotChoiceForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                taken = _take(user, form)
            except Conflict as exc:
                messages.error(request, exc.message)
                nearest = [
                    selectors.slot_get(slot_id=s["id"]) for s in exc.extra.get("nearest", [])
                ]
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                if step.moving:
                    messages.success(request, _("Your booking has been moved."))
                return redirect("scheduling:booking", booking_id=taken.pk)
        else:
            messages.error(request, _("Choose a time and who the visit is for."))
    context = _flow_context(step, user) | {"nearest": nearest, "form": form}
    return render(request, "scheduling/book.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def office_day(request: HttpRequest) -> HttpResponse:
    """An office's appointments for a day, for its clerks and its head."""
    official = official_for(request.user)
    if official is None or official.institution is None:
        raise PermissionDenied
    day = _day(request) or timezone.localdate()
    bookings = list(selectors.bookings_on_day(institution=official.institution, day=day))
    link = reverse("scheduling:office")
    return render(
        request,
        "scheduling/office.html",
        {
            "institution": official.institution,
            "day": day,
            "bookings": bookings,
            "previous": f"{link}?day={day - dt.timedelta(days=1)}",
            "next": f"{link}?day={day + dt.timedelta(days=1)}",
        },
    )
