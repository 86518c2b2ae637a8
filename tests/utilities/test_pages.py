"""The pages: my meters, the submission (each bad input shown at its field, nothing
changed), and the operator's alerts queue, alert and districts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gorod.people.models import Citizen, Official
from gorod.utilities.models import Alert, Meter, Reading, Resource
from gorod.utilities.services import alert_raise
from tests.people.factories import CitizenFactory, district_official
from tests.utilities.conftest import last_month, this_month
from tests.utilities.factories import meter_for, reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def cold(resident: Citizen) -> Meter:
    meter = meter_for(resident.apartment)
    reading(meter, last_month(), "100", consumption="6")
    return meter


def _as(client: Client, user: Any, language: str = "ru") -> Client:
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_my_meters_shows_each_meter_its_last_reading_and_history(
    client: Client, resident: Citizen, cold: Meter, window_open: None
) -> None:
    meter_for(resident.apartment, Resource.POWER_DAY, is_smart=True)
    page = _as(client, resident.user, "en").get(reverse("utilities:meters")).content.decode()
    assert cold.serial in page
    assert "100.000" in page
    assert "Electricity, day" in page
    assert f'id="chart-{cold.pk}"' in page
    assert reverse("utilities:submit") in page


def test_my_meters_without_an_address_says_so(client: Client, window_open: None) -> None:
    citizen = CitizenFactory.create(apartment=None)
    page = _as(client, citizen.user, "en").get(reverse("utilities:meters")).content.decode()
    assert "not linked to a registered address" in page


def test_the_form_accepts_readings_and_confirms(
    client: Client, resident: Citizen, cold: Meter, window_open: None
) -> None:
    _as(client, resident.user, "en")
    response = client.post(reverse("utilities:submit"), {f"meter_{cold.pk}": "104,25"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("utilities:meters")
    assert "Readings accepted" in response.content.decode()
    assert Reading.objects.get(meter=cold, period=this_month()).consumption == Decimal("4.250")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("abc", "not a number"),
        ("-1", "negative"),
        ("99", "below the previous"),
        ("5000", "more than the"),
    ],
    ids=["non-numeric", "negative", "below-previous", "absurd"],
)
@pytest.mark.usefixtures("window_open")
def test_a_bad_value_is_shown_at_its_field(
    client: Client, resident: Citizen, cold: Meter, value: str, words: str
) -> None:
    response = _as(client, resident.user, "en").post(
        reverse("utilities:submit"), {f"meter_{cold.pk}": value}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert words in page
    assert f'id="id_meter_{cold.pk}-error"' in page
    assert not Reading.objects.filter(period=this_month()).exists()


def test_out_of_the_window_the_form_refuses(
    client: Client, resident: Citizen, cold: Meter, window_closed: None
) -> None:
    response = _as(client, resident.user, "en").post(
        reverse("utilities:submit"), {f"meter_{cold.pk}": "101"}
    )
    assert response.status_code == 400
    assert "Readings are accepted from the" in response.content.decode()
    assert not Reading.objects.filter(period=this_month()).exists()


def test_a_duplicate_and_a_foreign_meter_are_refused(
    client: Client, resident: Citizen, cold: Meter, window_open: None
) -> None:
    _as(client, resident.user, "en")
    client.post(reverse("utilities:submit"), {f"meter_{cold.pk}": "101"})
    again = client.post(reverse("utilities:submit"), {f"meter_{cold.pk}": "101"})
    assert again.status_code == 400
    assert "already submitted" in again.content.decode()
    stranger = meter_for(CitizenFactory.create().apartment)
    foreign = client.post(reverse("utilities:submit"), {f"meter_{stranger.pk}": "1"})
    # Not a field of this resident's form: an empty submission, nothing stored for it.
    assert foreign.status_code == 400
    assert not Reading.objects.filter(meter=stranger).exists()
    assert Reading.objects.filter(period=this_month()).count() == 1


def _alert(meter: Meter) -> Alert:
    alert, _ = alert_raise(
        meter=meter,
        kind="continuous_flow",
        day=dt.date(2026, 3, 1),
        reason="no zero hour in 24 h",
        evidence={
            "series": {"labels": ["00:00", "01:00"], "values": [12.0, 11.5], "unit": "l"},
            "night_litres": 23.5,
        },
        score=0.93,
    )
    return alert


@pytest.fixture
def operator(cold: Meter) -> Official:
    return district_official(district=cold.apartment.building.district)


def test_the_operator_decides_an_alert_with_its_evidence(
    client: Client, operator: Official, cold: Meter
) -> None:
    alert = _alert(cold)
    _as(client, operator.user, "en")
    queue = client.get(reverse("utilities:alerts")).content.decode()
    assert "continuous_flow" in queue
    page = client.get(reverse("utilities:alert", args=[alert.pk])).content.decode()
    assert 'id="evidence-chart"' in page
    assert "night_litres" in page
    response = client.post(
        reverse("utilities:alert", args=[alert.pk]),
        {"decision": "confirmed", "comment": "leak found"},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.comment, alert.decided_by) == (
        "confirmed",
        "leak found",
        operator.user,
    )
    decided = client.get(reverse("utilities:alerts") + "?status=confirmed").content.decode()
    assert "0 %" in decided  # the false-alarm rate of the confirmed kind


def test_a_decision_without_a_choice_is_refused(
    client: Client, operator: Official, cold: Meter
) -> None:
    alert = _alert(cold)
    response = _as(client, operator.user).post(
        reverse("utilities:alert", args=[alert.pk]), {"decision": "maybe"}
    )
    assert response.status_code == 400
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_another_districts_alert_is_not_found(client: Client, operator: Official) -> None:
    alert = _alert(meter_for(CitizenFactory.create().apartment))
    assert (
        _as(client, operator.user).get(reverse("utilities:alert", args=[alert.pk])).status_code
        == 404
    )


def test_a_resident_may_not_open_the_operator_pages(client: Client, resident: Citizen) -> None:
    _as(client, resident.user)
    assert client.get(reverse("utilities:alerts")).status_code == 403
    assert client.get(reverse("utilities:districts")).status_code == 403


def test_the_districts_page_maps_the_month(client: Client, operator: Official, cold: Meter) -> None:
    reading(cold, this_month(), "101")
    _alert(cold)
    page = _as(client, operator.user, "en").get(reverse("utilities:districts")).content.decode()
    assert 'id="districts-map-data"' in page
    assert cold.apartment.building.district.name in page


def test_the_cabinet_and_the_desk_offer_the_utilities_pages(
    client: Client, resident: Citizen, cold: Meter
) -> None:
    page = _as(client, resident.user, "en").get(reverse("portal:cabinet")).content.decode()
    assert reverse("utilities:meters") in page
    operator = district_official(district=cold.apartment.building.district)
    desk = _as(client, operator.user, "en").get(reverse("portal:cabinet")).content.decode()
    assert reverse("utilities:alerts") in desk
    assert reverse("utilities:districts") in desk
