"""The utilities back office: an operator sees their district's meters and alerts only and
changes nothing; a city administrator sets tariffs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from gorod.people.models import Role
from gorod.utilities.models import Tariff
from gorod.utilities.services import alert_raise
from tests.people.factories import CitizenFactory, city_official, district_official
from tests.utilities.factories import meter_for

pytestmark = pytest.mark.django_db


def test_an_operator_sees_their_districts_meters_and_alerts_only(client: Client) -> None:
    mine = meter_for(CitizenFactory.create().apartment)
    theirs = meter_for(CitizenFactory.create().apartment)
    for meter in (mine, theirs):
        alert_raise(
            meter=meter, kind="leak", day=dt.date(2026, 3, 1), reason="", evidence={}, score=1.0
        )
    operator = district_official(Role.UTILITY_OPERATOR, district=mine.apartment.building.district)
    client.force_login(operator.user)
    for url in ("/admin/utilities/meter/", "/admin/utilities/alert/"):
        page = client.get(url).content.decode()
        assert mine.serial in page
        assert theirs.serial not in page
    assert client.get(f"/admin/utilities/meter/{theirs.pk}/change/").status_code in {302, 404}
    assert client.post("/admin/utilities/tariff/add/", {}).status_code == 403


def test_a_city_administrator_sets_a_tariff(client: Client) -> None:
    client.force_login(city_official(Role.CITY_ADMIN).user)
    response = client.post(
        "/admin/utilities/tariff/add/",
        {"resource": "water_cold", "price": "60.50", "valid_from": "2026-07-01"},
    )
    assert response.status_code == 302
    assert Tariff.objects.get().price == Decimal("60.50")
