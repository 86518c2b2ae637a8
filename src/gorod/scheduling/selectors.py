"""Reads: services on offer, free slots, a citizen's bookings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, NotFound
from gorod.people.models import Citizen, User
from gorod.people.scope import citizens_acted_for, restrict
from gorod.places.models import Institution
from gorod.scheduling.models import ACTIVE_STATUSES, Booking, Service, Slot


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
    """Slots usable for ``service``: its own, or open slots of a resource serving it."""
    return Q(service=service) | Q(service__isnull=True, resource__services=service)


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


def slots_nearest(*, slot: Slot, service: Service, count: int = 5) -> list[dict[str, Any]]:
    """The free slots for ``service`` at the same institution closest in time to ``slot``,
    earliest first, as plain rows (id, start, end, resource, institution_id): a lost race
    answers with them, so they are read without building models."""
    free = (
        slots_free(service=service)
        .filter(resource__institution_id=slot.resource.institution_id)
        .exclude(pk=slot.pk)
        .select_related(None)
        .values_list("pk", "start", "end", "resource__name", "resource__institution_id")
    )
    later = list(free.filter(start__gte=slot.start)[:count])
    earlier = list(free.filter(start__lt=slot.start).order_by("-start", "-pk")[:count])
    nearest = sorted(earlier + later, key=lambda row: abs(row[1] - slot.start))[:count]
    return [
        {
            "id": pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "resource": resource,
            "institution_id": institution_id,
        }
        for pk, start, end, resource, institution_id in sorted(nearest, key=lambda row: row[1])
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


def service_get(*, service_id: int) -> Service:
    service = Service.objects.filter(pk=service_id, is_active=True).first()
    if service is None:
        raise NotFound(_("No such service."), field="service_id")
    return service


def institution_get(*, institution_id: int) -> Institution:
    institution = Institution.objects.filter(pk=institution_id, is_active=True).first()
    if institution is None:
        raise NotFound(_("No such institution."), field="institution_id")
    return institution


def slot_and_service_get(*, slot_id: int, service_id: int) -> tuple[Slot, Service]:
    """The slot and the service asked for; one query when the slot is the service's own.
    Only what booking it needs is read: the checks and the answer's names and address."""
    found = (
        Slot.objects.select_related("resource", "resource__institution", "service")
        .only(
            "start",
            "end",
            "status",
            "resource__name",
            "resource__is_active",
            "resource__institution__name",
            "resource__institution__address",
            "service__name",
            "service__is_active",
        )
        .filter(pk=slot_id)
        .order_by()
        .first()
    )
    if found is None:
        raise NotFound(_("No such slot."), field="slot_id")
    own = found.service
    if own is not None and own.pk == service_id and own.is_active:
        return found, own
    return found, service_get(service_id=service_id)


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


def citizen_for(*, user: User, citizen_id: int | None, desk: bool = False) -> Citizen:
    """The citizen to book for: the user's own record, or a child in their care; with
    ``desk`` (an official booking at their institution's desk), any citizen by id."""
    if citizen_id is None:
        citizen = Citizen.objects.filter(user=user).order_by().first()
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
