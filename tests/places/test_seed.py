"""``gorod seed``: a deterministic demo city, real or generated, with families and institutions."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation
from shapely.geometry import shape

from gorod.people import snils
from gorod.people.models import Citizen, Guardianship
from gorod.places.models import Building, District, Institution
from gorod.places.names import feminine_surname
from gorod.places.synth import PATRONYMICS, REFERENCE_DAY, age_on
from tests.places.helpers import moscow_dir

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", "--no-demo-accounts", *args, stdout=out)
    return out.getvalue()


def people() -> list[tuple[str, str, str, str, dt.date]]:
    return list(
        Citizen.objects.order_by("snils").values_list(
            "snils", "last_name", "first_name", "patronymic", "birth_date"
        )
    )


def wipe_city() -> None:
    Guardianship.objects.all().delete()
    Citizen.objects.all().delete()
    Institution.objects.all().delete()
    Building.objects.all().delete()


def test_the_same_seed_builds_the_same_residents_and_addresses():
    seed("--citizens", "200", "--seed", "5", "--no-boundaries")
    first = people(), sorted(Building.objects.values_list("address", flat=True))
    wipe_city()
    seed("--citizens", "200", "--seed", "5", "--no-boundaries")
    assert (people(), sorted(Building.objects.values_list("address", flat=True))) == first


def test_another_seed_builds_other_residents():
    seed("--citizens", "50", "--seed", "5", "--no-boundaries")
    first = people()
    wipe_city()
    seed("--citizens", "50", "--seed", "6", "--no-boundaries")
    assert people() != first


@override_settings(SHARED_DATA_DIR="/nonexistent/shared/data")
def test_without_the_shared_data_a_generated_city_is_seeded():
    seed("--citizens", "100")
    assert District.objects.count() == 36
    assert not District.objects.exclude(name__startswith="Сгенерированный район").exists()
    assert Citizen.objects.count() == 100


def test_the_real_districts_are_used_when_the_shared_data_is_there():
    moscow_dir()
    seed("--citizens", "100")
    assert District.objects.count() == 146
    assert Building.objects.filter(district__name="Тверской").exists()


def test_every_district_gets_clinics_schools_kindergartens_and_a_service_centre():
    seed("--citizens", "300", "--no-boundaries")
    for district in District.objects.all():
        kinds = set(district.institutions.values_list("kind", flat=True))
        assert {"clinic", "school", "kindergarten", "service_centre"} <= kinds, district.name
    assert Institution.objects.filter(kind="registry_office").exists()


def test_every_building_lies_inside_its_district():
    seed("--citizens", "300", "--no-boundaries")
    for building in Building.objects.select_related("district"):
        boundary = shape(building.district.boundary)
        assert boundary.contains(shapely.Point(building.lon, building.lat)), building.address


def test_institutions_have_opening_hours_for_every_weekday():
    seed("--citizens", "50", "--no-boundaries")
    clinic = Institution.objects.filter(kind="clinic").first()
    assert clinic is not None
    assert set(clinic.opening_hours) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    assert clinic.opening_hours["mon"] == [["08:00", "20:00"]]


def test_children_live_with_the_parents_who_are_their_guardians():
    seed("--citizens", "400", "--no-boundaries")
    children = [c for c in Citizen.objects.all() if age_on(c.birth_date, REFERENCE_DAY) < 18]
    assert children
    linked = Guardianship.objects.select_related("guardian", "child")
    assert {g.child_id for g in linked} <= {c.pk for c in children}
    for link in linked:
        assert link.guardian.apartment_id == link.child.apartment_id
        assert age_on(link.guardian.birth_date, REFERENCE_DAY) >= 18


def test_children_of_every_age_under_18_are_seeded():
    seed("--citizens", "1000", "--no-boundaries")
    ages = {age_on(c.birth_date, REFERENCE_DAY) for c in Citizen.objects.all()}
    assert set(range(18)) <= ages


def test_every_seeded_snils_is_valid_and_unique():
    seed("--citizens", "300", "--no-boundaries")
    numbers = list(Citizen.objects.values_list("snils", flat=True))
    assert all(snils.is_valid(n) for n in numbers)
    assert len(set(numbers)) == len(numbers) == 300


def fathers_and_children() -> list[tuple[Citizen, Citizen]]:
    links = Guardianship.objects.select_related("guardian", "child")
    return [(g.guardian, g.child) for g in links if g.guardian.patronymic.endswith("ич")]


def test_children_carry_their_fathers_surname_in_their_own_gender():
    seed("--citizens", "300", "--no-boundaries")
    pairs = fathers_and_children()
    assert pairs
    for father, child in pairs:
        assert child.last_name in {father.last_name, feminine_surname(father.last_name)}


def test_a_childs_patronymic_comes_from_the_fathers_first_name():
    seed("--citizens", "300", "--no-boundaries")
    for father, child in fathers_and_children():
        assert child.patronymic in PATRONYMICS[father.first_name]


def test_seeding_a_city_that_has_buildings_does_nothing():
    seed("--citizens", "50", "--no-boundaries")
    with translation.override("en"):
        out = seed("--citizens", "500", "--no-boundaries")
    assert Citizen.objects.count() == 50
    assert "nothing to seed" in out


def test_a_negative_number_of_citizens_exits_2():
    with pytest.raises(CommandError) as caught:
        seed("--citizens", "-1")
    assert caught.value.returncode == 2
    assert not Building.objects.exists()
