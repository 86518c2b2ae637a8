"""Round files: JSON in, arrays for the mechanism, JSON out (docs/round-format.md).

Pure: no Django. A bad file raises ``RoundError`` naming the entry at fault, e.g.
``applicants[17] ("a-17").choices[2]`` with ``unknown programme "k-99"``; its message template
is marked for translation and filled in where it is shown.
"""

from __future__ import annotations

import json
import os
import secrets
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from gorod.education.matching import (
    MAX_GROUP,
    NO_PRIORITY,
    Instance,
    Ints,
    Outcome,
    TieBreaking,
    assign,
    input_sha256,
)

MAX_CAPACITY = 2**31 - 1
MAX_SEED = 2**63 - 1
ROUND_FIELDS = frozenset({"programmes", "applicants", "tie_breaking", "seed"})
PROGRAMME_FIELDS = frozenset({"id", "capacity"})
APPLICANT_FIELDS = frozenset({"id", "choices", "priority"})
APPLICANT_REQUIRED = frozenset({"id", "choices"})


def gettext_noop(message: str) -> str:
    """Mark a message for the translation catalogue; it is translated where it is shown."""
    return message


NOT_UTF8 = gettext_noop("the file is not UTF-8 text")
INVALID_JSON = gettext_noop("not valid JSON (%(detail)s)")
DUPLICATE_KEY = gettext_noop('a JSON object repeats the key "%(key)s"')
NOT_AN_OBJECT = gettext_noop("must be a JSON object")
NOT_A_LIST = gettext_noop("must be a list")
MISSING = gettext_noop("is missing")
UNKNOWN_FIELD = gettext_noop('unknown field "%(field)s"')
NOT_AN_ID = gettext_noop("must be a non-empty string")
DUPLICATE_ID = gettext_noop("duplicate id, first used at %(first)s")
NOT_IN_RANGE = gettext_noop("must be an integer from %(low)d to %(high)d")
UNKNOWN_PROGRAMME = gettext_noop('unknown programme "%(programme)s"')
NOT_A_PROGRAMME_ID = gettext_noop("must be a programme id (a string)")
DUPLICATE_CHOICE = gettext_noop('programme "%(programme)s" is already listed at choices[%(first)d]')
UNKNOWN_TIE_BREAKING = gettext_noop('must be "single" or "multiple", not %(value)s')


class RoundError(ValueError):
    """A round file refused: ``location`` names the entry, ``template % params`` says why."""

    def __init__(self, location: str, template: str, **params: object) -> None:
        self.location = location
        self.template = template
        self.params = params
        super().__init__(f"{location}: {template % params}")


@dataclass(frozen=True)
class Round:
    """A parsed round: the ids give the order of the instance's programmes and applicants."""

    programme_ids: list[str]
    applicant_ids: list[str]
    instance: Instance
    tie_breaking: TieBreaking
    seed: int

    def input_sha256(self) -> str:
        return input_sha256(
            self.instance,
            programme_ids=self.programme_ids,
            applicant_ids=self.applicant_ids,
            tie_breaking=self.tie_breaking,
            seed=self.seed,
        )


class _RepeatedKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def parse_round(data: str | bytes) -> Round:
    """Parse and check a round file; raise ``RoundError`` on the first bad entry."""
    document = _load(data)
    _check_object(document, "round", ROUND_FIELDS)
    for field in ("programmes", "applicants", "seed"):
        if field not in document:
            raise RoundError(field, MISSING)
    seed = _integer(document["seed"], "seed", MAX_SEED)
    tie_breaking = _tie_breaking(document.get("tie_breaking", TieBreaking.SINGLE.value))
    programme_ids, capacities = _programmes(document["programmes"])
    index = {identifier: position for position, identifier in enumerate(programme_ids)}
    applicant_ids, offsets, choices, groups = _applicants(document["applicants"], index)
    instance = Instance(
        capacities=capacities,
        offsets=offsets,
        choices=choices,
        groups=groups,
    )
    return Round(programme_ids, applicant_ids, instance, tie_breaking, seed)


def match_round(round_: Round) -> tuple[Outcome, dict[str, Any]]:
    """Run the round; return the outcome and the result document."""
    outcome = assign(round_.instance, tie_breaking=round_.tie_breaking, seed=round_.seed)
    return outcome, result_document(round_, outcome)


