"""Small markets for the mechanism's tests: plain lists, drawn by Hypothesis, and the
definitions the mechanism is checked against (stability, one-at-a-time deferred acceptance)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import strategies as st

from gorod.education.matching import NO_PRIORITY, UNASSIGNED, Instance, Outcome

Key = tuple[int, int]


@dataclass(frozen=True)
class Market:
    """Capacities, each applicant's ranked list, and each applicant's priority groups (which
    belong to the applicant, whatever they report)."""

    capacities: list[int]
    choices: list[list[int]]
    priority: list[dict[int, int]]

    def instance(self) -> Instance:
        lengths = [len(listed) for listed in self.choices]
        return Instance(
            capacities=np.array(self.capacities, dtype=np.int64),
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            choices=np.array([p for listed in self.choices for p in listed], dtype=np.int64),
            groups=np.array(
                [
                    self.priority[a].get(p, NO_PRIORITY)
                    for a, listed in enumerate(self.choices)
                    for p in listed
                ],
                dtype=np.int64,
            ),
        )

    def reporting(self, applicant: int, report: list[int]) -> Market:
        choices = [*self.choices]
        choices[applicant] = report
        return replace(self, choices=choices)


def market(
    capacities: list[int],
    choices: list[list[int]],
    priority: dict[int, dict[int, int]] | None = None,
) -> Market:
    priority = priority or {}
    return Market(capacities, choices, [priority.get(a, {}) for a in range(len(choices))])


@st.composite
def markets(
    draw: st.DrawFn,
    *,
    max_applicants: int = 8,
    max_programmes: int = 4,
    max_choices: int = 4,
    max_group: int = 2,
    min_capacity: int = 0,
    max_capacity: int = 3,
) -> Market:
    programmes = draw(st.integers(1, max_programmes))
    applicants = draw(st.integers(0, max_applicants))
    capacities = draw(
        st.lists(st.integers(min_capacity, max_capacity), min_size=programmes, max_size=programmes)
    )
    programme = st.integers(0, programmes - 1)
    choices = draw(
        st.lists(
            st.lists(programme, unique=True, max_size=min(max_choices, programmes)),
            min_size=applicants,
            max_size=applicants,
        )
    )
    priority = draw(
        st.lists(
            st.dictionaries(programme, st.integers(0, max_group)),
            min_size=applicants,
            max_size=applicants,
        )
    )
    return Market(capacities, choices, priority)


def keys(instance: Instance, outcome: Outcome) -> dict[tuple[int, int], Key]:
    """(applicant, programme) -> (priority group, lottery number): smaller is better."""
    applicant_of_choice = instance.applicant_of_choice()
    return {
        (int(applicant_of_choice[e]), int(instance.choices[e])): (
            int(outcome.choice_group[e]),
            int(outcome.choice_lottery[e]),
        )
        for e in range(instance.choices.size)
    }


def ranked(instance: Instance, applicant: int) -> list[int]:
    start, stop = instance.offsets[applicant], instance.offsets[applicant + 1]
    return [int(p) for p in instance.choices[start:stop]]


def prefers(instance: Instance, applicant: int, programme: int, than: int) -> bool:
    """Whether the applicant ranks ``programme`` above ``than`` (``UNASSIGNED`` is last)."""
    listed = ranked(instance, applicant)
    if programme not in listed:
        return False
    return than == UNASSIGNED or listed.index(programme) < listed.index(than)


def blocking_pairs(
    instance: Instance, assignment: list[int], key: dict[tuple[int, int], Key]
) -> list[tuple[int, int]]:
    """Pairs (a, p): a prefers p, and p has a free place or admitted someone with a worse key."""
    admitted: dict[int, list[int]] = {}
    for applicant, programme in enumerate(assignment):
        admitted.setdefault(programme, []).append(applicant)
    pairs = []
    for applicant in range(instance.n_applicants):
        for programme in ranked(instance, applicant):
            if not prefers(instance, applicant, programme, assignment[applicant]):
                continue
            others = admitted.get(programme, [])
            if len(others) < instance.capacities[programme] or any(
                key[other, programme] > key[applicant, programme] for other in others
            ):
                pairs.append((applicant, programme))
    return pairs


def sequential_deferred_acceptance(
    instance: Instance, key: dict[tuple[int, int], Key]
) -> list[int]:
    """Gale and Shapley, one proposal at a time: the definition the arrays must agree with."""
    next_choice = [0] * instance.n_applicants
    held: dict[int, list[int]] = {}
    free = list(range(instance.n_applicants))
    while free:
        applicant = free.pop()
        listed = ranked(instance, applicant)
        if next_choice[applicant] >= len(listed):
            continue
        programme = listed[next_choice[applicant]]
        next_choice[applicant] += 1
        holding = sorted([*held.get(programme, []), applicant], key=lambda a: key[a, programme])
        capacity = int(instance.capacities[programme])
        held[programme] = holding[:capacity]
        free.extend(holding[capacity:])
    assignment = [UNASSIGNED] * instance.n_applicants
    for programme, applicants in held.items():
        for applicant in applicants:
            assignment[applicant] = programme
    return assignment


def all_matchings(instance: Instance) -> Iterator[list[int]]:
    """Every assignment of applicants to one of their choices or none, within capacities."""
    options = [[*ranked(instance, a), UNASSIGNED] for a in range(instance.n_applicants)]
    for assignment in itertools.product(*options):
        counts = np.bincount(
            [p for p in assignment if p != UNASSIGNED], minlength=instance.n_programmes
        )
        if np.all(counts <= instance.capacities):
            yield list(assignment)


def reports(programmes: int, longest: int) -> Iterator[list[int]]:
    """Every ranked list of up to ``longest`` distinct programmes, the empty one included."""
    for length in range(min(longest, programmes) + 1):
        for report in itertools.permutations(range(programmes), length):
            yield list(report)
