"""The demo city's utilities: the family's meters, history and bills, the district's alerts
from the telemetry table, and a second run that changes nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from gorod.people.demo import CITIZEN_EMAIL, demo_accounts_create
from gorod.people.models import Citizen
from gorod.telemetry.demo import demo_prepare as telemetry_demo_prepare
from gorod.telemetry.models import DeviceState
from gorod.utilities.demo import HISTORY_MONTHS, demo_prepare
from gorod.utilities.models import Alert, Bill, BillLine, Forecast, Meter, Reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(settings: Any, tmp_path: Path) -> Citizen:
    settings.GOROD_TELEMETRY_TABLE = str(tmp_path / "telemetry")
    call_command(
        "seed", "--citizens", "250", "--no-boundaries", "--no-demo-accounts", stdout=StringIO()
    )
    demo_accounts_create()
    telemetry_demo_prepare(seed=2026, stdout=StringIO())  # as gorod demo: telemetry first
    demo_prepare(seed=2026, stdout=StringIO())
    return Citizen.objects.get(user__email=CITIZEN_EMAIL)


def test_the_family_has_meters_history_and_bills(city: Citizen) -> None:
    meters = Meter.objects.filter(apartment=city.apartment)
    assert meters.count() == 5
    assert meters.filter(is_smart=True).count() == 3
    states = DeviceState.objects.filter(device__meter__in=meters)
    assert states.count() == 5
    fleet = meters.filter(device__gateway__isnull=False)
    assert sorted(fleet.values_list("resource", flat=True)) == ["heat", "water_cold", "water_hot"]
    bills = Bill.objects.filter(apartment=city.apartment)
    assert bills.count() == HISTORY_MONTHS
    kinds = set(BillLine.objects.filter(bill__in=bills).values_list("kind", flat=True))
    assert kinds == {"actual", "estimated", "recalculated"}
    assert all(b.total > 0 for b in bills)


def test_the_district_has_alerts_and_the_months_readings(city: Citizen) -> None:
    assert city.apartment is not None
    district = city.apartment.building.district
    alerts = Alert.objects.filter(meter__apartment__building__district=district)
    assert alerts.filter(kind="leak").exists()
    assert Reading.objects.filter(source=Reading.Source.OPERATOR).exists()
    assert Forecast.objects.filter(district=district).count() == 1


def test_a_second_run_changes_nothing(city: Citizen) -> None:
    counts = (Meter.objects.count(), Reading.objects.count(), Alert.objects.count())
    demo_prepare(seed=2026, stdout=StringIO())
    assert (Meter.objects.count(), Reading.objects.count(), Alert.objects.count()) == counts


def test_without_demo_accounts_nothing_is_made(settings: Any, tmp_path: Path) -> None:
    settings.GOROD_TELEMETRY_TABLE = str(tmp_path / "telemetry")
    call_command(
        "seed", "--citizens", "50", "--no-boundaries", "--no-demo-accounts", stdout=StringIO()
    )
    demo_prepare(seed=2026, stdout=StringIO())
    assert not Meter.objects.exists()
