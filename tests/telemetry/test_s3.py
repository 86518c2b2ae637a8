"""The telemetry table in an S3 bucket (moto's S3 server over HTTP, ``s3_table``): readings
sent to the HTTP bulk endpoint are stored there and queried, and ``gorod telemetry maintain``
rolls up, compacts, vacuums and drops raw days there. (Every query on a known dataset runs on
S3 as well in test_queries.py; two writer processes on S3 in test_table.py.)"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone, translation

from gorod.people.models import Role
from gorod.telemetry import conf, queries, table
from gorod.telemetry.models import DeadLetter, Device, DeviceState
from gorod.telemetry.services import DeviceSpec, device_provision
from tests.people.factories import city_official
from tests.places.factories import ApartmentFactory
from tests.telemetry.factories import DeviceTypeFactory
from tests.telemetry.s3 import S3Server

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
BULK = "/api/v1/telemetry/bulk"
REPORT = re.compile(
    r"rolled up (\d+) days, dropped (\d+) raw days, compacted (\d+) days \((\d+) skipped\), "
    r"removed (\d+) files"
)


@pytest.fixture
def meters() -> dict[str, tuple[Device, str]]:
    """Meter A and meter B, in two districts."""
    DeviceTypeFactory.create()
    made = {}
    for name in ("a", "b"):
        apartment = ApartmentFactory.create()
        result = device_provision(
            spec=DeviceSpec(f"wm-s3-{name}", "water-meter", apartment_id=apartment.pk)
        )
        made[name] = (result.device, result.secret)
    return made


@pytest.fixture
def first_day() -> Iterator[dt.datetime]:
    """Local midnight six days ago: the readings' days are complete, and old enough to drop."""
    with override_settings(GOROD_TELEMETRY_TIME_ZONE="Europe/Moscow"):
        today = timezone.now().astimezone(MSK).date()
        yield dt.datetime.combine(today - dt.timedelta(days=6), dt.time(), tzinfo=MSK)


def readings(start: dt.datetime, values: list[tuple[int, float]]) -> bytes:
    """(hours after ``start``, meter value) pairs as a bulk JSON body."""
    return json.dumps(
        {
            "readings": [
                {
                    "metric": "water_cold_m3",
                    "ts": (start + dt.timedelta(hours=hours)).isoformat(),
                    "value": value,
                }
                for hours, value in values
            ]
        }
    ).encode()


A = [(1, 10.0), (13, 12.5), (26, 13.0), (57, 20.0)]
B = [(5, 100.0), (29, 101.0), (53, 103.5)]


