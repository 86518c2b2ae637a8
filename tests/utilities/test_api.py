"""``/api/v1/utilities/``: meters, submissions (every bad input a 4xx naming the field,
nothing changed), bills, and the operator's alerts in their district only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gorod.people.models import Citizen, Official
from gorod.telemetry.models import DeviceState
from gorod.utilities.models import Alert, Meter, Reading, Resource
from gorod.utilities.services import alert_raise, period_close
from tests.people.factories import CitizenFactory, district_official
from tests.utilities.conftest import last_month, this_month
from tests.utilities.factories import meter_for, reading

pytestmark = pytest.mark.django_db

BASE = "/api/v1/utilities"


def _as(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def cold(resident: Citizen) -> Meter:
    meter = meter_for(resident.apartment)
    reading(meter, last_month(), "100")
    return meter


def _post(client: Client, readings: list[dict[str, Any]]) -> Any:
    return client.post(f"{BASE}/readings", {"readings": readings}, content_type="application/json")


def test_the_resident_sees_their_meters_and_the_window(
    client: Client, resident: Citizen, cold: Meter, window_open: None
) -> None:
    body = _as(client, resident.user).get(f"{BASE}/meters").json()
    assert body["window"]["is_open"] is True
    assert [m["serial"] for m in body["meters"]] == [cold.serial]
    assert body["meters"][0]["last_accepted"]["value"] == "100.000"
    assert body["meters"][0]["this_month"] is None


def test_readings_are_submitted_and_listed(
    client: Client, resident: Citizen, cold: Meter, window_open: None
) -> None:
    hot = meter_for(resident.apartment, Resource.WATER_HOT)
    _as(client, resident.user)
    response = _post(
        client, [{"meter_id": cold.pk, "value": "105.5"}, {"meter_id": hot.pk, "value": 2}]
    )
    assert response.status_code == 201, response.json()
    assert {r["consumption"] for r in response.json()} == {"5.500", "2.000"}
    history = client.get(f"{BASE}/meters/{cold.pk}/readings").json()
    assert [r["value"] for r in history] == ["105.500", "100.000"]


@pytest.mark.parametrize(
    "value",
    ["abc", "-3", "100000", "99", "5000", ""],
    ids=["non-numeric", "negative", "too-wide", "below-previous", "absurd", "empty"],
)
@pytest.mark.usefixtures("window_open")
def test_a_bad_value_is_a_400_naming_the_meter(
    client: Client, resident: Citizen, cold: Meter, value: str
) -> None:
    response = _post(_as(client, resident.user), [{"meter_id": cold.pk, "value": value}])
    assert response.status_code == 400
    assert response.json()["field"] == f"meter_{cold.pk}"
    assert response.json()["message"]
    assert Reading.objects.filter(period=this_month()).count() == 0


def test_out_of_the_window_is_a_400_naming_the_period(
    client: Client, resident: Citizen, cold: Meter, window_closed: None
) -> None:
    response = _post(_as(client, resident.user), [{"meter_id": cold.pk, "value": "101"}])
    assert response.status_code == 400
    assert response.json()["field"] == "period"
    assert not Reading.objects.filter(period=this_month()).exists()


def test_another_apartments_meter_is_a_404(
    client: Client, resident: Citizen, window_open: None
) -> None:
    stranger = meter_for(CitizenFactory.create().apartment)
    _as(client, resident.user)
    response = _post(client, [{"meter_id": stranger.pk, "value": "1"}])
    assert response.status_code == 404
    assert response.json()["field"] == f"meter_{stranger.pk}"
    assert client.get(f"{BASE}/meters/{stranger.pk}/readings").status_code == 404
    assert not Reading.objects.exists()


def test_a_duplicate_is_a_409_and_a_repeated_meter_a_400(
    client: Client, resident: Citizen, cold: Meter, window_open: None
) -> None:
    _as(client, resident.user)
    assert _post(client, [{"meter_id": cold.pk, "value": "101"}]).status_code == 201
    again = _post(client, [{"meter_id": cold.pk, "value": "101.000"}])
    assert (again.status_code, again.json()["field"]) == (409, f"meter_{cold.pk}")
    twice = _post(
        client, [{"meter_id": cold.pk, "value": "102"}, {"meter_id": cold.pk, "value": "103"}]
    )
    assert (twice.status_code, twice.json()["field"]) == (400, f"meter_{cold.pk}")
    assert Reading.objects.filter(period=this_month()).count() == 1


def test_a_malformed_body_is_a_422(client: Client, resident: Citizen, window_open: None) -> None:
    _as(client, resident.user)
    assert _post(client, []).status_code == 422
    response = client.post(
        f"{BASE}/readings", {"readings": [{"value": "1"}]}, content_type="application/json"
    )
    assert response.status_code == 422


def test_anonymous_gets_a_401(client: Client) -> None:
    assert client.get(f"{BASE}/meters").status_code == 401


def _alert(meter: Meter, kind: str = "leak") -> Alert:
    alert, _ = alert_raise(
        meter=meter,
        kind=kind,
        day=dt.date(2026, 3, 1),
        reason="no zero hour in 24 h",
        evidence={"labels": ["00:00", "01:00"], "values": [12.0, 11.5]},
        score=0.9,
    )
    return alert


@pytest.fixture
def operator(cold: Meter) -> Official:
    return district_official(district=cold.apartment.building.district)


def test_an_operator_sees_and_decides_alerts_of_their_district(
    client: Client, operator: Official, cold: Meter
) -> None:
    mine = _alert(cold)
    other = _alert(meter_for(CitizenFactory.create().apartment))
    _as(client, operator.user)
    listed = client.get(f"{BASE}/alerts").json()["items"]
    assert [a["id"] for a in listed] == [mine.pk]
    assert listed[0]["evidence"]["values"] == [12.0, 11.5]
    response = client.post(
        f"{BASE}/alerts/{mine.pk}/decision",
        {"decision": "dismissed", "comment": "meter replaced"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    again = client.post(
        f"{BASE}/alerts/{mine.pk}/decision",
        {"decision": "confirmed"},
        content_type="application/json",
    )
    assert (again.status_code, again.json()["field"]) == (409, "decision")
    foreign = client.post(
        f"{BASE}/alerts/{other.pk}/decision",
        {"decision": "confirmed"},
        content_type="application/json",
    )
    assert foreign.status_code == 404
    feedback = client.get(f"{BASE}/alerts/feedback").json()
    assert feedback == [
        {"kind": "leak", "open": 0, "confirmed": 0, "dismissed": 1, "false_alarm_rate": 1.0}
    ]


def test_a_bad_decision_is_a_422_and_changes_nothing(
    client: Client, operator: Official, cold: Meter
) -> None:
    alert = _alert(cold)
    response = _as(client, operator.user).post(
        f"{BASE}/alerts/{alert.pk}/decision", {"decision": "maybe"}, content_type="application/json"
    )
    assert response.status_code == 422
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_a_resident_neither_sees_nor_decides_alerts(
    client: Client, resident: Citizen, cold: Meter
) -> None:
    alert = _alert(cold)
    _as(client, resident.user)
    assert client.get(f"{BASE}/alerts").json()["items"] == []
    response = client.post(
        f"{BASE}/alerts/{alert.pk}/decision",
        {"decision": "confirmed"},
        content_type="application/json",
    )
    assert response.status_code in {403, 404}
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_statistics_count_the_months_readings_by_source(
    client: Client, operator: Official, cold: Meter
) -> None:
    reading(cold, this_month(), "101")
    smart = meter_for(cold.apartment, Resource.POWER_DAY, is_smart=True)
    reading(smart, this_month(), "1", source=Reading.Source.SMART)
    reading(smart, last_month(), "9", source=Reading.Source.SMART, status=Reading.Status.REJECTED)
    rows = _as(client, operator.user).get(f"{BASE}/statistics").json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["meters"], row["submitted"], row["smart"], row["estimated"], row["rejected"]) == (
        2,
        1,
        1,
        0,
        0,
    )
    assert client.get(f"{BASE}/statistics?month=2026-13").status_code == 422
    assert client.get(f"{BASE}/statistics?month=0000-01").status_code == 422
    assert D(cold.initial_value) == 0


def test_a_smart_meters_latest_value_and_the_bills_are_shown(
    client: Client, resident: Citizen, cold: Meter
) -> None:
    power = meter_for(resident.apartment, Resource.POWER_DAY, is_smart=True)
    DeviceState.objects.create(
        device=power.device, metric="power_kwh_t1", ts=timezone.now(), value=1234.5678
    )
    period_close(period=last_month(), smart_values={}, now=timezone.now())
    _as(client, resident.user)
    meters = {m["id"]: m for m in client.get(f"{BASE}/meters").json()["meters"]}
    assert meters[power.pk]["smart_value"] == "1234.568"
    assert meters[cold.pk]["smart_value"] is None
    bills = client.get(f"{BASE}/bills").json()
    assert [b["period"] for b in bills] == [last_month().isoformat()]
    assert {line["kind"] for line in bills[0]["lines"]} == {"actual", "estimated"}
