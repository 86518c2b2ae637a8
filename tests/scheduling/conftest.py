from __future__ import annotations

from dataclasses import dataclass

import pytest

from gorod.people.models import Citizen
from gorod.scheduling.models import Resource, Service, Slot
from tests.people.factories import CitizenFactory
from tests.scheduling.factories import ServiceFactory, counter, slots_for


@dataclass
class Office:
    service: Service
    resource: Resource
    slots: list[Slot]
    citizen: Citizen


@pytest.fixture
def office(db: None) -> Office:
    service = ServiceFactory.create()
    resource = counter(service=service)
    return Office(
        service=service,
        resource=resource,
        slots=slots_for(resource),
        citizen=CitizenFactory.create(),
    )
