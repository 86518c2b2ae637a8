"""Residents are told: readings accepted, a bill issued, a problem confirmed, the window
open (once a month)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from gorod.people.models import Citizen
from gorod.portal.models import Notification
from gorod.utilities.services import (
    alert_decide,
    alert_raise,
    period_close,
    readings_submit,
    residents_remind,
)
from tests.people.factories import district_official
from tests.utilities.factories import in_window, meter_for

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)


def _kinds(citizen: Citizen) -> list[str]:
    return list(Notification.objects.filter(user=citizen.user).values_list("kind", flat=True))


def test_a_submission_and_a_bill_are_told(resident: Citizen) -> None:
    cold = meter_for(resident.apartment)
    assert resident.user is not None
    readings_submit(user=resident.user, values={cold.pk: "5"}, now=in_window(MARCH))
    period_close(period=MARCH, smart_values={}, now=in_window(MARCH, day=27))
    assert sorted(_kinds(resident)) == ["utilities.bill", "utilities.readings"]


def test_a_confirmed_problem_is_told_a_dismissed_one_is_not(resident: Citizen) -> None:
    cold = meter_for(resident.apartment)
    operator = district_official(district=resident.apartment.building.district)
    first, _ = alert_raise(
        meter=cold, kind="leak", day=MARCH, reason="continuous_flow", evidence={}, score=1.0
    )
    second, _ = alert_raise(
        meter=cold, kind="stuck", day=MARCH, reason="stuck", evidence={}, score=1.0
    )
    alert_decide(alert_id=second.pk, user=operator.user, decision="dismissed")
    assert _kinds(resident) == []
    alert_decide(alert_id=first.pk, user=operator.user, decision="confirmed")
    assert _kinds(resident) == ["utilities.alert"]


def test_the_window_is_told_once_to_those_with_readings_to_give(resident: Citizen) -> None:
    meter_for(resident.apartment)
    assert residents_remind(now=in_window(MARCH)).reminded == 1
    assert residents_remind(now=in_window(MARCH, day=21)).reminded == 0
    assert _kinds(resident) == ["utilities.reminder"]
    closed = residents_remind(now=in_window(MARCH, day=27))
    assert (closed.window_open, closed.reminded) == (False, 0)


def test_the_remind_command_says_how_many(resident: Citizen, window_open: None) -> None:
    meter_for(resident.apartment)
    out = io.StringIO()
    call_command("utilities", "remind", stdout=out)
    assert "1" in out.getvalue()
