"""The alarms API: list, acknowledge, clear; scope, conflicts and bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from gorod.people.models import Role
from gorod.telemetry.alarms import alarms_evaluate
from gorod.telemetry.models import Alarm, Device
from tests.people.factories import CitizenFactory, city_official, district_official
from tests.telemetry.alarm_data import NOW, rule, send
from tests.telemetry.factories import DeviceFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/telemetry"
JSON = "application/json"


def operator_of(device: Device) -> Client:
    client = Client()
    client.force_login(district_official(Role.UTILITY_OPERATOR, district=device.district).user)
    return client


@pytest.fixture
def alarm() -> Alarm:
    device = DeviceFactory.create()
    send(device, "tamper", [1.0])
    alarms_evaluate(now=NOW, rule_ids=[rule("flag", "tamper", {}, name="tamper").pk])
    return Alarm.objects.get(rule__name="tamper")


def test_an_operator_lists_open_alarms_in_scope(alarm: Alarm) -> None:
    other = DeviceFactory.create()
    send(other, "tamper", [1.0])
    alarms_evaluate(now=NOW, rule_ids=[alarm.rule_id])
    listed = operator_of(alarm.device).get(f"{API}/alarms").json()
    assert [item["id"] for item in listed["items"]] == [alarm.pk]
    item = listed["items"][0]
    assert item["status"] == "active"
    assert item["rule"]["kind"] == "flag"
    assert item["reason"] == "flag_set"
    assert item["evidence"]["values"] == [1.0]
    city = Client()
    city.force_login(city_official(Role.CITY_ADMIN).user)
    assert city.get(f"{API}/alarms").json()["count"] == 2


def test_acknowledge_then_clear_and_conflicts_after(alarm: Alarm) -> None:
    client = operator_of(alarm.device)
    acked = client.post(f"{API}/alarms/{alarm.pk}/acknowledge")
    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged"
    again = client.post(f"{API}/alarms/{alarm.pk}/acknowledge")
    assert again.status_code == 409
    assert again.json()["field"] == "status"
    assert again.json()["message"]
    cleared = client.post(
        f"{API}/alarms/{alarm.pk}/clear", {"note": "Замена пломбы"}, content_type=JSON
    )
    assert cleared.status_code == 200
    assert cleared.json()["note"] == "Замена пломбы"
    assert cleared.json()["cleared_at"]
    twice = client.post(f"{API}/alarms/{alarm.pk}/clear", {}, content_type=JSON)
    assert twice.status_code == 409
    assert "cleared" in twice.json()["message"] or "снят" in twice.json()["message"]
    assert client.get(f"{API}/alarms", {"status": "cleared"}).json()["count"] == 1


def test_unknown_or_foreign_alarms_are_not_found(alarm: Alarm) -> None:
    stranger = operator_of(DeviceFactory.create())
    assert stranger.get(f"{API}/alarms/{alarm.pk}").status_code == 404
    assert stranger.post(f"{API}/alarms/{alarm.pk}/clear", {}, content_type=JSON).status_code == 404
    missing = operator_of(alarm.device).post(f"{API}/alarms/987654/acknowledge")
    assert missing.status_code == 404
    assert missing.json()["field"] == "alarm_id"
    assert Alarm.objects.get(pk=alarm.pk).status == Alarm.Status.ACTIVE


def test_citizens_may_not_see_alarms(alarm: Alarm) -> None:
    citizen = Client()
    citizen.force_login(CitizenFactory.create(apartment=alarm.device.apartment).user)
    assert citizen.get(f"{API}/alarms").status_code == 403
    assert citizen.post(f"{API}/alarms/{alarm.pk}/clear", {}, content_type=JSON).status_code == 403


def test_bad_input_names_the_field_and_changes_nothing(alarm: Alarm) -> None:
    client = operator_of(alarm.device)
    long_note = client.post(
        f"{API}/alarms/{alarm.pk}/clear", {"note": "x" * 501}, content_type=JSON
    )
    assert long_note.status_code == 422
    assert "note" in str(long_note.json()["field"])
    assert client.get(f"{API}/alarms", {"status": "sleeping"}).status_code == 422
    assert client.get(f"{API}/alarms/not-a-number").status_code == 422
    assert Alarm.objects.get(pk=alarm.pk).status == Alarm.Status.ACTIVE


def test_rules_are_listed_for_operators(alarm: Alarm) -> None:
    rules = operator_of(alarm.device).get(f"{API}/rules").json()
    assert "tamper" in {r["name"] for r in rules}
    assert all(set(r) >= {"kind", "metric", "params", "severity"} for r in rules)
