"""Back office: a clerk sees their own office's bookings, and changes none of them."""

from __future__ import annotations

import pytest
from django.test import Client

from gorod.people.roles import role_groups_sync
from gorod.scheduling.models import Booking
from tests.people.factories import CitizenFactory, OfficialFactory
from tests.scheduling.conftest import Office
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = pytest.mark.django_db


def test_a_clerk_sees_only_their_offices_bookings(client: Client, office: Office) -> None:
    role_groups_sync()
    mine = Booking.objects.create(
        slot=office.slots[0],
        citizen=office.citizen,
        service=office.service,
        code="MINE11",
        status="booked",
    )
    elsewhere = counter(service=ServiceFactory.create())
    Booking.objects.create(
        slot=slots_for(elsewhere)[0],
        citizen=CitizenFactory.create(),
        service=elsewhere.services.get(),
        code="THEIRS",
        status="booked",
    )
    clerk = OfficialFactory.create(institution=office.resource.institution)
    client.force_login(clerk.user)
    page = client.get("/admin/scheduling/booking/").content.decode()
    assert mine.code in page
    assert "THEIRS" not in page
    assert client.post(f"/admin/scheduling/booking/{mine.pk}/change/", {}).status_code == 403
