"""Opening hours: the weekly shape the institutions store."""

from __future__ import annotations

import pytest

from gorod.places import hours

GOOD = {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], "sat": [["10:00", "24:00"]], "sun": []}


def test_a_week_of_ordered_intervals_is_well_formed():
    assert hours.problem(GOOD) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([], ("", "not_object")),
        ({"monday": []}, ("monday", "unknown_day")),
        ({"mon": "09:00-18:00"}, ("mon", "not_list")),
        ({"tue": [["09:00"]]}, ("tue", "bad_span")),
        ({"wed": [["9:00", "18:00"]]}, ("wed", "bad_time")),
        ({"thu": [["18:00", "09:00"]]}, ("thu", "order")),
        ({"fri": [["09:00", "14:00"], ["13:00", "18:00"]]}, ("fri", "order")),
    ],
)
def test_a_bad_value_is_named_with_its_weekday(value, expected):
    assert hours.problem(value) == expected
