"""An office with two services (A, B) and two counters: 1 serves both, 2 serves only A."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gorod.people.models import Official
from gorod.queues.models import Counter, Office, QueueService
from gorod.scheduling.models import CalendarException
from tests.queues.factories import QueueServiceFactory, clerk_of, counter_create, office_create


@dataclass
class Hall:
    office: Office
    a: QueueService
    b: QueueService
    one: Counter
    two: Counter
    clerk: Official
    other_clerk: Official


@pytest.fixture
def hall(db: None) -> Hall:
    office = office_create()
    a = QueueServiceFactory.create(office=office, letter="A", name="Регистрация рождения")
    b = QueueServiceFactory.create(office=office, letter="B", name="Повторные свидетельства")
    one = counter_create(office, 1, a, b)
    two = counter_create(office, 2, a)
    return Hall(office, a, b, one, two, clerk_of(office), clerk_of(office))


@pytest.fixture
def any_day(db: None) -> None:
    """Tests that run at the real time of day: no public holiday gets in their way."""
    CalendarException.objects.all().delete()
