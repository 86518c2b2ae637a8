"""A utility operator's telemetry pages in headless Chromium: devices, a device's charts, alarms
acknowledged and cleared in place, dead letters and the ingestion status; axe-clean."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from gorod.people.models import Role, User
from gorod.telemetry.alarms import alarms_evaluate
from gorod.telemetry.ingest import registry
from gorod.telemetry.models import Alarm, DeadLetter, Device, IngestStat
from tests.browser.helpers import assert_accessible, screenshot, sign_in, use_language
from tests.people.factories import district_official
from tests.places.factories import ApartmentFactory, BuildingFactory
from tests.telemetry.alarm_data import rule, send
from tests.telemetry.factories import DeviceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def table(tmp_path: Path) -> Iterator[None]:
    with override_settings(GOROD_TELEMETRY_TABLE=str(tmp_path / "telemetry")):
        registry.clear()
        yield
    registry.clear()


@pytest.fixture
def leaking(table: None) -> Device:
    """A flat's water meter with three days of readings and a leak for the last day."""
    building = BuildingFactory.create(address="ул. Большая Полянка, 28")
    device = DeviceFactory.create(
        id="wm-polyanka-28-12", apartment=ApartmentFactory.create(building=building, number="12")
    )
    end = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    hours = 72
    use = [0.012 if 7 <= (h % 24) <= 9 or 19 <= (h % 24) <= 22 else 0.0 for h in range(hours)]
    use[-26:] = [u + 0.004 for u in use[-26:]]  # a running toilet: never zero for a day
    total, register = 123.4, []
    for step in use:
        total += step
        register.append(round(total, 4))
    send(device, "water_cold_m3", register, end=end)
    send(device, "battery_pct", [float(100 - h // 12) for h in range(hours)], end=end)
    send(device, "tamper", [0.0] * hours, end=end)
    leak = rule(
        "persistence",
        "water_cold_m3",
        {"op": "above", "value": 0, "duration_s": 24 * 3600, "on": "increase"},
        name="Возможная утечка: расход не прекращается сутки",
        severity="critical",
    )
    battery = rule("threshold", "battery_pct", {"op": "below", "value": 99}, name="Батарея")
    alarms_evaluate(now=end, rule_ids=[leak.pk, battery.pk])
    DeadLetter.objects.create(
        received_at=timezone.now(),
        source="mqtt",
        device_id=device.pk,
        reason="not_finite",
        message="value is not a finite number",
        payload='{"metric": "water_cold_m3", "ts": "2026-11-24T10:00:00Z", "value": NaN}',
    )
    IngestStat.objects.create(
        worker="ingest-1",
        window_start=timezone.now() - dt.timedelta(minutes=2),
        window_seconds=60,
        messages=1200,
        accepted=36000,
        rejected=1,
        max_lag_s=0.4,
    )
    return device


def operator(device: Device) -> User:
    return district_official(Role.UTILITY_OPERATOR, district=device.district).user


def test_an_operator_finds_a_leak_and_acknowledges_then_clears_it(
    page: Any, live_server: Any, output_dir: Path, leaking: Device
) -> None:
    sign_in(page, live_server.url, operator(leaking))

    page.goto(reverse("telemetry:devices") + "?q=Полянка")
    assert page.locator("tbody tr").count() == 1
    assert_accessible(page, output_dir, "telemetry-1-devices")

    page.get_by_role("link", name=leaking.pk).click()
    page.wait_for_function("document.querySelectorAll('canvas').length >= 3")
    page.wait_for_function(
        "window.Chart !== undefined"  # the deferred script may still be loading
        " && Array.from(document.querySelectorAll('canvas')).every(c => window.Chart.getChart(c))"
    )
    assert_accessible(page, output_dir, "telemetry-2-device")

    page.goto(reverse("telemetry:alarms"))
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    leak = Alarm.objects.get(rule__name__startswith="Возможная утечка")
    row = page.locator(f"#alarm-{leak.pk}")
    assert_accessible(page, output_dir, "telemetry-3-alarms")

    row.get_by_role("button", name="Подтвердить").click()
    page.wait_for_function(
        f"!document.querySelector('#alarm-{leak.pk} form[action$=\"acknowledge/\"]')"
    )
    assert "подтверждена" in row.inner_text()
    assert Alarm.objects.get(pk=leak.pk).status == Alarm.Status.ACKNOWLEDGED
    screenshot(page, output_dir, "telemetry-4-alarm-acknowledged")

    page.goto(reverse("telemetry:alarm", args=[leak.pk]))
    page.wait_for_function("window.Chart && document.querySelector('canvas')")
    assert_accessible(page, output_dir, "telemetry-5-alarm")
    page.fill("#clear-note", "Заменена арматура бачка")
    with page.expect_navigation():
        page.get_by_role("button", name="Снять").click()
    assert Alarm.objects.get(pk=leak.pk).status == Alarm.Status.CLEARED
    assert "Заменена арматура бачка" in page.locator("main").inner_text()
    screenshot(page, output_dir, "telemetry-6-alarm-cleared")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_dead_letters_and_ingestion_status_are_accessible(
    page: Any, live_server: Any, output_dir: Path, leaking: Device, language: str
) -> None:
    use_language(page, live_server.url, language)
    sign_in(page, live_server.url, operator(leaking))

    page.goto(reverse("telemetry:dead-letters"))
    assert "not_finite" in page.locator("main").inner_text()
    assert_accessible(page, output_dir, f"telemetry-7-dead-letters-{language}")

    page.goto(reverse("telemetry:status"))
    assert "ingest-1" in page.locator("main").inner_text()
    assert_accessible(page, output_dir, f"telemetry-8-status-{language}")
