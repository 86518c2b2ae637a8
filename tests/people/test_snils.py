"""SNILS: the format, the official check-sum and the synthetic numbers the demo uses."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gorod.people import snils


def test_known_valid_number_passes() -> None:
    assert snils.problem("112-233-445 95") is None


def test_digits_without_separators_pass() -> None:
    assert snils.is_valid("11223344595")


def test_wrong_control_number_is_a_checksum_problem() -> None:
    assert snils.problem("112-233-445 96") == "checksum"


def test_sum_below_100_is_the_control_number() -> None:
    assert snils.checksum("004261353") == 96


@pytest.mark.parametrize("body", ["206130059", "100356259"], ids=["sum-100", "sum-101"])
def test_sums_100_and_101_give_00(body: str) -> None:
    assert snils.checksum(body) == 0
    assert snils.is_valid(body + "00")


def test_remainder_100_gives_00() -> None:
    assert snils.checksum("544544369") == 0  # 201 % 101 == 100


@pytest.mark.parametrize("number", ["001-001-998 00", "001-001-998 77", "000-000-001 13"])
def test_numbers_up_to_001_001_998_carry_no_checksum(number: str) -> None:
    assert snils.problem(number) is None


@pytest.mark.parametrize(
    "number", ["", "1234", "112-233-445 9", "112-233-445 955", "abc-def-ghi jk"]
)
def test_wrong_format_is_a_format_problem(number: str) -> None:
    assert snils.problem(number) == "format"


def test_a_digit_three_times_in_a_row_is_refused() -> None:
    assert snils.problem("111-223-344 00") == "repeated"


def test_format_puts_the_dashes_back() -> None:
    assert snils.format_snils("11223344595") == "112-233-445 95"


@given(st.integers(min_value=0, max_value=2**32))
def test_generated_numbers_are_always_valid(seed: int) -> None:
    assert snils.is_valid(snils.generate(random.Random(seed)))


@given(st.integers(min_value=0, max_value=2**32))
def test_formatting_keeps_a_number_valid(seed: int) -> None:
    number = snils.generate(random.Random(seed))
    assert snils.normalize(snils.format_snils(number)) == number
