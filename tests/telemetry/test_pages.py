"""Official telemetry pages: in scope for a district's operator, whole city for city roles."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gorod.people.models import Role
from gorod.telemetry.alarms import alarms_evaluate
from gorod.telemetry.models import Alarm, DeadLetter, Device, IngestStat
from tests.people.factories import CitizenFactory, city_official, district_official
from tests.places.factories import ApartmentFactory, BuildingFactory, DistrictFactory
from tests.telemetry.alarm_data import NOW, rule, send
from tests.telemetry.factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def here() -> Device:
    district = DistrictFactory.create()
    building = BuildingFactory.create(district=district, address="ул. Тверская, 7")
    return DeviceFactory.create(
        id="wm-tverskaya-7", apartment=ApartmentFactory.create(building=building)
    )


@pytest.fixture
def there() -> Device:
    return DeviceFactory.create(id="wm-far-away")


def signed_in(role: str = Role.UTILITY_OPERATOR, *, device: Device | None = None) -> Client:
    official = district_official(role, district=device.district) if device else city_official(role)
    client = Client()
    client.force_login(official.user)
    return client


def tamper_alarm(device: Device) -> Alarm:
    send(device, "tamper", [1.0])
    alarms_evaluate(now=NOW, rule_ids=[rule("flag", "tamper", {}, name=f"tamper {device.pk}").pk])
    return Alarm.objects.get(device=device, rule__name=f"tamper {device.pk}")


def test_an_operator_lists_the_devices_of_their_district_only(here: Device, there: Device) -> None:
    page = signed_in(device=here).get(reverse("telemetry:devices"))
    assert page.status_code == 200
    listed = [row["device"].pk for row in page.context["rows"]]
    assert listed == [here.pk]


def test_a_city_role_lists_every_device(here: Device, there: Device) -> None:
    page = signed_in(Role.CITY_ADMIN).get(reverse("telemetry:devices"))
    assert {row["device"].pk for row in page.context["rows"]} == {here.pk, there.pk}


def test_devices_are_found_by_id_or_address_and_by_status(here: Device, there: Device) -> None:
    client = signed_in(Role.CITY_ADMIN)
    by_address = client.get(reverse("telemetry:devices"), {"q": "Тверская"})
    assert [r["device"].pk for r in by_address.context["rows"]] == [here.pk]
    by_id = client.get(reverse("telemetry:devices"), {"q": "far-away"})
    assert [r["device"].pk for r in by_id.context["rows"]] == [there.pk]
    Device.objects.filter(pk=here.pk).update(last_seen_at=timezone.now())
    silent = client.get(reverse("telemetry:devices"), {"status": "silent"})
    assert [r["device"].pk for r in silent.context["rows"]] == [there.pk]
    reporting = client.get(reverse("telemetry:devices"), {"status": "active"})
    assert [r["device"].pk for r in reporting.context["rows"]] == [here.pk]
    odd = client.get(reverse("telemetry:devices"), {"status": "<script>", "page": "999"})
    assert odd.status_code == 200
    assert odd.context["status"] == "all"


def test_the_device_page_draws_a_chart_per_metric(here: Device) -> None:
    send(
        here,
        "water_cold_m3",
        [10.0, 10.1, 10.3, 10.3, 10.6],
        end=timezone.now() - dt.timedelta(hours=1),
    )
    send(here, "battery_pct", [90.0, 89.0], end=timezone.now() - dt.timedelta(hours=1))
    page = signed_in(device=here).get(reverse("telemetry:device", args=[here.pk]))
    assert page.status_code == 200
    charts = {c["id"]: c for c in page.context["charts"]}
    water = charts["chart-water-cold-m3"]
    assert water["kind"] == "bar"
    assert water["values"] == pytest.approx([0.0, 0.1, 0.2, 0.0, 0.3])
    assert charts["chart-battery-pct"]["values"] == [90.0, 89.0]
    html = page.content.decode()
    assert 'id="chart-water-cold-m3-data"' in html
    assert "chart.umd.min.js" in html
    assert {s["state"].metric for s in page.context["states"]} == {"water_cold_m3", "battery_pct"}


def test_a_device_or_alarm_of_another_district_is_not_found(here: Device, there: Device) -> None:
    alarm = tamper_alarm(there)
    client = signed_in(device=here)
    assert client.get(reverse("telemetry:device", args=[there.pk])).status_code == 404
    assert client.get(reverse("telemetry:alarm", args=[alarm.pk])).status_code == 404
    assert client.post(reverse("telemetry:alarm-acknowledge", args=[alarm.pk])).status_code == 404
    assert Alarm.objects.get(pk=alarm.pk).status == Alarm.Status.ACTIVE


def test_citizens_and_visitors_are_kept_out(here: Device) -> None:
    anonymous = Client().get(reverse("telemetry:alarms"))
    assert anonymous.status_code == 302
    citizen = Client()
    citizen.force_login(CitizenFactory.create().user)
    assert citizen.get(reverse("telemetry:alarms")).status_code == 403
    assert citizen.get(reverse("telemetry:device", args=[here.pk])).status_code == 403


def test_an_operator_acknowledges_then_clears_an_alarm_with_htmx(here: Device) -> None:
    alarm = tamper_alarm(here)
    client = signed_in(device=here)
    listing = client.get(reverse("telemetry:alarms"))
    assert [a.pk for a in listing.context["alarms"]] == [alarm.pk]
    htmx = {"HX-Request": "true"}
    acked = client.post(reverse("telemetry:alarm-acknowledge", args=[alarm.pk]), headers=htmx)
    assert acked.status_code == 200
    assert f'id="alarm-{alarm.pk}"' in acked.content.decode()
    assert Alarm.objects.get(pk=alarm.pk).status == Alarm.Status.ACKNOWLEDGED
    cleared = client.post(
        reverse("telemetry:alarm-clear", args=[alarm.pk]), {"note": "Пломба на месте"}, headers=htmx
    )
    assert cleared.status_code == 200
    assert Alarm.objects.get(pk=alarm.pk).note == "Пломба на месте"
    again = client.post(reverse("telemetry:alarm-clear", args=[alarm.pk]), headers=htmx)
    assert again.status_code == 409
    assert "already cleared" in again.content.decode() or "уже" in again.content.decode()
    assert client.get(reverse("telemetry:alarms")).context["alarms"] == []
    history = client.get(reverse("telemetry:alarms"), {"status": "cleared"})
    assert [a.pk for a in history.context["alarms"]] == [alarm.pk]


def test_without_javascript_an_action_returns_to_the_alarm_with_a_message(here: Device) -> None:
    alarm = tamper_alarm(here)
    client = signed_in(device=here)
    done = client.post(reverse("telemetry:alarm-clear", args=[alarm.pk]), follow=True)
    assert done.redirect_chain[-1][0] == reverse("telemetry:alarm", args=[alarm.pk])
    refused = client.post(reverse("telemetry:alarm-acknowledge", args=[alarm.pk]), follow=True)
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert Alarm.objects.get(pk=alarm.pk).status == Alarm.Status.CLEARED


def test_an_unknown_alarm_is_not_found(here: Device) -> None:
    client = signed_in(device=here)
    assert client.get(reverse("telemetry:alarm", args=[999999])).status_code == 404
    assert client.post(reverse("telemetry:alarm-clear", args=[999999])).status_code == 404


def test_the_alarm_page_shows_the_reason_and_the_evidence(here: Device) -> None:
    alarm = tamper_alarm(here)
    page = signed_in(device=here).get(reverse("telemetry:alarm", args=[alarm.pk]))
    assert page.status_code == 200
    assert page.context["chart"]["values"] == [1.0]
    html = page.content.decode()
    data = html.split(f'id="chart-alarm-{alarm.pk}-data" type="application/json">')[1].split(
        "</script>"
    )[0]
    assert json.loads(data)["values"] == [1.0]
    assert page.context["reason"] in html
    assert [value for _label, value in page.context["facts"]] == ["1"]  # the flag compared


def test_dead_letters_by_scope(here: Device) -> None:
    now = timezone.now()
    for device_id in (here.pk, "unknown-device"):
        DeadLetter.objects.create(
            received_at=now, source="mqtt", device_id=device_id, reason="bad_json", message="x"
        )
    mine = signed_in(device=here).get(reverse("telemetry:dead-letters"))
    assert [d.device_id for d in mine.context["letters"]] == [here.pk]
    city = signed_in(Role.CITY_ADMIN).get(reverse("telemetry:dead-letters"), {"reason": "bad_json"})
    assert {d.device_id for d in city.context["letters"]} == {here.pk, "unknown-device"}


def test_the_status_page_adds_up_the_workers(here: Device) -> None:
    now = timezone.now()
    for worker, accepted in (("w1", 6000), ("w2", 3000)):
        IngestStat.objects.create(
            worker=worker,
            window_start=now - dt.timedelta(minutes=5),
            window_seconds=60,
            messages=10,
            accepted=accepted,
            max_lag_s=0.5 if worker == "w1" else 2.0,
        )
    page = signed_in(Role.CITY_ADMIN).get(reverse("telemetry:status"))
    assert page.status_code == 200
    assert page.context["total_rate"] == pytest.approx(150.0)
    assert page.context["max_lag_s"] == 2.0
    assert [w["worker"] for w in page.context["workers"]] == ["w1", "w2"]


def test_the_operators_desk_has_the_telemetry_tiles(here: Device) -> None:
    desk = signed_in(device=here).get(reverse("portal:cabinet")).content.decode()
    for name in ("telemetry:alarms", "telemetry:devices", "telemetry:status"):
        assert f'href="{reverse(name)}"' in desk
    citizen = Client()
    citizen.force_login(CitizenFactory.create().user)
    assert (
        reverse("telemetry:alarms") not in citizen.get(reverse("portal:cabinet")).content.decode()
    )