def result_document(round_: Round, outcome: Outcome) -> dict[str, Any]:
    """The result as docs/round-format.md describes it."""
    names: list[str | None] = [*round_.programme_ids, None]  # index -1 (unassigned) is None
    assignments = dict(
        zip(round_.applicant_ids, [names[p] for p in outcome.assignment.tolist()], strict=True)
    )
    cutoffs = {
        programme: None if group < 0 else {"group": group, "lottery": lottery}
        for programme, group, lottery in zip(
            round_.programme_ids,
            outcome.cutoff_group.tolist(),
            outcome.cutoff_lottery.tolist(),
            strict=True,
        )
    }
    return {
        "input_sha256": round_.input_sha256(),
        "seed": round_.seed,
        "tie_breaking": round_.tie_breaking.value,
        "assignments": assignments,
        "cutoffs": cutoffs,
        "lottery": _lottery_document(round_, outcome),
        "unassigned": outcome.unassigned,
    }


def write_result(path: Path, document: Mapping[str, Any]) -> None:
    """Write the result beside ``path`` and move it in place, so no partial file is left;
    the file gets the usual permissions (0666 less the umask)."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False)
            handle.write("\n")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _lottery_document(round_: Round, outcome: Outcome) -> dict[str, Any]:
    if outcome.applicant_lottery is not None:
        return dict(zip(round_.applicant_ids, outcome.applicant_lottery.tolist(), strict=True))
    names = round_.programme_ids
    offsets = round_.instance.offsets.tolist()
    choices = round_.instance.choices.tolist()
    numbers = outcome.choice_lottery.tolist()
    return {
        applicant: {
            names[choices[entry]]: numbers[entry]
            for entry in range(offsets[position], offsets[position + 1])
        }
        for position, applicant in enumerate(round_.applicant_ids)
    }


def _load(data: str | bytes) -> Any:
    try:
        return json.loads(data, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError as exc:
        raise RoundError("input", NOT_UTF8) from exc
    except json.JSONDecodeError as exc:
        raise RoundError(
            f"line {exc.lineno} column {exc.colno}", INVALID_JSON, detail=exc.msg
        ) from exc
    except _RepeatedKeyError as exc:
        raise RoundError("input", DUPLICATE_KEY, key=exc.key) from exc
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise RoundError("input", INVALID_JSON, detail=str(exc)) from exc


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _RepeatedKeyError(key)
            seen.add(key)
    return result


def _check_object(value: Any, location: str, fields: frozenset[str]) -> None:
    if type(value) is not dict:
        raise RoundError(location, NOT_AN_OBJECT)
    if unknown := value.keys() - fields:
        raise RoundError(location, UNKNOWN_FIELD, field=min(unknown))


def _integer(value: Any, location: str, high: int) -> int:
    if type(value) is not int or not 0 <= value <= high:
        raise RoundError(location, NOT_IN_RANGE, low=0, high=high)
    return value


def _tie_breaking(value: Any) -> TieBreaking:
    if type(value) is not str or value not in {rule.value for rule in TieBreaking}:
        raise RoundError(
            "tie_breaking", UNKNOWN_TIE_BREAKING, value=json.dumps(value, ensure_ascii=False)
        )
    return TieBreaking(value)


def _where(kind: str, position: int, entry: dict[str, Any]) -> str:
    """``applicants[17] ("a-17")``, or ``applicants[17]`` while the id is not known good."""
    identifier = entry.get("id")
    if type(identifier) is str and identifier:
        return f"{kind}[{position}] ({json.dumps(identifier, ensure_ascii=False)})"
    return f"{kind}[{position}]"


def _entries(
    value: Any, kind: str, fields: frozenset[str], required: frozenset[str]
) -> list[dict[str, Any]]:
    """Check the list and each entry's shape: an object with known fields and a unique id."""
    if type(value) is not list:
        raise RoundError(kind, NOT_A_LIST)
    first: dict[str, int] = {}
    for position, entry in enumerate(value):
        if type(entry) is not dict or entry.keys() - fields or not entry.keys() >= required:
            _refuse_entry(kind, position, entry, fields, required)
        identifier = entry["id"]
        if type(identifier) is not str or not identifier:
            raise RoundError(f"{kind}[{position}].id", NOT_AN_ID)
        if first.setdefault(identifier, position) != position:
            raise RoundError(
                f"{_where(kind, position, entry)}.id",
                DUPLICATE_ID,
                first=f"{kind}[{first[identifier]}]",
            )
    return value


