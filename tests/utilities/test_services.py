"""Submitting readings: every bad input refused with its field, nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people.models import Citizen
from gorod.utilities.models import Reading, Resource
from gorod.utilities.services import reading_record, readings_submit
from tests.people.factories import CitizenFactory
from tests.utilities.factories import in_window, meter_for, reading

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
FEB = dt.date(2026, 2, 1)
NOW = in_window(MARCH)


def _submit(citizen: Citizen, values: dict[int, object], now: dt.datetime = NOW) -> list[Reading]:
    assert citizen.user is not None
    return readings_submit(user=citizen.user, values=values, now=now)


def test_readings_of_several_meters_are_accepted_with_their_consumption(resident: Citizen) -> None:
    cold = meter_for(resident.apartment)
    hot = meter_for(resident.apartment, Resource.WATER_HOT)
    reading(cold, FEB, "100.000")
    readings = _submit(resident, {cold.pk: "107,5", hot.pk: "3.25"})
    by_meter = {r.meter_id: r for r in readings}
    assert by_meter[cold.pk].value == D("107.5")
    assert by_meter[cold.pk].consumption == D("7.500")
    assert by_meter[cold.pk].period == MARCH
    assert by_meter[cold.pk].status == Reading.Status.ACCEPTED
    assert by_meter[hot.pk].consumption == D("3.25")  # since the installation value 0


def test_a_correction_in_the_window_supersedes_the_first(resident: Citizen) -> None:
    cold = meter_for(resident.apartment)
    first = _submit(resident, {cold.pk: "10"})[0]
    second = _submit(resident, {cold.pk: "11"}, now=NOW + dt.timedelta(days=1))[0]
    first.refresh_from_db()
    assert first.status == Reading.Status.SUPERSEDED
    assert second.status == Reading.Status.ACCEPTED
    assert Reading.objects.filter(meter=cold, status=Reading.Status.ACCEPTED).count() == 1


def _refused(
    citizen: Citizen,
    values: dict[int, object],
    *,
    error: type[ApplicationError] = ApplicationError,
    now: dt.datetime = NOW,
) -> ApplicationError:
    before = Reading.objects.count()
    with pytest.raises(error) as caught:
        _submit(citizen, values, now=now)
    assert Reading.objects.count() == before
    return caught.value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", None),
        ("NaN", None),
        ("1.2345", None),
        ("-1", "negative"),
        ("100000", "too_wide"),
        ("99.9", "below_previous"),
        ("1000", "above_standard"),
    ],
    ids=["non-numeric", "nan", "four-decimals", "negative", "too-wide", "below-previous", "absurd"],
)
def test_a_bad_value_is_refused_naming_its_meter(
    resident: Citizen, value: str, reason: str | None
) -> None:
    cold = meter_for(resident.apartment)
    hot = meter_for(resident.apartment, Resource.WATER_HOT)
    reading(cold, FEB, "100")
    error = _refused(resident, {hot.pk: "1", cold.pk: value})
    assert error.field == f"meter_{cold.pk}"
    assert cold.serial in error.message
    assert error.extra.get("reason") == reason


def test_a_spike_against_the_meters_own_average_is_refused(resident: Citizen) -> None:
    cold = meter_for(resident.apartment)
    for month, value in [(9, "0"), (10, "1"), (11, "2"), (12, "3")]:
        reading(cold, dt.date(2025, month, 1), value)
    reading(cold, dt.date(2026, 1, 1), "4")
    reading(cold, FEB, "5")
    # 1 m³ a month on average; 30 m³ in a month is below 3 × the standard for two (41.6)
    # but more than five times the average and above the standard's daily rate.
    error = _refused(resident, {cold.pk: "35"})
    assert error.extra["reason"] == "spike"


def test_outside_the_window_nothing_is_accepted(resident: Citizen) -> None:
    cold = meter_for(resident.apartment)
    error = _refused(resident, {cold.pk: "5"}, now=in_window(MARCH, day=26))
    assert error.field == "period"
    assert "15" in error.message
    assert "25" in error.message


def test_another_apartments_meter_is_not_found(resident: Citizen) -> None:
    stranger = meter_for(CitizenFactory.create().apartment)
    error = _refused(resident, {stranger.pk: "5"}, error=NotFound)
    assert error.field == f"meter_{stranger.pk}"


def test_the_same_reading_twice_is_a_duplicate(resident: Citizen) -> None:
    cold = meter_for(resident.apartment)
    _submit(resident, {cold.pk: "5"})
    error = _refused(resident, {cold.pk: "5.000"}, error=Conflict)
    assert error.field == f"meter_{cold.pk}"


def test_a_smart_meters_month_is_not_overwritten(resident: Citizen) -> None:
    cold = meter_for(resident.apartment, is_smart=True)
    reading(cold, MARCH, "5", source=Reading.Source.SMART)
    _refused(resident, {cold.pk: "6"}, error=Conflict)


def test_an_empty_submission_is_refused(resident: Citizen) -> None:
    assert _refused(resident, {}).field == "readings"


def test_an_operators_reading_is_checked_and_kept_even_when_refused(resident: Citizen) -> None:
    cold = meter_for(resident.apartment)
    reading(cold, FEB, "100")
    refused = reading_record(meter=cold, period=MARCH, value=D("50"), now=NOW)
    assert (refused.status, refused.reason) == (Reading.Status.REJECTED, "below_previous")
    accepted = reading_record(meter=cold, period=MARCH, value=D("104"), now=NOW)
    assert (accepted.status, accepted.consumption) == (Reading.Status.ACCEPTED, D("4"))
    with pytest.raises(Conflict):
        reading_record(meter=cold, period=MARCH, value=D("105"), now=NOW)
