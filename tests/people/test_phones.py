"""Russian phone numbers in one canonical form."""

from __future__ import annotations

import pytest

from gorod.people.phones import normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["+7 916 123-45-67", "8 (916) 123-45-67", "79161234567", "9161234567", " +7(916)1234567 "],
)
def test_ways_of_writing_one_number_give_one_form(raw: str) -> None:
    assert normalize_phone(raw) == "+79161234567"


@pytest.mark.parametrize(
    "raw", ["", "12345", "+1 202 555 0100", "8-916-123-45-6x", "+7916123456789"]
)
def test_not_a_russian_number_gives_none(raw: str) -> None:
    assert normalize_phone(raw) is None
