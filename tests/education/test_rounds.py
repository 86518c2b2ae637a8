"""Round files: parsing into arrays, refusing bad entries, and the result document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gorod.education.matching import NO_PRIORITY, TieBreaking
from gorod.education.rounds import RoundError, match_round, parse_round, write_result
from tests.education.round_files import BAD_ROUNDS, GOOD_ROUND_ASSIGNMENTS, encode, good_round


def test_a_round_becomes_arrays_in_file_order() -> None:
    round_ = parse_round(encode(good_round()))
    instance = round_.instance
    assert round_.programme_ids == ["k-1", "k-2", "k-3"]
    assert round_.applicant_ids == ["a-1", "a-2", "a-3", "a-4", "a-5"]
    assert instance.capacities.tolist() == [1, 2, 0]
    assert instance.offsets.tolist() == [0, 2, 3, 5, 8, 8]
    assert instance.choices.tolist() == [0, 1, 0, 1, 0, 2, 0, 1]
    no = NO_PRIORITY
    assert instance.groups.tolist() == [0, no, no, no, no, no, no, no]
    assert (round_.tie_breaking, round_.seed) == (TieBreaking.SINGLE, 42)


def test_tie_breaking_is_single_unless_the_file_says_otherwise() -> None:
    document = {k: v for k, v in good_round().items() if k != "tie_breaking"}
    assert parse_round(encode(document)).tie_breaking is TieBreaking.SINGLE
    assert parse_round(encode(good_round(tie_breaking="multiple"))).tie_breaking is (
        TieBreaking.MULTIPLE
    )


@pytest.mark.parametrize(("data", "location", "message"), BAD_ROUNDS)
def test_a_bad_round_is_refused_naming_the_entry(data: bytes, location: str, message: str) -> None:
    with pytest.raises(RoundError) as refused:
        parse_round(data)
    assert (refused.value.location, str(refused.value)) == (location, f"{location}: {message}")


def test_the_result_gives_assignments_cutoffs_and_lottery_numbers() -> None:
    _outcome, result = match_round(parse_round(encode(good_round())))
    lottery = result["lottery"]
    assert result["assignments"] == GOOD_ROUND_ASSIGNMENTS
    assert result["cutoffs"] == {
        "k-1": {"group": 0, "lottery": lottery["a-1"]},
        "k-2": {"group": 0, "lottery": max(lottery["a-3"], lottery["a-4"])},
        "k-3": None,
    }
    assert sorted(lottery.values()) == [1, 2, 3, 4, 5]
    assert (result["seed"], result["tie_breaking"], result["unassigned"]) == (42, "single", 2)
    assert result["input_sha256"] == parse_round(encode(good_round())).input_sha256()


def test_multiple_tie_breaking_gives_a_number_per_listed_programme() -> None:
    _outcome, result = match_round(parse_round(encode(good_round(tie_breaking="multiple"))))
    lottery = result["lottery"]
    assert {applicant: set(numbers) for applicant, numbers in lottery.items()} == {
        "a-1": {"k-1", "k-2"},
        "a-2": {"k-1"},
        "a-3": {"k-2", "k-1"},
        "a-4": {"k-3", "k-1", "k-2"},
        "a-5": set(),
    }
    at_k1 = sorted(numbers["k-1"] for numbers in lottery.values() if "k-1" in numbers)
    assert at_k1 == [1, 2, 3, 4]


def test_the_input_hash_ignores_formatting_but_not_content() -> None:
    compact = parse_round(encode(good_round()))
    indented = parse_round(json.dumps(good_round(), indent=4))
    reseeded = parse_round(encode(good_round(seed=43)))
    assert compact.input_sha256() == indented.input_sha256() != reseeded.input_sha256()


def test_writing_a_result_leaves_the_file_complete(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    write_result(target, {"unassigned": 0})
    assert json.loads(target.read_text()) == {"unassigned": 0}
    assert [path.name for path in tmp_path.iterdir()] == ["result.json"]


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_result(tmp_path / "result.json", {"unassigned": object()})
    assert list(tmp_path.iterdir()) == []
