"""Closing a month: smart values through VEE, estimates, recalculation and bills, exactly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from django.test import override_settings
from django.utils import translation

from gorod.errors import ApplicationError
from gorod.people.models import Citizen
from gorod.places.models import Apartment
from gorod.telemetry import conf as telemetry_conf
from gorod.telemetry import table
from gorod.utilities.models import RESOURCE_METRIC, Bill, BillLine, Meter, Reading, Resource, Tariff
from gorod.utilities.services import period_close, readings_submit
from tests.telemetry.s3 import S3Server
from tests.utilities.factories import in_window, meter_for, reading

pytestmark = pytest.mark.django_db

FEB = dt.date(2026, 2, 1)
MARCH = dt.date(2026, 3, 1)
APRIL = dt.date(2026, 4, 1)
AFTER_MARCH = in_window(MARCH, day=26)
AFTER_APRIL = in_window(APRIL, day=26)


@pytest.fixture
def home(resident: Citizen) -> Apartment:
    return resident.apartment


def _lines(bill: Bill) -> dict[str, BillLine]:
    return {line.resource: line for line in bill.lines.all()}


def test_a_month_is_estimated_priced_and_billed(home: Apartment) -> None:
    cold = meter_for(home)
    for n, month in enumerate([9, 10, 11, 12]):
        reading(cold, dt.date(2025, month, 1), str(6 * n))
    reading(cold, dt.date(2026, 1, 1), "24")
    reading(cold, FEB, "30")
    meter_for(home, Resource.WATER_HOT)  # never read: the standard for two
    power = meter_for(home, Resource.POWER_DAY, is_smart=True)
    reading(power, FEB, "1000", source=Reading.Source.SMART)

    result = period_close(period=MARCH, smart_values={power.device_id: D("1150")}, now=AFTER_MARCH)

    assert (result.bills, result.estimated, result.smart_accepted) == (1, 2, 1)
    bill = Bill.objects.get(apartment=home, period=MARCH)
    lines = _lines(bill)
    assert (lines["water_cold"].kind, lines["water_cold"].quantity) == ("estimated", D("6.000"))
    assert lines["water_cold"].amount == D("343.38")  # 6 × 57.23
    assert (lines["water_hot"].kind, lines["water_hot"].quantity) == ("estimated", D("9.490"))
    assert lines["water_hot"].amount == D("3022.66")  # 4.745 × 2 × 318.51
    assert (lines["power_t1"].kind, lines["power_t1"].quantity) == ("actual", D("150"))
    assert lines["power_t1"].amount == D("1365.00")
    assert bill.total == D("4731.04")
    estimate = Reading.objects.get(meter=cold, period=MARCH)
    assert (estimate.value, estimate.reason) == (D("36.000"), "estimate_average")
    with translation.override("en"):
        assert "the last 5 months" in estimate.explanation


def test_a_real_reading_after_an_estimate_is_recalculated(home: Apartment) -> None:
    cold = meter_for(home)
    for n, month in enumerate([9, 10, 11, 12]):
        reading(cold, dt.date(2025, month, 1), str(6 * n))
    reading(cold, dt.date(2026, 1, 1), "24")
    reading(cold, FEB, "30")
    period_close(period=MARCH, smart_values={}, now=AFTER_MARCH)
    citizen = home.residents.exclude(user=None).get()
    assert citizen.user is not None
    readings_submit(user=citizen.user, values={cold.pk: "50"}, now=in_window(APRIL))

    result = period_close(period=APRIL, smart_values={}, now=AFTER_APRIL)

    assert result.recalculated == 1
    line = _lines(Bill.objects.get(apartment=home, period=APRIL))["water_cold"]
    assert (line.kind, line.quantity, line.amount) == ("recalculated", D("14.000"), D("801.22"))
    march = Reading.objects.get(meter=cold, period=MARCH, source=Reading.Source.ESTIMATE)
    assert march.status == Reading.Status.SUPERSEDED


def test_a_refused_smart_value_is_kept_and_the_month_estimated(home: Apartment) -> None:
    power = meter_for(home, Resource.POWER_DAY, is_smart=True)
    reading(power, FEB, "1000", source=Reading.Source.SMART)
    result = period_close(period=MARCH, smart_values={power.device_id: D("900")}, now=AFTER_MARCH)
    assert (result.smart_rejected, result.estimated) == (1, 1)
    refused = Reading.objects.get(meter=power, status=Reading.Status.REJECTED)
    assert refused.reason == "below_previous"
    with translation.override("en"):
        assert "below the previous accepted reading 1000" in refused.explanation
    estimate = Reading.objects.get(meter=power, status=Reading.Status.ESTIMATED)
    assert estimate.consumption == D("200.000")  # 100 kWh × 2 residents


def test_closing_twice_changes_nothing(home: Apartment) -> None:
    meter_for(home)
    period_close(period=MARCH, smart_values={}, now=AFTER_MARCH)
    readings, bills = Reading.objects.count(), Bill.objects.count()
    again = period_close(period=MARCH, smart_values={}, now=AFTER_MARCH)
    assert (again.bills, again.estimated) == (0, 0)
    assert (Reading.objects.count(), Bill.objects.count()) == (readings, bills)


def test_a_back_office_tariff_wins_over_the_setting(home: Apartment) -> None:
    meter_for(home)
    Tariff.objects.create(resource=Resource.WATER_COLD, price=D("60.00"), valid_from=MARCH)
    period_close(period=MARCH, smart_values={}, now=AFTER_MARCH)
    line = _lines(Bill.objects.get(apartment=home))["water_cold"]
    assert line.price == D("60.00")
    assert line.amount == D("832.20")  # 6.935 × 2 × 60


@pytest.mark.parametrize(
    "period", [dt.date(2026, 3, 2), dt.date(2026, 4, 1)], ids=["not-a-month", "window-open"]
)
def test_a_month_is_closed_only_after_its_window(home: Apartment, period: dt.date) -> None:
    meter_for(home)
    with pytest.raises(ApplicationError) as caught:
        period_close(period=period, smart_values={}, now=in_window(APRIL))
    assert caught.value.field == "period"
    assert not Reading.objects.exists()


def _registers(meter: Meter, values: dict[dt.datetime, float]) -> pa.Table:
    """A meter's register values in the telemetry table's shape."""
    return pa.table(
        {
            "device_id": [meter.device_id] * len(values),
            "metric": [RESOURCE_METRIC[Resource(meter.resource)]] * len(values),
            "ts": pa.array(list(values), pa.timestamp("us", tz="UTC")),
            "value": list(values.values()),
            "district_id": pa.array(
                [meter.apartment.building.district_id] * len(values), pa.int32()
            ),
        }
    )


def test_a_smart_meter_is_read_at_the_window_end_not_later(home: Apartment, tmp_path: Path) -> None:
    """The month takes the register's last value before its window closed (the 25th, Moscow
    time); what the meter sent after it belongs to the next month."""
    power = meter_for(home, Resource.POWER_DAY, is_smart=True)
    reading(power, FEB, "1000", source=Reading.Source.SMART)
    silent = meter_for(home, Resource.POWER_NIGHT, is_smart=True)  # nothing in March
    reading(silent, FEB, "500", source=Reading.Source.SMART)
    moscow = ZoneInfo("Europe/Moscow")
    uri = str(tmp_path / "telemetry")
    table.append(
        uri,
        _registers(
            power,
            {
                dt.datetime(2026, 3, 20, 12, tzinfo=moscow): 1150.0,
                dt.datetime(2026, 3, 25, 23, 30, tzinfo=moscow): 1160.0,  # the last in time
                dt.datetime(2026, 3, 26, 0, 30, tzinfo=moscow): 1175.0,  # after the window
                dt.datetime(2026, 4, 2, 9, tzinfo=moscow): 1300.0,
            },
        ),
    )
    table.append(uri, _registers(silent, {dt.datetime(2026, 2, 20, tzinfo=moscow): 500.0}))

    result = period_close(period=MARCH, now=in_window(APRIL, day=3), uri=uri)

    assert (result.smart_accepted, result.estimated) == (1, 1)
    march = Reading.objects.get(meter=power, period=MARCH)
    assert (march.value, march.consumption, march.source) == (D("1160"), D("160"), "smart")
    assert Reading.objects.get(meter=silent, period=MARCH).status == Reading.Status.ESTIMATED


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


def test_a_month_closes_from_a_table_in_an_s3_bucket(home: Apartment, s3_server: S3Server) -> None:
    """Configured as an operator would (an ``s3://`` table and its storage options, no
    ``AWS_*`` variables), the month close reads the smart meter's register from the bucket
    over S3's HTTP API (moto's S3 server, ``tests/telemetry/s3.py``)."""
    power = meter_for(home, Resource.POWER_DAY, is_smart=True)
    reading(power, FEB, "1000", source=Reading.Source.SMART)
    moscow = ZoneInfo("Europe/Moscow")
    uri = f"s3://{s3_server.create_bucket()}/telemetry"
    with override_settings(
        GOROD_TELEMETRY_TABLE=uri, GOROD_TELEMETRY_STORAGE_OPTIONS=s3_server.options()
    ):
        table.append(
            uri,
            _registers(power, {dt.datetime(2026, 3, 24, 8, tzinfo=moscow): 1142.5}),
            storage_options=telemetry_conf.storage_options(),
        )
        result = period_close(period=MARCH, now=in_window(APRIL, day=3))

    assert result.smart_accepted == 1
    march = Reading.objects.get(meter=power, period=MARCH)
    assert (march.value, march.consumption, march.source) == (D("1142.5"), D("142.5"), "smart")
