"""The back office: devices within scope, dead letters read-only, secrets never shown."""

from __future__ import annotations

import pytest
from django.test import Client

from gorod.people.models import Role
from gorod.telemetry.models import DeadLetter
from tests.people.factories import city_official, district_official
from tests.telemetry.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def staff_client(official: object) -> Client:
    user = official.user  # type: ignore[attr-defined]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def test_an_operator_sees_the_devices_of_their_district_only() -> None:
    mine = DeviceFactory.create()
    other = DeviceFactory.create()
    client = staff_client(district_official(Role.UTILITY_OPERATOR, district=mine.district))
    page = client.get("/admin/telemetry/device/")
    assert page.status_code == 200
    assert mine.id in page.content.decode()
    assert other.id not in page.content.decode()
    assert client.get(f"/admin/telemetry/device/{other.id}/change/").status_code == 302
    detail = client.get(f"/admin/telemetry/device/{mine.id}/change/").content.decode()
    assert mine.secret_hash not in detail


def test_dead_letters_are_listed_with_their_reason_and_cannot_be_changed() -> None:
    letter = DeadLetter.objects.create(
        received_at="2026-03-01T10:00:00Z",
        source="mqtt",
        device_id="wm-x",
        reason="not_finite",
        message="the value is not a finite number",
    )
    client = staff_client(city_official(Role.CITY_ADMIN))
    page = client.get("/admin/telemetry/deadletter/?reason=not_finite").content.decode()
    assert "wm-x" in page
    response = client.post(f"/admin/telemetry/deadletter/{letter.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert DeadLetter.objects.filter(pk=letter.pk).exists()
