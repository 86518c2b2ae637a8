"""Round files for the parser's and the command's tests: a good one, and one of each bad kind."""

from __future__ import annotations

import json
from typing import Any

import pytest


def good_round(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "programmes": [
            {"id": "k-1", "capacity": 1},
            {"id": "k-2", "capacity": 2},
            {"id": "k-3", "capacity": 0},
        ],
        "applicants": [
            {"id": "a-1", "choices": ["k-1", "k-2"], "priority": {"k-1": 0}},
            {"id": "a-2", "choices": ["k-1"]},
            {"id": "a-3", "choices": ["k-2", "k-1"], "priority": {"k-3": 1}},
            {"id": "a-4", "choices": ["k-3", "k-1", "k-2"]},
            {"id": "a-5", "choices": []},
        ],
        "tie_breaking": "single",
        "seed": 42,
    }
    document.update(changes)
    return document


GOOD_ROUND_ASSIGNMENTS = {"a-1": "k-1", "a-2": None, "a-3": "k-2", "a-4": "k-2", "a-5": None}
"""Whatever the lottery: a-1 has priority at k-1, k-2 has room for a-3 and a-4, k-3 none."""


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def _applicant(position: int, **fields: Any) -> dict[str, Any]:
    document = good_round()
    document["applicants"][position] = fields
    return document


def _programme(position: int, **fields: Any) -> dict[str, Any]:
    document = good_round()
    document["programmes"][position] = fields
    return document


BAD_ROUNDS = [
    pytest.param(
        b'{"programmes": [}', "line 1 column 17", "not valid JSON (Expecting value)", id="bad-json"
    ),
    pytest.param(b"\xff\xfe\xff", "input", "the file is not UTF-8 text", id="not-utf8"),
    pytest.param(encode([1, 2]), "round", "must be a JSON object", id="not-an-object"),
    pytest.param(
        b'{"programmes": [], "applicants": [], "seed": 1, "seed": 2}',
        "input",
        'a JSON object repeats the key "seed"',
        id="repeated-key",
    ),
    pytest.param(
        encode({**good_round(), "rounds": 1}), "round", 'unknown field "rounds"', id="unknown-field"
    ),
    pytest.param(
        encode({k: v for k, v in good_round().items() if k != "seed"}),
        "seed",
        "is missing",
        id="missing-seed",
    ),
    pytest.param(
        encode(good_round(seed=1.5)),
        "seed",
        "must be an integer from 0 to 9223372036854775807",
        id="non-integer-seed",
    ),
    pytest.param(
        encode(good_round(seed=-3)),
        "seed",
        "must be an integer from 0 to 9223372036854775807",
        id="negative-seed",
    ),
    pytest.param(
        encode(good_round(tie_breaking="double")),
        "tie_breaking",
        'must be "single" or "multiple", not "double"',
        id="unknown-tie-breaking",
    ),
    pytest.param(
        encode(good_round(programmes={})),
        "programmes",
        "must be a list",
        id="programmes-not-a-list",
    ),
    pytest.param(
        encode(_programme(1, id="k-1", capacity=3)),
        'programmes[1] ("k-1").id',
        "duplicate id, first used at programmes[0]",
        id="duplicate-programme",
    ),
    pytest.param(
        encode(_programme(2, id="k-3", capacity=-1)),
        'programmes[2] ("k-3").capacity',
        "must be an integer from 0 to 2147483647",
        id="negative-capacity",
    ),
    pytest.param(
        encode(_programme(2, id="k-3", capacity=2.5)),
        'programmes[2] ("k-3").capacity',
        "must be an integer from 0 to 2147483647",
        id="non-integer-capacity",
    ),
    pytest.param(
        encode(_programme(2, id="k-3", capacity=True)),
        'programmes[2] ("k-3").capacity',
        "must be an integer from 0 to 2147483647",
        id="boolean-capacity",
    ),
    pytest.param(
        encode(_programme(2, id="k-3")),
        'programmes[2] ("k-3").capacity',
        "is missing",
        id="missing-capacity",
    ),
    pytest.param(
        encode(_programme(0, capacity=3)),
        "programmes[0].id",
        "is missing",
        id="missing-programme-id",
    ),
    pytest.param(
        encode(_applicant(1, id="", choices=[])),
        "applicants[1].id",
        "must be a non-empty string",
        id="empty-applicant-id",
    ),
    pytest.param(
        encode(_applicant(3, id="a-1", choices=[])),
        'applicants[3] ("a-1").id',
        "duplicate id, first used at applicants[0]",
        id="duplicate-applicant",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3")),
        'applicants[2] ("a-3").choices',
        "is missing",
        id="missing-choices",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=[], priorities={})),
        'applicants[2] ("a-3")',
        'unknown field "priorities"',
        id="misspelt-field",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=["k-1", "k-2", "k-99"])),
        'applicants[2] ("a-3").choices[2]',
        'unknown programme "k-99"',
        id="unknown-choice",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=["k-1", 2])),
        'applicants[2] ("a-3").choices[1]',
        "must be a programme id (a string)",
        id="choice-not-a-string",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=["k-2", "k-1", "k-2"])),
        'applicants[2] ("a-3").choices[2]',
        'programme "k-2" is already listed at choices[0]',
        id="duplicate-choice",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=["k-1"], priority={"k-1": 0.5})),
        'applicants[2] ("a-3").priority["k-1"]',
        "must be an integer from 0 to 2147483646",
        id="non-integer-priority",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=["k-1"], priority={"k-1": False})),
        'applicants[2] ("a-3").priority["k-1"]',
        "must be an integer from 0 to 2147483646",
        id="boolean-priority",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=["k-1"], priority={"k-1": -1})),
        'applicants[2] ("a-3").priority["k-1"]',
        "must be an integer from 0 to 2147483646",
        id="negative-priority",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=["k-1"], priority={"k-9": 1})),
        'applicants[2] ("a-3").priority',
        'unknown programme "k-9"',
        id="priority-for-unknown-programme",
    ),
    pytest.param(
        encode(_applicant(2, id="a-3", choices=["k-1"], priority=[1])),
        'applicants[2] ("a-3").priority',
        "must be a JSON object",
        id="priority-not-an-object",
    ),
]
