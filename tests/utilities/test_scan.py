"""Scanning the telemetry table: a leaking meter gets an alert with its evidence, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from gorod.people.models import Citizen
from gorod.telemetry import table
from gorod.utilities.models import Alert, Meter
from gorod.utilities.scan import scan
from tests.places.factories import ApartmentFactory
from tests.utilities.factories import meter_for, register_table

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAYS = 6


def _household(hour: int) -> float:
    """Litres in a UTC hour: nothing at night (Moscow), some in the morning and evening."""
    local = (hour + 3) % 24
    return {7: 40.0, 8: 25.0, 19: 30.0, 20: 45.0, 21: 20.0}.get(local, 0.0)


def _with_leak(leak: float) -> Callable[[int], float]:
    return lambda hour: _household(hour) + leak


def _write(uri: str, meters: dict[Meter, float]) -> None:
    """The household's use plus a constant leak (l/h) on each meter."""
    uses = {meter: _with_leak(leak) for meter, leak in meters.items()}
    table.append(uri, register_table(uses, start=START, hours=DAYS * 24))


def test_a_leak_is_found_once_with_its_evidence(resident: Citizen, tmp_path: Path) -> None:
    leaking = meter_for(resident.apartment)
    normal = meter_for(resident.apartment, "water_hot")
    uri = str(tmp_path / "telemetry")
    _write(uri, {leaking: 12.0, normal: 0.0})
    now = START + dt.timedelta(days=DAYS)

    first = scan(days=DAYS, now=now, uri=uri)

    assert first.meters == 2
    alerts = list(Alert.objects.all())
    assert alerts
    assert {a.meter_id for a in alerts} == {leaking.pk}
    leak = next(a for a in alerts if a.kind == "leak")
    assert leak.reason in {"continuous_flow", "night_flow"}
    assert leak.explanation != leak.reason
    assert len(leak.evidence["series"]["labels"]) == len(leak.evidence["series"]["values"])
    assert 12.0 in leak.evidence["series"]["values"]
    again = scan(days=DAYS, now=now, uri=uri)
    assert again.created == 0
    assert Alert.objects.count() == len(alerts)


def test_an_empty_table_finds_nothing(resident: Citizen, tmp_path: Path) -> None:
    meter_for(resident.apartment)
    result = scan(days=3, now=START, uri=str(tmp_path / "none"))
    assert (result.meters, result.events) == (1, 0)


def test_a_still_meter_is_stuck_only_while_its_apartment_uses_water(
    resident: Citizen, tmp_path: Path
) -> None:
    """The scan knows the meters' apartments: a cold meter that stops while the hot one
    flows is stuck; an apartment whose meters both stop is an empty flat (and its meters
    in another chunk than their neighbours' still vouch for each other)."""
    stopped = meter_for(resident.apartment)
    flowing = meter_for(resident.apartment, "water_hot")
    away = ApartmentFactory.create(building=resident.apartment.building)
    away_cold, away_hot = meter_for(away), meter_for(away, "water_hot")
    still_from = 4 * 24

    def until_still(hour: int) -> float:
        return _household(hour) if hour < still_from else 0.0

    uri = str(tmp_path / "telemetry")
    uses: dict[Meter, Callable[[int], float]] = {
        stopped: until_still,
        flowing: _household,
        away_cold: until_still,
        away_hot: until_still,
    }
    table.append(uri, register_table(uses, start=START, hours=8 * 24))

    scan(days=8, now=START + dt.timedelta(days=8), uri=uri, chunk=1)

    stuck = set(Alert.objects.filter(kind="stuck").values_list("meter_id", flat=True))
    assert stuck == {stopped.pk}
