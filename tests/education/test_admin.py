"""Back office: applications read-only, and an official sees their district's only."""

from __future__ import annotations

import pytest
from django.test import Client

from gorod.people.models import Role
from tests.education.factories import decided_round
from tests.people.factories import district_official

pytestmark = pytest.mark.django_db

URL = "/admin/education/application/"


def test_the_district_officer_sees_the_applications_of_their_district_only(
    client: Client,
) -> None:
    _round, _popular, applications = decided_round()
    home = applications[0].child.apartment
    assert home is not None
    officer = district_official(Role.EDUCATION_OFFICER, district=home.building.district)
    client.force_login(officer.user)
    page = client.get(URL).content.decode()
    assert applications[0].child.full_name in page
    assert all(a.child.full_name not in page for a in applications[1:])


def test_applications_cannot_be_changed_in_the_back_office(client: Client) -> None:
    _round, _popular, applications = decided_round()
    home = applications[0].child.apartment
    assert home is not None
    officer = district_official(Role.EDUCATION_OFFICER, district=home.building.district)
    client.force_login(officer.user)
    response = client.post(f"{URL}{applications[0].pk}/change/", {"status": "withdrawn"})
    assert response.status_code in {302, 403}
    applications[0].refresh_from_db()
    assert applications[0].status != "withdrawn"
