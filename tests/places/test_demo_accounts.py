"""Demo accounts (``gorod.people.demo``): a family, an official per role, an administrator."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from gorod.errors import ApplicationError
from gorod.people.demo import DEMO_PASSWORD, demo_accounts_create
from gorod.people.models import Citizen, Official, Role, User
from gorod.people.roles import role_group_name
from gorod.places.synth import age_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    call_command(
        "seed", "--citizens", "60", "--no-boundaries", "--no-demo-accounts", stdout=StringIO()
    )


def test_every_demo_account_signs_in_with_the_published_password(city):
    accounts = demo_accounts_create()
    assert len(accounts) == 2 + len(Role)
    for account in accounts:
        assert User.objects.get(email=account.email).check_password(DEMO_PASSWORD)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_a_staff_official_in_its_group_and_scope(city, role):
    demo_accounts_create()
    official = Official.objects.get(user__email=f"{role.value}@demo.gorod")
    assert official.role == role
    assert official.user.is_staff
    assert not official.user.is_superuser
    assert official.user.groups.filter(name=role_group_name(role)).exists()
    official.full_clean()


def test_the_institution_officials_work_where_the_demo_family_lives(city):
    demo_accounts_create()
    apartment = Citizen.objects.get(user__email="citizen@demo.gorod").apartment
    assert apartment is not None
    doctor = Official.objects.get(role=Role.DOCTOR)
    assert doctor.institution is not None
    assert doctor.institution.kind == "clinic"
    assert doctor.institution.district == apartment.building.district
    assert Official.objects.get(role=Role.ANALYST).district == apartment.building.district


def test_the_demo_citizen_has_a_spouse_and_children_of_kindergarten_and_school_age(city):
    demo_accounts_create()
    mother = Citizen.objects.get(user__email="citizen@demo.gorod")
    children = Citizen.objects.filter(guardians__guardian=mother)
    assert sorted(age_on(c.birth_date, c.created_at.date()) for c in children) == [4, 9]
    for child in children:
        assert child.guardians.count() == 2
        assert child.apartment == mother.apartment


def test_the_administrator_is_a_superuser(city):
    demo_accounts_create()
    admin = User.objects.get(email="admin@demo.gorod")
    assert admin.is_superuser
    assert admin.is_staff


def test_creating_them_again_adds_nothing(city):
    demo_accounts_create()
    counts = User.objects.count(), Citizen.objects.count(), Official.objects.count()
    demo_accounts_create()
    assert (User.objects.count(), Citizen.objects.count(), Official.objects.count()) == counts


def test_without_a_city_they_are_refused():
    with pytest.raises(ApplicationError):
        demo_accounts_create()
    assert not User.objects.exists()


@override_settings(PROFILE="production")
def test_seeding_in_production_creates_no_demo_account():
    call_command("seed", "--citizens", "10", "--no-boundaries", stdout=StringIO())
    assert not User.objects.exists()


def test_seeding_with_the_flag_creates_them_and_prints_the_table():
    out = StringIO()
    call_command("seed", "--citizens", "10", "--no-boundaries", "--demo-accounts", stdout=out)
    assert User.objects.filter(email="citizen@demo.gorod").exists()
    assert DEMO_PASSWORD in out.getvalue()
