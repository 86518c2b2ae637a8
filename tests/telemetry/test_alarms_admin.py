"""The alarms back office: an operator sees their district's alarms only and changes none; a
city administrator keeps the rules, whose parameters are checked before they are saved."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gorod.people.models import Role
from gorod.telemetry.alarms import alarms_evaluate
from gorod.telemetry.models import Rule
from tests.people.factories import city_official, district_official
from tests.telemetry.alarm_data import NOW, rule, send
from tests.telemetry.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def test_an_operator_sees_their_districts_alarms_only(client: Client) -> None:
    mine, theirs = DeviceFactory.create(id="wm-mine"), DeviceFactory.create(id="wm-theirs")
    tamper = rule("flag", "tamper", {})
    for device in (mine, theirs):
        send(device, "tamper", [1.0])
    alarms_evaluate(now=NOW, rule_ids=[tamper.pk])
    client.force_login(district_official(Role.UTILITY_OPERATOR, district=mine.district).user)
    page = client.get("/admin/telemetry/alarm/").content.decode()
    assert "wm-mine" in page
    assert "wm-theirs" not in page
    assert client.post("/admin/telemetry/rule/add/", {}).status_code == 403


def rule_form(**fields: object) -> dict[str, object]:
    return {
        "name": "Протечка",
        "kind": "persistence",
        "metric": "flow_lph",
        "params": json.dumps({"op": "above", "value": 0, "duration_s": 86400}),
        "severity": "critical",
        "is_active": "on",
        **fields,
    }


def test_a_city_administrator_adds_a_rule_with_sound_parameters(client: Client) -> None:
    client.force_login(city_official(Role.CITY_ADMIN).user)
    assert client.post("/admin/telemetry/rule/add/", rule_form()).status_code == 302
    assert Rule.objects.get(name="Протечка").params["duration_s"] == 86400


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"params": json.dumps({"op": "above", "value": 0})}, "params"),
        ({"metric": "smell"}, "metric"),
        ({"metric": ""}, "metric"),
        ({"params": "[1, 2]"}, "params"),
    ],
    ids=["no-duration", "unknown-metric", "no-metric", "params-not-an-object"],
)
def test_a_rule_with_bad_parameters_is_refused_at_its_field(
    client: Client, fields: dict[str, object], field: str
) -> None:
    client.force_login(city_official(Role.CITY_ADMIN).user)
    response = client.post("/admin/telemetry/rule/add/", rule_form(**fields))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Rule.objects.filter(name="Протечка").exists()