def send(secret: str, body: bytes) -> Any:
    response = Client().post(
        BULK, body, content_type="application/json", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200, response.content
    return response.json()


def sent(meters: dict[str, tuple[Device, str]], start: dt.datetime) -> None:
    assert send(meters["a"][1], readings(start, A))["accepted"] == 4
    assert send(meters["b"][1], readings(start, B))["accepted"] == 3
    assert send(meters["a"][1], readings(start, A[:2]))["accepted"] == 2  # a gateway's retry


def daily(
    meters: dict[str, tuple[Device, str]], start: dt.datetime
) -> dict[tuple[int, str], float]:
    """Each meter's consumption per local day, summed per district."""
    data = queries.consumption(
        metric="water_cold_m3",
        start=start,
        end=start + dt.timedelta(days=3),
        bucket="day",
        level="district",
    )
    names = {device.district_id: name for name, (device, _secret) in meters.items()}
    return {
        ((row["bucket"].astimezone(MSK) - start).days, names[row["district_id"]]): row["consumed"]
        for row in data.to_pylist()
    }


EXPECTED = {
    (0, "a"): 2.5,
    (0, "b"): 0.0,
    (1, "a"): 0.5,
    (1, "b"): 1.0,
    (2, "a"): 7.0,
    (2, "b"): 2.5,
}


def raw_history(start: dt.datetime) -> list[float]:
    data = queries.history(
        device_id="wm-s3-a",
        metric="water_cold_m3",
        start=start,
        end=start + dt.timedelta(days=3),
    )
    return list(data["value"].to_pylist())


def bucket_of(uri: str) -> str:
    return uri.removeprefix("s3://").split("/")[0]


def maintain(*args: str) -> tuple[int, ...]:
    out = io.StringIO()
    with translation.override("en"):
        call_command("telemetry", "maintain", *args, stdout=out)
    found = REPORT.search(out.getvalue())
    assert found, out.getvalue()
    return tuple(int(n) for n in found.groups())


@pytest.fixture(params=["settings", "environment"])
def configured(
    request: pytest.FixtureRequest,
    s3_table: str,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The S3 table, reached through GOROD_TELEMETRY_STORAGE_OPTIONS or, as delta-rs reads
    them itself, through the standard AWS_* environment variables only."""
    if request.param == "settings":
        yield s3_table
        return
    for name, value in s3_server.options().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GOROD_TELEMETRY_STORAGE_OPTIONS", raising=False)
    with override_settings(GOROD_TELEMETRY_STORAGE_OPTIONS=None):
        assert conf.storage_options() == {}
        yield s3_table


def test_bulk_readings_are_stored_in_the_bucket_and_queried(
    configured: str,
    s3_server: S3Server,
    meters: dict[str, tuple[Device, str]],
    first_day: dt.datetime,
    telemetry_table: str,
) -> None:
    sent(meters, first_day)
    assert raw_history(first_day) == [10.0, 12.5, 13.0, 20.0]
    assert daily(meters, first_day) == EXPECTED
    assert DeviceState.objects.get(device_id="wm-s3-a").value == 20.0
    data_keys = [
        k for k in s3_server.keys(bucket_of(configured), "telemetry/") if "_delta_log" not in k
    ]
    assert data_keys and all(re.match(r"telemetry/day=\d{4}-\d\d-\d\d/", k) for k in data_keys)
    assert all(k.endswith(".parquet") for k in data_keys)
    assert not Path(telemetry_table).exists()  # nothing was written to the local default


def test_maintain_rolls_up_compacts_and_drops_raw_days_in_the_bucket(
    s3_table: str,
    s3_server: S3Server,
    meters: dict[str, tuple[Device, str]],
    first_day: dt.datetime,
) -> None:
    sent(meters, first_day)
    rolled, dropped, compacted, skipped, removed = maintain("--vacuum-hours", "0")
    # From the local day before the first raw UTC day (01:00 in Moscow is the UTC day before
    # the first local day) to yesterday: 2 + 6 days.
    assert (rolled, dropped, skipped) == (8, 0, 0)
    assert compacted >= 1
    assert removed >= 1
    delta = table.open_table(s3_table, storage_options=conf.storage_options())
    assert delta is not None
    live = {uri.removeprefix(f"s3://{bucket_of(s3_table)}/") for uri in delta.file_uris()}
    stored = s3_server.keys(bucket_of(s3_table), "telemetry/day=")
    assert set(stored) == live  # the vacuum deleted every file compaction replaced
    assert queries.watermark() == timezone.now().astimezone(MSK).date()
    assert daily(meters, first_day) == EXPECTED

    with override_settings(GOROD_TELEMETRY_RAW_DAYS=1):
        _rolled, dropped, *_ = maintain("--only", "retain")
    assert dropped >= 3
    assert raw_history(first_day) == []  # the raw readings are gone ...
    assert daily(meters, first_day) == EXPECTED  # ... and the roll-ups answer the same
    assert s3_server.keys(bucket_of(s3_table), "telemetry-daily/day=")


def test_a_missing_bucket_is_a_503_and_stores_nothing(
    s3_table: str, s3_server: S3Server, meters: dict[str, tuple[Device, str]]
) -> None:
    with override_settings(GOROD_TELEMETRY_TABLE="s3://gorod-no-such-bucket/telemetry"):
        response = Client().post(
            BULK,
            readings(timezone.now() - dt.timedelta(hours=1), [(0, 1.0)]),
            content_type="application/json",
            headers={"Authorization": f"Bearer {meters['a'][1]}", "Accept-Language": "en"},
        )
    assert response.status_code == 503, response.content
    assert response.json()["field"] is None
    assert response.json()["message"].startswith("The telemetry table cannot be written now")
    assert not DeviceState.objects.exists()
    assert not DeadLetter.objects.exists()


def test_queries_of_a_missing_bucket_are_a_503(
    s3_table: str, meters: dict[str, tuple[Device, str]]
) -> None:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(city_official(Role.CITY_ADMIN).user)
    period = {"metric": "water_cold_m3", "start": "2026-03-01", "end": "2026-04-01"}
    with override_settings(GOROD_TELEMETRY_TABLE="s3://gorod-no-such-bucket/telemetry"):
        for url, query in (
            ("/api/v1/telemetry/devices/wm-s3-a/history", {}),
            ("/api/v1/telemetry/devices/wm-s3-a/history", {"bucket": "day"}),
            ("/api/v1/telemetry/consumption", {"bucket": "month", "level": "district"}),
        ):
            response = client.get(url, period | query)
            assert response.status_code == 503, (url, query, response.content)
            assert response.json()["message"] == (
                "The telemetry table cannot be read now; try again later."
            )
