"""Factories for the queue: an office open round the clock, its services and counters."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import factory

from gorod.people.models import Official, Role
from gorod.places.hours import WEEKDAYS
from gorod.places.models import Institution
from gorod.queues.models import Counter, Office, QueueService
from gorod.scheduling.models import CalendarException
from tests.people.factories import OfficialFactory
from tests.places.factories import InstitutionFactory

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
# A Monday that is an ordinary working day in the 2026 production calendar.
MONDAY_TEN = dt.datetime(2026, 3, 2, 10, 0, tzinfo=MOSCOW)
ALL_DAY = {day: [["00:00", "24:00"]] for day in WEEKDAYS}


def at(minutes: float) -> dt.datetime:
    """``minutes`` after 10:00 on the test Monday."""
    return MONDAY_TEN + dt.timedelta(minutes=minutes)


def office_create(**kwargs: object) -> Office:
    institution = InstitutionFactory.create(
        kind=kwargs.pop("kind", Institution.Kind.REGISTRY_OFFICE),
        opening_hours=kwargs.pop("opening_hours", ALL_DAY),
        **kwargs,
    )
    return Office.objects.get(pk=institution.pk)


class QueueServiceFactory(factory.django.DjangoModelFactory[QueueService]):
    class Meta:
        model = QueueService

    letter = factory.Sequence(lambda n: "ABCDEFGHJKLMNPRSTUVWXYZ"[n % 23])
    name = factory.Sequence(lambda n: f"Тестовая услуга {n}")
    documents = "Паспорт\nЗаявление"
    average_minutes = 10


def counter_create(office: Institution, number: int, *services: QueueService) -> Counter:
    counter = Counter.objects.create(office=office, number=number)
    counter.services.set(services)
    return counter


def clerk_of(office: Institution, role: str = Role.REGISTRY_CLERK) -> Official:
    return OfficialFactory.create(role=role, institution=office)


@dataclass
class Hall:
    office: Office
    a: QueueService
    b: QueueService
    one: Counter
    two: Counter
    clerk: Official
    other_clerk: Official


def hall_create() -> Hall:
    """An office with two services (A, B) and two counters: 1 serves both, 2 serves only A."""
    office = office_create()
    a = QueueServiceFactory.create(office=office, letter="A", name="Регистрация рождения")
    b = QueueServiceFactory.create(office=office, letter="B", name="Повторные свидетельства")
    one = counter_create(office, 1, a, b)
    two = counter_create(office, 2, a)
    return Hall(office, a, b, one, two, clerk_of(office), clerk_of(office))


def holidays_clear() -> None:
    """For tests at the real time of day: no public holiday gets in their way."""
    CalendarException.objects.all().delete()
