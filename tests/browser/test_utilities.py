"""The utilities pages in a real browser: a resident's meters with their history chart and
the submission by keyboard; an operator's alerts with evidence and the districts map; axe
finds no serious violation, in both languages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from gorod.people.models import Citizen, Official
from gorod.utilities.models import Alert, Forecast, Meter, Reading, Resource
from gorod.utilities.services import alert_raise
from gorod.utilities.vee import month_index, month_start
from tests.browser.helpers import assert_accessible, sign_in, use_language
from tests.people.factories import CitizenFactory, district_official
from tests.utilities.conftest import this_month
from tests.utilities.factories import meter_for, reading

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["ru", "en"]


@pytest.fixture
def home(settings: Any) -> tuple[Citizen, Meter]:
    settings.GOROD_UTILITIES_WINDOW_DAYS = (1, 31)
    citizen = CitizenFactory.create()
    cold = meter_for(citizen.apartment)
    meter_for(citizen.apartment, Resource.WATER_HOT)
    current = month_index(this_month())
    for back, (value, used) in enumerate([("130", "6.5"), ("123.5", "7"), ("116.5", "5.5")]):
        source = Reading.Source.ESTIMATE if back == 1 else Reading.Source.CITIZEN
        status = Reading.Status.ESTIMATED if back == 1 else Reading.Status.ACCEPTED
        reading(
            cold,
            month_start(current - 1 - back),
            value,
            consumption=used,
            source=source,
            status=status,
        )
    return citizen, cold


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_meters_shows_the_history_chart(
    page: Any, live_server: Any, output_dir: Path, home: tuple[Citizen, Meter], language: str
) -> None:
    citizen, _cold = home
    sign_in(page, live_server.url, citizen.user)
    use_language(page, live_server.url, language)
    page.goto(reverse("utilities:meters"))
    page.locator("canvas.history-chart").first.wait_for()
    assert page.locator("figure.chart-figure").first.is_visible()
    assert_accessible(page, output_dir, f"utilities-my-meters-{language}")


def test_a_resident_submits_readings_by_keyboard(
    page: Any, live_server: Any, output_dir: Path, home: tuple[Citizen, Meter]
) -> None:
    citizen, cold = home
    sign_in(page, live_server.url, citizen.user)
    use_language(page, live_server.url, "en")
    page.goto(reverse("utilities:submit"))
    field = page.locator(f"#id_meter_{cold.pk}")
    field.fill("12")
    field.press("Enter")
    page.get_by_role("alert").first.wait_for()
    assert "below the previous" in page.locator("main").inner_text()
    assert_accessible(page, output_dir, "utilities-submit-refused-en")
    page.locator(f"#id_meter_{cold.pk}").fill("136,4")
    page.locator(f"#id_meter_{cold.pk}").press("Enter")
    page.wait_for_url(f"**{reverse('utilities:meters')}")
    assert "Readings accepted" in page.locator(".messages").inner_text()
    assert Reading.objects.get(meter=cold, period=this_month()).consumption == Decimal("6.400")


def _operator_with_alert(meter: Meter) -> tuple[Official, Alert]:
    hours = [f"{h:02d}:00" for h in range(24)]
    alert, _ = alert_raise(
        meter=meter,
        kind="leak",
        day=dt.date(2026, 3, 14),
        reason="continuous_flow",
        evidence={
            "series": {"labels": hours, "values": [9.0 + (h % 5) for h in range(24)], "unit": "l"},
            "litres_last_24h": 258.0,
        },
        score=0.97,
    )
    return district_official(district=meter.apartment.building.district), alert


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_operator_reviews_and_decides_an_alert(
    page: Any, live_server: Any, output_dir: Path, home: tuple[Citizen, Meter], language: str
) -> None:
    operator, alert = _operator_with_alert(home[1])
    sign_in(page, live_server.url, operator.user)
    use_language(page, live_server.url, language)
    page.goto(reverse("utilities:alerts"))
    assert_accessible(page, output_dir, f"utilities-alerts-{language}")
    page.goto(reverse("utilities:alert", args=[alert.pk]))
    page.locator("canvas.history-chart").wait_for()
    assert_accessible(page, output_dir, f"utilities-alert-{language}")
    page.locator("input[value=dismissed]").check()
    page.locator("textarea").fill("meter replaced last week")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(f"**{reverse('utilities:alerts')}")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DISMISSED


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_districts_map_is_accessible(
    page: Any, live_server: Any, output_dir: Path, home: tuple[Citizen, Meter], language: str
) -> None:
    operator, _alert = _operator_with_alert(home[1])
    days = [dt.date(2026, 3, 1) + dt.timedelta(days=n) for n in range(58)]
    weekly = [10.0 + 3 * (n % 7 >= 5) for n in range(58)]
    Forecast.objects.create(
        district=operator.district,
        history={"days": [d.isoformat() for d in days[:28]], "m3": weekly[:28]},
        forecast={
            "days": [d.isoformat() for d in days[28:]],
            "yhat": weekly[28:],
            "lo": [v - 1.5 for v in weekly[28:]],
            "hi": [v + 1.5 for v in weekly[28:]],
            "level": 80,
        },
    )
    sign_in(page, live_server.url, operator.user)
    use_language(page, live_server.url, language)
    page.goto(reverse("utilities:districts"))
    page.locator("#districts-map .leaflet-interactive").first.wait_for()
    page.locator("canvas[data-kind=forecast]").wait_for()
    assert_accessible(page, output_dir, f"utilities-districts-{language}")
