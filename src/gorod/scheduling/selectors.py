"""Reads: services on offer, free slots, a citizen's bookings."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from gorod.people.scope import restrict
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


def slots_nearest(*, slot: Slot, service: Service, count: int = 5) -> list[Slot]:
    """The free slots for ``service`` at the same institution closest in time to ``slot``."""
    free = slots_free(service=service, institution=slot.resource.institution).exclude(pk=slot.pk)
    later = list(free.filter(start__gte=slot.start)[:count])
    earlier = list(free.filter(start__lt=slot.start).order_by("-start")[:count])
    nearest = sorted(earlier + later, key=lambda s: abs(s.start - slot.start))[:count]
    return sorted(nearest, key=lambda s: s.start)


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


def bookings_active_count(*, citizen_id: int, service: Service, exclude: int | None = None) -> int:
    active = Booking.objects.filter(
        citizen_id=citizen_id, service=service, status__in=["pending", "booked"]
    ).exclude(status="pending", hold_expires_at__lte=timezone.now())
    if exclude is not None:
        active = active.exclude(pk=exclude)
    return active.count()


def slot_is_taken(*, slot: Slot) -> bool:
    return Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).exists()


def slots_taken(*, slot_ids: list[int]) -> set[int]:
    """Which of ``slot_ids`` carry an active booking."""
    return set(
        Booking.objects.filter(slot_id__in=slot_ids, status__in=ACTIVE_STATUSES).values_list(
            "slot_id", flat=True
        )
    )
