"""Factories for scheduling: a service, a counter open every day 09:00–18:00 with a lunch
break, and its slots from tomorrow on."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from gorod.places.models import Institution
from gorod.scheduling import services
from gorod.scheduling.models import Resource, Service, Slot
from tests.places.factories import InstitutionFactory

NINE, SIX = dt.time(9), dt.time(18)
LUNCH = (dt.time(13), dt.time(14))


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Тестовая услуга {n}")
    duration_minutes = 15
    institution_kind = Institution.Kind.REGISTRY_OFFICE


def counter(
    *,
    service: Service,
    institution: Institution | None = None,
    name: str = "Окно 1",
    slot_minutes: int = 15,
) -> Resource:
    """A counter serving ``service``, open daily 09:00–18:00 with lunch 13:00–14:00."""
    return services.resource_create(
        institution=institution or InstitutionFactory.create(),
        name=name,
        services=[service],
        hours={day: [(NINE, SIX)] for day in range(7)},
        breaks={day: [LUNCH] for day in range(7)},
        slot_minutes=slot_minutes,
    )


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def slots_for(resource: Resource, days: int = 1) -> list[Slot]:
    services.slots_generate(resource=resource, start_date=tomorrow(), days=days)
    return list(resource.slots.order_by("start"))