def _refuse_entry(
    kind: str, position: int, entry: Any, fields: frozenset[str], required: frozenset[str]
) -> NoReturn:
    if type(entry) is not dict:
        raise RoundError(f"{kind}[{position}]", NOT_AN_OBJECT)
    where = _where(kind, position, entry)
    if unknown := entry.keys() - fields:
        raise RoundError(where, UNKNOWN_FIELD, field=min(unknown))
    missing = min(required - entry.keys(), key=lambda field: (field != "id", field))
    raise RoundError(f"{where}.{missing}", MISSING)


def _programmes(value: Any) -> tuple[list[str], Ints]:
    programmes = _entries(value, "programmes", PROGRAMME_FIELDS, PROGRAMME_FIELDS)
    capacities = [entry["capacity"] for entry in programmes]
    for position, capacity in enumerate(capacities):
        if type(capacity) is not int or not 0 <= capacity <= MAX_CAPACITY:
            location = f"{_where('programmes', position, programmes[position])}.capacity"
            raise RoundError(location, NOT_IN_RANGE, low=0, high=MAX_CAPACITY)
    return [entry["id"] for entry in programmes], np.array(capacities, dtype=np.int64)


def _applicants(value: Any, index: dict[str, int]) -> tuple[list[str], Ints, Ints, Ints]:
    applicants = _entries(value, "applicants", APPLICANT_FIELDS, APPLICANT_REQUIRED)
    lengths = array("q", [0])
    choices = array("q")
    groups = array("q")
    for position, entry in enumerate(applicants):
        listed = entry["choices"]
        if type(listed) is not list:
            raise RoundError(f"{_where('applicants', position, entry)}.choices", NOT_A_LIST)
        try:
            indices = list(map(index.__getitem__, listed))
            distinct = len(set(indices)) == len(indices)
        except (KeyError, TypeError):
            distinct = False
        if not distinct:
            indices = _choice_indices(position, entry, index)
        priority = entry.get("priority", {})
        if type(priority) is not dict:
            raise RoundError(f"{_where('applicants', position, entry)}.priority", NOT_AN_OBJECT)
        if priority:
            _check_priority(position, entry, index)
            groups.extend(map(priority.get, listed, repeat(NO_PRIORITY, len(listed))))
        else:
            groups.extend([NO_PRIORITY] * len(indices))
        choices.extend(indices)
        lengths.append(len(indices))
    offsets = np.cumsum(np.frombuffer(lengths, dtype=np.int64))
    return (
        [entry["id"] for entry in applicants],
        offsets,
        np.frombuffer(choices, dtype=np.int64),
        np.frombuffer(groups, dtype=np.int64),
    )


def _choice_indices(position: int, entry: dict[str, Any], index: dict[str, int]) -> list[int]:
    """Check the choices one by one (when the fast path failed), naming the first bad one."""
    where = f"{_where('applicants', position, entry)}.choices"
    first: dict[str, int] = {}
    for rank, programme in enumerate(entry["choices"]):
        if type(programme) is not str:
            raise RoundError(f"{where}[{rank}]", NOT_A_PROGRAMME_ID)
        if programme not in index:
            raise RoundError(f"{where}[{rank}]", UNKNOWN_PROGRAMME, programme=programme)
        if first.setdefault(programme, rank) != rank:
            raise RoundError(
                f"{where}[{rank}]", DUPLICATE_CHOICE, programme=programme, first=first[programme]
            )
    return [index[programme] for programme in first]


def _check_priority(position: int, entry: dict[str, Any], index: dict[str, int]) -> None:
    for programme, group in entry["priority"].items():
        if programme in index and type(group) is int and 0 <= group <= MAX_GROUP:
            continue
        where = f"{_where('applicants', position, entry)}.priority"
        if programme not in index:
            raise RoundError(where, UNKNOWN_PROGRAMME, programme=programme)
        location = f"{where}[{json.dumps(programme, ensure_ascii=False)}]"
        raise RoundError(location, NOT_IN_RANGE, low=0, high=MAX_GROUP)
