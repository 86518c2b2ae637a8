"""The mechanism: student-proposing deferred acceptance with lottery tie-breaking."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching.games import HospitalResident  # type: ignore[import-untyped]

from gorod.education.bench import generate
from gorod.education.matching import (
    MAX_GROUP,
    UNASSIGNED,
    Instance,
    Reason,
    Rejection,
    TieBreaking,
    assign,
    explain,
    input_sha256,
)
from tests.education.markets import (
    Market,
    all_matchings,
    blocking_pairs,
    keys,
    market,
    markets,
    prefers,
    ranked,
    reports,
    sequential_deferred_acceptance,
)

SINGLE, MULTIPLE = TieBreaking.SINGLE, TieBreaking.MULTIPLE
tie_breakings = st.sampled_from(list(TieBreaking))
seeds = st.integers(0, 2**32)


@given(markets(), tie_breakings, seeds)
@settings(deadline=None)
def test_assignment_is_one_of_the_applicants_choices_within_capacity(
    m: Market, tie_breaking: TieBreaking, seed: int
) -> None:
    instance = m.instance()
    outcome = assign(instance, tie_breaking=tie_breaking, seed=seed)
    for applicant, programme in enumerate(outcome.assignment.tolist()):
        assert programme == UNASSIGNED or programme in m.choices[applicant]
    admitted = np.bincount(
        outcome.assignment[outcome.assignment >= 0], minlength=instance.n_programmes
    )
    assert np.all(admitted <= instance.capacities)


@given(markets(max_applicants=12, max_programmes=5), tie_breakings, seeds)
@settings(deadline=None, max_examples=300)
def test_no_applicant_and_programme_would_both_rather_be_matched(
    m: Market, tie_breaking: TieBreaking, seed: int
) -> None:
    instance = m.instance()
    outcome = assign(instance, tie_breaking=tie_breaking, seed=seed)
    assert blocking_pairs(instance, outcome.assignment.tolist(), keys(instance, outcome)) == []


@given(markets(max_applicants=12, max_programmes=5, min_capacity=1), tie_breakings, seeds)
@settings(deadline=None, max_examples=200)
def test_equals_the_matching_packages_resident_optimal_matching(
    m: Market, tie_breaking: TieBreaking, seed: int
) -> None:
    instance = m.instance()
    outcome = assign(instance, tie_breaking=tie_breaking, seed=seed)
    key = keys(instance, outcome)
    residents = {a: listed for a, listed in enumerate(m.choices) if listed}
    hospitals: dict[int, list[int]] = {}
    for a, p in sorted(key, key=lambda pair: (pair[1], key[pair])):
        hospitals.setdefault(p, []).append(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns about players nobody ranks
        game = HospitalResident.create_from_dictionaries(
            residents, hospitals, {p: m.capacities[p] for p in hospitals}
        )
        solution = game.solve(optimal="resident")
    expected = [UNASSIGNED] * instance.n_applicants
    for hospital, admitted in solution.items():
        for resident in admitted:
            expected[resident.name] = hospital.name
    assert outcome.assignment.tolist() == expected


@given(
    markets(max_applicants=5, max_programmes=3, max_choices=3, max_capacity=2),
    tie_breakings,
    seeds,
)
@settings(deadline=None, max_examples=150)
def test_every_applicant_likes_it_at_least_as_much_as_any_stable_matching(
    m: Market, tie_breaking: TieBreaking, seed: int
) -> None:
    instance = m.instance()
    outcome = assign(instance, tie_breaking=tie_breaking, seed=seed)
    key = keys(instance, outcome)
    ours = outcome.assignment.tolist()
    stable = [
        matching
        for matching in all_matchings(instance)
        if not blocking_pairs(instance, matching, key)
    ]
    assert ours in stable
    for matching in stable:
        for applicant in range(instance.n_applicants):
            assert not prefers(instance, applicant, matching[applicant], ours[applicant])


@given(markets(max_applicants=4, max_programmes=3, max_choices=3, max_capacity=2), seeds)
@settings(deadline=None, max_examples=80)
def test_no_applicant_gets_a_better_place_by_misreporting(m: Market, seed: int) -> None:
    """Exhaustive over every list of up to 3 programmes. With single tie-breaking the lottery
    does not depend on the reports, so priorities are the same whatever anyone lists."""
    truthful = assign(m.instance(), tie_breaking=SINGLE, seed=seed).assignment.tolist()
    for applicant, true_list in enumerate(m.choices):
        truthful_rank = _rank(true_list, truthful[applicant])
        for report in reports(len(m.capacities), 3):
            lying = assign(
                m.reporting(applicant, report).instance(), tie_breaking=SINGLE, seed=seed
            )
            assert _rank(true_list, int(lying.assignment[applicant])) >= truthful_rank


def _rank(true_list: list[int], programme: int) -> int:
    """Position in the true list; anything unlisted (or nothing) is worse than every choice."""
    return true_list.index(programme) if programme in true_list else len(true_list)


@pytest.mark.parametrize("tie_breaking", list(TieBreaking))
def test_a_city_sized_sample_equals_one_at_a_time_deferred_acceptance(
    tie_breaking: TieBreaking,
) -> None:
    instance = generate(3000, 150, 6, seed=5)
    outcome = assign(instance, tie_breaking=tie_breaking, seed=11)
    expected = sequential_deferred_acceptance(instance, keys(instance, outcome))
    assert outcome.assignment.tolist() == expected


def test_huge_priority_groups_still_order_applicants_correctly() -> None:
    """200,000 programmes x 2^31 groups x 20,000 lottery numbers do not fit in one int64 key;
    the applicants compete for the first 100 programmes."""
    rng = np.random.default_rng(4)
    applicants, listed = 20_000, 3
    choices = np.argsort(rng.random((applicants, 100)), axis=1)[:, :listed].ravel()
    instance = Instance(
        capacities=np.ones(200_000, dtype=np.int64),
        offsets=np.arange(0, applicants * listed + 1, listed, dtype=np.int64),
        choices=choices.astype(np.int64),
        groups=rng.integers(0, MAX_GROUP + 1, choices.size),
    )
    outcome = assign(instance, tie_breaking=SINGLE, seed=1)
    assert outcome.assignment.tolist() == sequential_deferred_acceptance(
        instance, keys(instance, outcome)
    )


@pytest.mark.parametrize("tie_breaking", list(TieBreaking))
def test_the_same_seed_gives_the_same_outcome(tie_breaking: TieBreaking) -> None:
    instance = generate(400, 20, 5, seed=1)
    first = assign(instance, tie_breaking=tie_breaking, seed=77)
    again = assign(instance, tie_breaking=tie_breaking, seed=77)
    assert np.array_equal(first.assignment, again.assignment)
    assert np.array_equal(first.choice_lottery, again.choice_lottery)
    assert np.array_equal(first.cutoff_lottery, again.cutoff_lottery)


@pytest.mark.parametrize("tie_breaking", list(TieBreaking))
def test_another_seed_draws_another_lottery(tie_breaking: TieBreaking) -> None:
    instance = generate(400, 20, 5, seed=1)
    first = assign(instance, tie_breaking=tie_breaking, seed=77)
    other = assign(instance, tie_breaking=tie_breaking, seed=78)
    assert not np.array_equal(first.choice_lottery, other.choice_lottery)


def test_single_tie_breaking_gives_an_applicant_one_number_at_every_programme() -> None:
    instance = generate(300, 15, 5, seed=2)
    outcome = assign(instance, tie_breaking=SINGLE, seed=3)
    assert outcome.applicant_lottery is not None
    assert sorted(outcome.applicant_lottery.tolist()) == list(range(1, 301))
    assert np.array_equal(
        outcome.choice_lottery, outcome.applicant_lottery[instance.applicant_of_choice()]
    )


def test_multiple_tie_breaking_numbers_each_programmes_applicants_from_one() -> None:
    instance = generate(300, 15, 5, seed=2)
    outcome = assign(instance, tie_breaking=MULTIPLE, seed=3)
    assert outcome.applicant_lottery is None
    for programme in range(instance.n_programmes):
        numbers = outcome.choice_lottery[instance.choices == programme]
        assert sorted(numbers.tolist()) == list(range(1, numbers.size + 1))


def test_multiple_tie_breaking_draws_an_applicant_different_ranks_at_different_programmes() -> None:
    """Two programmes listed by everyone: a shared ranking would order both the same way."""
    everyone = [[0, 1]] * 50
    outcome = assign(market([50, 50], everyone).instance(), tie_breaking=MULTIPLE, seed=9)
    at_first, at_second = outcome.choice_lottery[0::2], outcome.choice_lottery[1::2]
    assert not np.array_equal(at_first, at_second)


def test_single_tie_breaking_without_priorities_lets_applicants_choose_in_lottery_order() -> None:
    """Random serial dictatorship: number 1 gets their first choice, then number 2, and so on."""
    instance = generate(200, 10, 4, seed=8)
    instance = Instance(
        instance.capacities, instance.offsets, instance.choices, np.full_like(instance.groups, -1)
    )
    outcome = assign(instance, tie_breaking=SINGLE, seed=4)
    assert outcome.applicant_lottery is not None
    seats = instance.capacities.copy()
    expected = [UNASSIGNED] * instance.n_applicants
    for applicant in np.argsort(outcome.applicant_lottery).tolist():
        for programme in ranked(instance, applicant):
            if seats[programme]:
                seats[programme] -= 1
                expected[applicant] = programme
                break
    assert outcome.assignment.tolist() == expected


@pytest.mark.parametrize("seed", range(20))
def test_a_better_priority_group_wins_whatever_the_lottery(seed: int) -> None:
    m = market([1], [[0], [0], [0]], priority={2: {0: 0}})
    assert assign(m.instance(), tie_breaking=SINGLE, seed=seed).assignment.tolist() == [-1, -1, 0]


def test_a_choice_without_a_priority_entry_is_in_the_programmes_last_group() -> None:
    m = market([1, 1], [[0], [0], [1]], priority={0: {0: 3}})
    outcome = assign(m.instance(), tie_breaking=SINGLE, seed=0)
    assert outcome.choice_group.tolist() == [3, 4, 0]
    assert outcome.assignment.tolist() == [0, -1, 1]


def test_a_full_programmes_cutoff_is_its_last_admitted_applicant() -> None:
    m = market([2], [[0], [0], [0], [0]], priority={1: {0: 0}})
    outcome = assign(m.instance(), tie_breaking=SINGLE, seed=5)
    assert outcome.applicant_lottery is not None
    admitted = [a for a in range(4) if outcome.assignment[a] == 0]
    lottery = outcome.applicant_lottery
    last = max(admitted, key=lambda a: (outcome.choice_group[a], lottery[a]))
    assert outcome.cutoff_group[0] == outcome.choice_group[last] == 1
    assert outcome.cutoff_lottery[0] == lottery[last]


def test_a_programme_with_free_places_has_no_cutoff() -> None:
    outcome = assign(market([3, 0], [[0], [0, 1]]).instance(), tie_breaking=SINGLE, seed=5)
    assert outcome.cutoff_group.tolist() == [-1, -1]
    assert outcome.cutoff_lottery.tolist() == [-1, -1]


def test_explain_names_a_higher_priority_group_with_the_cutoff() -> None:
    m = market([1, 5], [[0, 1], [0]], priority={1: {0: 0}})
    instance = m.instance()
    outcome = assign(instance, tie_breaking=SINGLE, seed=2)
    lottery = outcome.choice_lottery
    assert explain(instance, outcome, 0) == [
        Rejection(0, Reason.HIGHER_GROUP, 1, int(lottery[0]), 0, int(lottery[2]))
    ]


def test_explain_names_the_lottery_cutoff_within_the_same_group() -> None:
    instance = market([1, 5], [[0, 1], [0, 1]]).instance()
    outcome = assign(instance, tie_breaking=SINGLE, seed=2)
    loser = int(np.flatnonzero(outcome.assignment == 1)[0])
    assert outcome.applicant_lottery is not None
    winner_number = int(outcome.applicant_lottery[1 - loser])
    [rejection] = explain(instance, outcome, loser)
    assert rejection.reason is Reason.LOTTERY
    assert (rejection.cutoff_group, rejection.cutoff_lottery) == (0, winner_number)
    assert rejection.lottery > winner_number


def test_explain_names_a_programme_without_places() -> None:
    instance = market([0, 1], [[0, 1]]).instance()
    outcome = assign(instance, tie_breaking=SINGLE, seed=2)
    assert explain(instance, outcome, 0) == [Rejection(0, Reason.NO_PLACES, 0, 1, None, None)]


def test_explain_has_nothing_to_say_about_a_first_choice() -> None:
    instance = market([1], [[0]]).instance()
    outcome = assign(instance, tie_breaking=SINGLE, seed=2)
    assert explain(instance, outcome, 0) == []


@given(markets(max_applicants=10), tie_breakings, seeds)
@settings(deadline=None)
def test_explain_covers_every_better_choice_with_a_true_reason(
    m: Market, tie_breaking: TieBreaking, seed: int
) -> None:
    instance = m.instance()
    outcome = assign(instance, tie_breaking=tie_breaking, seed=seed)
    for applicant in range(instance.n_applicants):
        rejections = explain(instance, outcome, applicant)
        listed = ranked(instance, applicant)
        assigned = int(outcome.assignment[applicant])
        better = listed[: listed.index(assigned)] if assigned != UNASSIGNED else listed
        assert [r.programme for r in rejections] == better
        for r in rejections:
            if r.reason is Reason.NO_PLACES:
                assert m.capacities[r.programme] == 0
            elif r.reason is Reason.HIGHER_GROUP:
                assert r.cutoff_group is not None
                assert r.group > r.cutoff_group
            else:
                assert r.cutoff_lottery is not None
                assert r.group == r.cutoff_group
                assert r.lottery > r.cutoff_lottery


def test_input_hash_follows_the_documented_encoding() -> None:
    instance = market([2, 1], [[1, 0], []], priority={0: {0: 4}}).instance()
    digest = hashlib.sha256(b"gorod.education.round/1\n")
    digest.update(b"multiple\n42\n")
    for ids in (["k-1", "школа-2"], ["a-1", "a-2"]):
        encoded = [i.encode() for i in ids]
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(b"".join(len(e).to_bytes(8, "little") for e in encoded))
        digest.update(b"".join(encoded))
    for values in ([2, 1], [0, 2, 2], [1, 0], [-1, 4]):
        digest.update(b"".join(v.to_bytes(8, "little", signed=True) for v in values))
    assert (
        input_sha256(
            instance,
            programme_ids=["k-1", "школа-2"],
            applicant_ids=["a-1", "a-2"],
            tie_breaking=MULTIPLE,
            seed=42,
        )
        == digest.hexdigest()
    )


@pytest.mark.parametrize(
    "change",
    [
        {"seed": 43},
        {"tie_breaking": SINGLE},
        {"programme_ids": ["k-1", "k-3"]},
        {"applicant_ids": ["a-2", "a-1"]},
        {"instance": market([2, 2], [[1, 0], []], priority={0: {0: 4}}).instance()},
        {"instance": market([2, 1], [[0, 1], []], priority={0: {0: 4}}).instance()},
        {"instance": market([2, 1], [[1, 0], []], priority={0: {0: 3}}).instance()},
    ],
)
def test_input_hash_changes_with_any_input(change: dict[str, object]) -> None:
    arguments: dict[str, object] = {
        "instance": market([2, 1], [[1, 0], []], priority={0: {0: 4}}).instance(),
        "programme_ids": ["k-1", "k-2"],
        "applicant_ids": ["a-1", "a-2"],
        "tie_breaking": MULTIPLE,
        "seed": 42,
    }
    changed = {**arguments, **change}
    assert input_sha256(**changed) != input_sha256(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"offsets": [1, 1]}, "offsets must start at 0"),
        ({"offsets": [0, 2]}, "offsets must be non-decreasing"),
        ({"groups": [0, 0]}, "one group per choice"),
        ({"capacities": [-1]}, "capacities must be non-negative"),
        ({"choices": [1]}, "choices must name programmes"),
        ({"groups": [-2]}, "groups must be from 0"),
    ],
)
def test_an_inconsistent_instance_is_refused(arrays: dict[str, list[int]], message: str) -> None:
    fields = {"capacities": [1], "offsets": [0, 1], "choices": [0], "groups": [0]} | arrays
    with pytest.raises(ValueError, match=message):
        Instance(**{name: np.array(values, dtype=np.int64) for name, values in fields.items()})
