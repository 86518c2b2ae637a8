"""Pages: the citizen's bookings and the booking flow (service → office → day → time);
the office's day, and its desk: booking for a visitor, confirming and cancelling.

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
from gorod.scheduling import desk, selectors, services
from gorod.scheduling.forms import (
    CancelForm,
    DeskBookForm,
    DeskCancelForm,
    EarliestForm,
    SlotChoiceForm,
    VisitorFindForm,
)
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


def _offered(service_id: int, institution_id: int) -> tuple[Service, Institution]:
    """An active service and an office offering it; anything else is a 404."""
    service = Service.objects.filter(pk=service_id, is_active=True).first()
    institution = (
        selectors.institutions_offering(service=service).filter(pk=institution_id).first()
        if service
        else None
    )
    if service is None or institution is None:
        raise Http404(_("No such service at this office."))
    return service, institution


@login_required
@require_POST
def book_earliest(request: HttpRequest) -> HttpResponse:
    """Hold the first available time for the chosen service at the chosen office; the
    booking's page confirms it as any hold. Nothing free is a 409 on the day step."""
    user = _account(request)
    form = EarliestForm(request.POST)
    if not form.is_valid():
        field = next(iter(form.errors))
        messages.error(
            request,
            _(
                "The form is not filled in right (%(field)s). "
                "Choose the service and the office again."
            )
            % {"field": form.fields[field].label},
        )
        step = Step(None, None, None, None)
        return render(request, "scheduling/book.html", _flow_context(step, user), status=400)
    data = form.cleaned_data
    service, institution = _offered(data["service_id"], data["institution_id"])
    step = Step(service, institution, None, None)
    try:
        citizen = selectors.citizen_for(user=user, citizen_id=data["citizen_id"])
        taken = services.booking_earliest(
            service=service, institution=institution, citizen=citizen, by_user=user
        )
    except Conflict as exc:
        hint = _("Choose another office, or try again later.")
        messages.error(request, f"{exc.message} {hint}")
        status = 409
    except ApplicationError as exc:
        messages.error(request, exc.message)
        status = 400
    else:
        messages.success(
            request,
            _("The first available time is held for you. Confirm the booking to keep it."),
        )
        return redirect("scheduling:booking", booking_id=taken.pk)
    return render(request, "scheduling/book.html", _flow_context(step, user), status=status)


def _official_day(booking: Booking) -> str:
    """The office page on the day of ``booking``."""
    day = booking.slot.start.astimezone(services.local_zone()).date()
    return f"{reverse('scheduling:office')}?day={day.isoformat()}"


@dataclass(frozen=True)
class OfficeRow:
    """A line of the office's day: the booking, who booked it, what the desk may do."""

    booking: Booking
    booker: desk.Booker
    canceller: desk.Booker | None
    can_confirm: bool
    can_cancel: bool


@login_required
@require_GET
def office_day(request: HttpRequest) -> HttpResponse:
    """An office's appointments for a day, for its clerks and its head; the desk confirms
    and cancels them from here and books visitors from the page it links to."""
    official = official_for(request.user)
    if official is None or official.institution is None:
        raise PermissionDenied
    at_desk = desk.desk_institution(user=_account(request)) is not None
    day = _day(request) or timezone.localdate()
    now = timezone.now()
    rows = [
        OfficeRow(
            booking=found,
            booker=desk.booker(found),
            canceller=desk.canceller(found),
            can_confirm=at_desk and desk.can_confirm(found, now),
            can_cancel=at_desk and desk.can_cancel(found),
        )
        for found in desk.office_bookings(institution=official.institution, day=day)
    ]
    link = reverse("scheduling:office")
    return render(
        request,
        "scheduling/office.html",
        {
            "institution": official.institution,
            "day": day,
            "rows": rows,
            "at_desk": at_desk,
            "previous": f"{link}?day={day - dt.timedelta(days=1)}",
            "next": f"{link}?day={day + dt.timedelta(days=1)}",
        },
    )


# --- the desk: booking for a visitor, confirming and cancelling at the office ----------

# The visitor the desk has found, kept in the official's session between the steps, so
# neither a SNILS nor another resident's id travels in a URL.
VISITOR_KEY = "scheduling.desk_visitor"


def _desk_place(request: HttpRequest) -> tuple[User, Institution]:
    """The desk official and their office; anyone else is refused (403)."""
    user = _account(request)
    return user, desk.desk_of(user)


