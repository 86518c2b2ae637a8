"""The demo's desks and slots, and the ``gorod scheduling`` command."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from gorod.places.models import Institution
from gorod.scheduling.demo import demo_children, demo_prepare, weekly_hours
from gorod.scheduling.models import Booking, Resource, Service, Slot
from tests.places.factories import ApartmentFactory, InstitutionFactory
from tests.scheduling.conftest import Office

pytestmark = pytest.mark.django_db

REGISTRY_HOURS = {
    day: [["09:00", "13:00"], ["13:45", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
} | {"sat": [["10:00", "16:00"]], "sun": []}


def test_opening_hours_become_a_weekly_calendar() -> None:
    office = InstitutionFactory.build(opening_hours=REGISTRY_HOURS)
    week = weekly_hours(office)
    assert sorted(week) == [0, 1, 2, 3, 4, 5, 6]
    assert [(a.isoformat(), b.isoformat()) for a, b in week[5]] == [("10:00:00", "16:00:00")]


def test_demo_prepare_gives_the_offices_desks_and_slots_once() -> None:
    home = ApartmentFactory.create().building.district
    InstitutionFactory.create(district=home, opening_hours=REGISTRY_HOURS)
    InstitutionFactory.create(
        district=home,
        kind=Institution.Kind.SERVICE_CENTRE,
        opening_hours={d: [["08:00", "20:00"]] for d in REGISTRY_HOURS},
    )
    out = io.StringIO()
    demo_prepare(seed=1, stdout=out)
    slots = Slot.objects.count()
    assert Service.objects.filter(code="zags-birth").exists()
    assert Resource.objects.count() == 5  # two desks each, and the registry office's hall
    assert slots > 0
    demo_prepare(seed=1, stdout=out)
    assert (Resource.objects.count(), Slot.objects.count()) == (5, slots)


def test_the_demo_runs_the_tick_every_30_seconds() -> None:
    (child,) = demo_children(env={})
    assert child.argv[-3:] == ["scheduling", "tick", "--every=30"]


def test_tick_once_reports_its_work(office: Office) -> None:
    out = io.StringIO()
    call_command("scheduling", "tick", stdout=out)
    assert "0" in out.getvalue()


def test_slots_for_the_coming_days_are_idempotent(office: Office) -> None:
    out = io.StringIO()
    call_command("scheduling", "slots", "--days=3", stdout=out)
    call_command("scheduling", "slots", "--days=3", stdout=out)
    first, again = (re.findall(r"\d+", line) for line in out.getvalue().splitlines())
    assert int(first[0]) > 0
    assert again == ["0"]


@pytest.mark.parametrize(
    "argv", [["tick", "--every=0"], ["slots", "--days=0"]], ids=["every", "days"]
)
def test_bad_options_exit_2_and_change_nothing(office: Office, argv: list[str]) -> None:
    before = Slot.objects.count()
    with pytest.raises(CommandError) as caught:
        call_command("scheduling", *argv)
    assert caught.value.returncode == 2
    assert Slot.objects.count() == before
    assert not Booking.objects.exists()
