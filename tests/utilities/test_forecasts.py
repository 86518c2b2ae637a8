"""District forecasts: daily use from the table (gaps not doubled), 30 days ahead, kept
for the operators' page; too short a history is skipped with the reason."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gorod.people.models import Citizen
from gorod.telemetry import table
from gorod.utilities.forecasts import district_daily, forecasts_make
from gorod.utilities.models import Forecast
from tests.people.factories import district_official
from tests.utilities.factories import meter_for, register_table

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 2, 28, 21, tzinfo=dt.UTC)  # midnight in Moscow


def _litres(hour: int) -> float:
    """10 l an hour on weekdays, 20 at weekends (2026-03-01 is a Sunday)."""
    day = (hour // 24 + 6) % 7
    return 20.0 if day >= 5 else 10.0


@pytest.fixture
def uri(resident: Citizen, tmp_path: Path, settings: Any) -> str:
    path = str(tmp_path / "telemetry")
    settings.GOROD_TELEMETRY_TABLE = path
    meter = meter_for(resident.apartment)
    table.append(path, register_table({meter: _litres}, start=START, hours=35 * 24))
    return path


def test_daily_use_is_each_days_rise(resident: Citizen, uri: str) -> None:
    district = resident.apartment.building.district_id
    now = START + dt.timedelta(days=35, hours=12)
    frame = district_daily(district_ids=[district], days=7, now=now, uri=uri)
    assert list(frame["unique_id"].unique()) == [str(district)]
    assert len(frame) == 7
    assert sorted(set(frame["y"].round(3))) == [0.24, 0.48]


def test_a_forecast_is_made_and_drawn(resident: Citizen, uri: str, client: Client) -> None:
    district = resident.apartment.building.district_id
    now = START + dt.timedelta(days=35, hours=12)
    result = forecasts_make(district_ids=[district], days=28, now=now, uri=uri)
    assert result.made == 1
    forecast = Forecast.objects.get()
    assert len(forecast.forecast["yhat"]) == 30
    assert len(forecast.history["m3"]) == 28
    assert all(
        lo <= hi for lo, hi in zip(forecast.forecast["lo"], forecast.forecast["hi"], strict=True)
    )
    operator = district_official(district=resident.apartment.building.district)
    client.force_login(operator.user)
    page = client.get(reverse("utilities:districts")).content.decode()
    assert f'id="forecast-{forecast.pk}"' in page


def test_too_short_a_history_is_skipped_with_the_reason(resident: Citizen, uri: str) -> None:
    district = resident.apartment.building.district_id
    now = START + dt.timedelta(days=10)
    result = forecasts_make(district_ids=[district], days=28, now=now, uri=uri)
    assert result.made == 0
    assert "21" in result.skipped[str(district)]


@pytest.mark.parametrize(
    "args",
    [["--days", "5"], ["--horizon", "0"], ["--district", "999999"]],
    ids=["days", "horizon", "district"],
)
def test_bad_options_are_exit_2(resident: Citizen, args: list[str]) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("utilities", "forecast-districts", *args, stdout=io.StringIO())
    assert caught.value.returncode == 2
    assert not Forecast.objects.exists()


def test_the_command_reports_what_it_made(resident: Citizen, tmp_path: Path, settings: Any) -> None:
    settings.GOROD_TELEMETRY_TABLE = path = str(tmp_path / "recent")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=30)
    meter = meter_for(resident.apartment)
    table.append(path, register_table({meter: _litres}, start=start, hours=30 * 24))
    out = io.StringIO()
    call_command("utilities", "forecast-districts", "--days", "21", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"made": 1, "skipped": {}}