def _visitor(request: HttpRequest, user: User, institution: Institution) -> Citizen | None:
    kept = request.session.get(VISITOR_KEY)
    if not isinstance(kept, dict) or kept.get("institution") != institution.pk:
        return None
    try:
        return desk.visitor_get(by_user=user, citizen_id=int(kept["citizen"]))
    except (NotFound, KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class DeskStep:
    """Where the desk is in booking for its visitor, from the query string."""

    service: Service | None
    day: dt.date | None

    def link(self, **changes: Any) -> str:
        query = {
            "service": self.service.pk if self.service else None,
            "day": self.day.isoformat() if self.day else None,
        } | changes
        kept = {k: v for k, v in query.items() if v is not None}
        return reverse("scheduling:desk-book") + (f"?{urlencode(kept)}" if kept else "")

    @property
    def change_service(self) -> str:
        return self.link(service=None, day=None)

    @property
    def change_day(self) -> str:
        return self.link(day=None)


def _desk_step(request: HttpRequest, institution: Institution) -> DeskStep:
    service_id = _number(request, "service")
    offered = selectors.services_offered(institution=institution)
    service = offered.filter(pk=service_id).first() if service_id else None
    return DeskStep(service, _day(request) if service else None)


def _desk_context(
    institution: Institution, visitor: Citizen | None, step: DeskStep
) -> dict[str, Any]:
    context: dict[str, Any] = {"institution": institution, "visitor": visitor, "step": step}
    if visitor is None:
        return context
    if step.service is None:
        context["services"] = [
            (service, step.link(service=service.pk))
            for service in selectors.services_offered(institution=institution)
        ]
    elif step.day is None:
        context["days"] = [
            (day, count, step.link(day=day.isoformat()))
            for day, count in selectors.free_days(
                service=step.service,
                institution=institution,
                start=_day_start(timezone.localdate()),
                days=DAYS_AHEAD,
            )
        ]
    else:
        context["slots"] = selectors.slots_free(
            service=step.service,
            institution=institution,
            start=_day_start(step.day),
            end=_day_start(step.day + dt.timedelta(days=1)),
        )
    return context


def _desk_page(
    request: HttpRequest,
    user: User,
    institution: Institution,
    *,
    find_form: VisitorFindForm | None = None,
    nearest: list[Slot] | None = None,
    status: int = 200,
) -> HttpResponse:
    visitor = _visitor(request, user, institution)
    context = _desk_context(institution, visitor, _desk_step(request, institution)) | {
        "find_form": find_form or VisitorFindForm(),
        "nearest": nearest or [],
    }
    return render(request, "scheduling/desk_book.html", context, status=status)


@login_required
@require_GET
def desk_book_page(request: HttpRequest) -> HttpResponse:
    """Book for a visitor at the desk or by phone: find them, then service, day and time."""
    user, institution = _desk_place(request)
    return _desk_page(request, user, institution)


def _service_error(form: VisitorFindForm, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
@require_POST
def desk_visitor_find(request: HttpRequest) -> HttpResponse:
    user, institution = _desk_place(request)
    form = VisitorFindForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            citizen = desk.citizen_find(
                by_user=user,
                snils=data["snils"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
            )
        except ApplicationError as exc:
            _service_error(form, exc)
        else:
            request.session[VISITOR_KEY] = {"citizen": citizen.pk, "institution": institution.pk}
            return redirect("scheduling:desk-book")
    return _desk_page(request, user, institution, find_form=form, status=400)


@login_required
@require_POST
def desk_visitor_forget(request: HttpRequest) -> HttpResponse:
    _desk_place(request)
    request.session.pop(VISITOR_KEY, None)
    return redirect("scheduling:desk-book")


@login_required
@require_POST
def desk_book(request: HttpRequest) -> HttpResponse:
    user, institution = _desk_place(request)
    visitor = _visitor(request, user, institution)
    if visitor is None:
        messages.error(request, _("Find the visitor first."))
        return _desk_page(request, user, institution, status=400)
    form = DeskBookForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a time."))
        return _desk_page(request, user, institution, status=400)
    nearest: list[Slot] = []
    try:
        booking = desk.desk_book(
            by_user=user,
            citizen=visitor,
            slot=selectors.slot_get(slot_id=form.cleaned_data["slot_id"]),
            service=selectors.service_get(service_id=form.cleaned_data["service_id"]),
        )
    except Conflict as exc:
        messages.error(request, exc.message)
        nearest = [selectors.slot_get(slot_id=s["id"]) for s in exc.extra.get("nearest", [])]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        request.session.pop(VISITOR_KEY, None)
        messages.success(
            request,
            _("Booked for %(name)s. The check-in code is %(code)s.")
            % {"name": visitor.full_name, "code": booking.code},
        )
        return redirect(_official_day(booking))
    return _desk_page(request, user, institution, nearest=nearest, status=409 if nearest else 400)


def _desk_booking_or_404(user: User, booking_id: int) -> Booking:
    try:
        return desk.desk_booking_get(by_user=user, booking_id=booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_POST
def desk_confirm(request: HttpRequest, booking_id: int) -> HttpResponse:
    user, _institution = _desk_place(request)
    found = _desk_booking_or_404(user, booking_id)
    try:
        desk.desk_booking_confirm(booking=found, by_user=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The booking of %(name)s is confirmed.") % {"name": found.citizen.full_name},
        )
    return redirect(_official_day(found))


@login_required
@require_http_methods(["GET", "POST"])
def desk_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Cancel a booking of the office for a reason the visitor is told."""
    user, _institution = _desk_place(request)
    found = _desk_booking_or_404(user, booking_id)
    form = DeskCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            desk.desk_booking_cancel(
                booking=found, by_user=user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
                return redirect(_official_day(found))
        else:
            messages.success(
                request,
                _("The booking of %(name)s is cancelled; the time is free again.")
                % {"name": found.citizen.full_name},
            )
            return redirect(_official_day(found))
    context = {
        "booking": found,
        "booker": desk.booker(found),
        "form": form,
        "back": _official_day(found),
        "open": desk.can_cancel(found),
    }
    return render(
        request, "scheduling/desk_cancel.html", context, status=400 if form.errors else 200
    )
