"""Student-proposing deferred acceptance with lottery tie-breaking, on arrays.

A round: applicants rank programmes; each programme orders the applicants who list it by
priority group (lower is better; without an entry an applicant is in the programme's last
group) and then by a seeded lottery. Single tie-breaking gives each applicant one number used
by every programme; multiple tie-breaking gives a number per applicant per programme.

The result is the applicant-optimal stable matching (Gale and Shapley), which makes telling the
truth a dominant strategy for families (Dubins and Freedman; Roth). It does not depend on the
order of proposals, so all unassigned applicants propose at once, round after round: each
programme keeps its best ``capacity`` among those it holds and the new proposers, sorting one
int64 per proposal that packs (programme, priority group, lottery position).

Pure NumPy, no Django: tested and benchmarked alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]

NO_PRIORITY = -1
"""The group of a choice without a priority entry: the programme's last group."""
MAX_GROUP = 2**31 - 2
"""The largest priority group an input may give (the last group is one more)."""
UNASSIGNED = -1
HASH_DOMAIN = b"gorod.education.round/1\n"
_EMPTY = np.iinfo(np.int64).max
_PACKING_LIMIT = 2**62


class TieBreaking(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"


class Reason(StrEnum):
    """Why an applicant was not admitted to a programme ranked above their assignment."""

    NO_PLACES = "no_places"
    HIGHER_GROUP = "higher_group"
    LOTTERY = "lottery"


@dataclass(frozen=True)
class Instance:
    """A round as arrays.

    Applicant ``a`` ranks ``choices[offsets[a]:offsets[a + 1]]``, best first, each programme at
    most once; ``groups`` holds the priority group of each of those choices (``NO_PRIORITY``
    when the applicant has no entry for that programme).
    """

    capacities: Ints
    offsets: Ints
    choices: Ints
    groups: Ints

    def __post_init__(self) -> None:
        offsets, choices, groups = self.offsets, self.choices, self.groups
        if offsets.ndim != 1 or offsets.size == 0 or offsets[0] != 0:
            raise ValueError("offsets must start at 0")
        if np.any(np.diff(offsets) < 0) or offsets[-1] != choices.size:
            raise ValueError("offsets must be non-decreasing and end at the number of choices")
        if groups.shape != choices.shape:
            raise ValueError("groups must give one group per choice")
        if np.any(self.capacities < 0):
            raise ValueError("capacities must be non-negative")
        if choices.size and (choices.min() < 0 or choices.max() >= self.capacities.size):
            raise ValueError("choices must name programmes by index")
        if groups.size and (groups.min() < NO_PRIORITY or groups.max() > MAX_GROUP):
            raise ValueError(f"groups must be from 0 to {MAX_GROUP} or NO_PRIORITY")

    @property
    def n_applicants(self) -> int:
        return self.offsets.size - 1

    @property
    def n_programmes(self) -> int:
        return self.capacities.size

    def applicant_of_choice(self) -> Ints:
        """The applicant of each entry of ``choices``."""
        return np.repeat(np.arange(self.n_applicants, dtype=np.int64), np.diff(self.offsets))


@dataclass(frozen=True)
class Outcome:
    """The result of a round; programmes and applicants are indices into the instance."""

    tie_breaking: TieBreaking
    seed: int
    assignment: Ints
    """Per applicant: the programme, or ``UNASSIGNED``."""
    applicant_lottery: Ints | None
    """Per applicant (single tie-breaking only): the lottery number, 1 is the best."""
    choice_lottery: Ints
    """Per entry of ``choices``: the lottery number at that programme, 1 is the best."""
    choice_group: Ints
    """Per entry of ``choices``: the priority group at that programme, the last one filled in."""
    cutoff_group: Ints
    """Per programme: the group of the last admitted applicant, -1 when it has free places."""
    cutoff_lottery: Ints
    """Per programme: the lottery number of the last admitted applicant, -1 when not full."""

    @property
    def unassigned(self) -> int:
        return int(np.count_nonzero(self.assignment == UNASSIGNED))


@dataclass(frozen=True)
class Rejection:
    """One choice an applicant ranked above their assignment, and why they did not get it."""

    programme: int
    reason: Reason
    group: int
    lottery: int
    cutoff_group: int | None
    cutoff_lottery: int | None


@dataclass(frozen=True)
class _Lottery:
    """Each choice's lottery number, and its packing: a position unique within the round."""

    applicant_lottery: Ints | None
    choice_lottery: Ints
    position: Ints
    applicant_at: Ints


@dataclass(frozen=True)
class _Packing:
    """One int64 per choice ordering (programme, group, lottery), and how to read it back."""

    keys: Ints
    positions: int
    applicant_at: Ints
    code_programme: Ints | None
    groups_per_programme: int

    def applicant(self, keys: Ints) -> Ints:
        return self.applicant_at[keys % self.positions]

    def programme(self, keys: Ints) -> Ints:
        codes = keys // self.positions
        if self.code_programme is None:
            return codes // self.groups_per_programme
        return self.code_programme[codes]


def assign(instance: Instance, *, tie_breaking: TieBreaking, seed: int) -> Outcome:
    """Run the round: deferred acceptance, ties broken by the lottery drawn from ``seed``."""
    lottery = _draw_lottery(instance, tie_breaking, seed)
    packing = _pack(instance, lottery)
    pointer, held, held_keys = _defer_acceptance(instance, packing)
    assignment = np.full(instance.n_applicants, UNASSIGNED, dtype=np.int64)
    assignment[packing.applicant(held_keys)] = packing.programme(held_keys)
    choice_group = _fill_last_groups(instance)
    cutoff_group, cutoff_lottery = _cutoffs(
        instance,
        packing=packing,
        pointer=pointer,
        held=held,
        held_keys=held_keys,
        choice_group=choice_group,
        choice_lottery=lottery.choice_lottery,
    )
    return Outcome(
        tie_breaking=tie_breaking,
        seed=seed,
        assignment=assignment,
        applicant_lottery=lottery.applicant_lottery,
        choice_lottery=lottery.choice_lottery,
        choice_group=choice_group,
        cutoff_group=cutoff_group,
        cutoff_lottery=cutoff_lottery,
    )


def explain(instance: Instance, outcome: Outcome, applicant: int) -> list[Rejection]:
    """For each choice ranked above the applicant's assignment (all, when unassigned): why not.

    Stability guarantees each such programme is full of applicants with a better
    (group, lottery) than this applicant's there.
    """
    rejections = []
    assigned = int(outcome.assignment[applicant])
    for entry in range(int(instance.offsets[applicant]), int(instance.offsets[applicant + 1])):
        programme = int(instance.choices[entry])
        if programme == assigned:
            break
        group = int(outcome.choice_group[entry])
        lottery = int(outcome.choice_lottery[entry])
        if instance.capacities[programme] == 0:
            rejections.append(Rejection(programme, Reason.NO_PLACES, group, lottery, None, None))
            continue
        cutoff_group = int(outcome.cutoff_group[programme])
        reason = rejection_reason(capacity=1, group=group, cutoff_group=cutoff_group)
        rejections.append(
            Rejection(
                programme,
                reason,
                group,
                lottery,
                cutoff_group,
                int(outcome.cutoff_lottery[programme]),
            )
        )
    return rejections


def rejection_reason(*, capacity: int, group: int, cutoff_group: int) -> Reason:
    """Why a programme that took no more applicants refused one of ``group``: it has no
    places, its last admitted applicant was of a better group, or of the same group with a
    better lottery number (stability leaves no other case)."""
    if capacity == 0:
        return Reason.NO_PLACES
    return Reason.HIGHER_GROUP if group > cutoff_group else Reason.LOTTERY


def input_sha256(
    instance: Instance,
    *,
    programme_ids: Sequence[str],
    applicant_ids: Sequence[str],
    tie_breaking: TieBreaking,
    seed: int,
) -> str:
    """SHA-256 over everything that determines the result, in a canonical encoding.

    The domain line, then ``tie_breaking`` and ``seed`` as text lines, then the programme ids
    and the applicant ids (each list: its length, the UTF-8 byte lengths, the bytes, all
    lengths as little-endian uint64), then capacities, offsets, choices and groups as
    little-endian int64. docs/round-format.md describes it for anyone re-checking a round.
    """
    digest = hashlib.sha256(HASH_DOMAIN)
    digest.update(f"{tie_breaking.value}\n{seed}\n".encode())
    for ids in (programme_ids, applicant_ids):
        encoded = [identifier.encode() for identifier in ids]
        digest.update(np.array([len(encoded)], dtype="<u8").tobytes())
        digest.update(np.fromiter(map(len, encoded), dtype="<u8", count=len(encoded)).tobytes())
        digest.update(b"".join(encoded))
    for array in (instance.capacities, instance.offsets, instance.choices, instance.groups):
        digest.update(np.ascontiguousarray(array, dtype="<i8").tobytes())
    return digest.hexdigest()


def _draw_lottery(instance: Instance, tie_breaking: TieBreaking, seed: int) -> _Lottery:
    """Lottery numbers from NumPy's PCG64 generator: a permutation of applicants (single)
    or of choices, ranked within each programme (multiple)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    applicant_of_choice = instance.applicant_of_choice()
    if tie_breaking is TieBreaking.SINGLE:
        order = rng.permutation(instance.n_applicants).astype(np.int64)
        applicant_lottery = np.empty(instance.n_applicants, dtype=np.int64)
        applicant_lottery[order] = np.arange(1, instance.n_applicants + 1)
        choice_lottery = applicant_lottery[applicant_of_choice]
        return _Lottery(applicant_lottery, choice_lottery, choice_lottery - 1, order)
    choices = instance.choices
    total = choices.size
    shuffled = rng.permutation(total).astype(np.int64)
    by_programme = np.sort(choices[shuffled] * total + np.arange(total))
    order = shuffled[by_programme % total]
    position = np.empty(total, dtype=np.int64)
    position[order] = np.arange(total)
    first = _starts(np.bincount(choices, minlength=instance.n_programmes))
    choice_lottery = position - first[choices] + 1
    return _Lottery(None, choice_lottery, position, applicant_of_choice[order])


def _pack(instance: Instance, lottery: _Lottery) -> _Packing:
    """Key = code(programme, group) * positions + lottery position: smaller is better."""
    groups = instance.groups
    last = int(groups.max(initial=NO_PRIORITY)) + 1
    ordered_groups = np.where(groups == NO_PRIORITY, last, groups)
    per_programme = last + 1
    positions = max(lottery.applicant_at.size, 1)
    code_programme = None
    if instance.n_programmes * per_programme * positions < _PACKING_LIMIT:
        codes = instance.choices * per_programme + ordered_groups
    else:
        pairs, codes = np.unique((instance.choices << 32) | ordered_groups, return_inverse=True)
        code_programme = pairs >> 32
    return _Packing(
        keys=codes * positions + lottery.position,
        positions=positions,
        applicant_at=lottery.applicant_at,
        code_programme=code_programme,
        groups_per_programme=per_programme,
    )


def _defer_acceptance(instance: Instance, packing: _Packing) -> tuple[Ints, Ints, Ints]:
    """Return each applicant's pointer into ``choices``, how many each programme holds, and
    the held keys, programme by programme, best first."""
    capacities, choices, keys = instance.capacities, instance.choices, packing.keys
    demand = np.bincount(choices, minlength=instance.n_programmes)
    slot_start = _starts(np.minimum(capacities, demand))
    slots = np.empty(int(slot_start[-1]), dtype=np.int64)
    held = np.zeros(instance.n_programmes, dtype=np.int64)
    # A proposal with a key above its programme's threshold is refused at once.
    threshold = np.where(capacities > 0, _EMPTY, -1)
    touched = np.zeros(instance.n_programmes, dtype=np.bool_)
    pointer = instance.offsets[:-1].copy()
    end = instance.offsets[1:]
    proposers = np.flatnonzero(pointer < end)
    while proposers.size:
        proposal = keys[pointer[proposers]]
        programme = choices[pointer[proposers]]
        refused = proposal > threshold[programme]
        rejected = [proposers[refused]]
        if not refused.all():
            proposal, programme = proposal[~refused], programme[~refused]
            touched[programme] = True
            affected = np.flatnonzero(touched)
            touched[affected] = False
            pool = np.concatenate([slots[_ranges(slot_start[affected], held[affected])], proposal])
            pool.sort()
            pool_programme = packing.programme(pool)
            first = np.searchsorted(pool_programme, affected)
            count = np.diff(first, append=pool.size)
            rank = np.arange(pool.size) - np.repeat(first, count)
            keep = rank < capacities[pool_programme]
            slots[slot_start[pool_programme[keep]] + rank[keep]] = pool[keep]
            held[affected] = np.minimum(count, capacities[affected])
            full = affected[count >= capacities[affected]]
            threshold[full] = slots[slot_start[full] + capacities[full] - 1]
            rejected.append(packing.applicant(pool[~keep]))
        rejected_now = np.concatenate(rejected)
        pointer[rejected_now] += 1
        proposers = rejected_now[pointer[rejected_now] < end[rejected_now]]
    return pointer, held, slots[_ranges(slot_start[:-1], held)]


def _fill_last_groups(instance: Instance) -> Ints:
    """Choices without an entry get their programme's last group: one more than any given."""
    groups, choices = instance.groups, instance.choices
    given = groups != NO_PRIORITY
    last = np.full(instance.n_programmes, NO_PRIORITY, dtype=np.int64)
    np.maximum.at(last, choices[given], groups[given])
    return np.where(given, groups, last[choices] + 1)


def _cutoffs(
    instance: Instance,
    *,
    packing: _Packing,
    pointer: Ints,
    held: Ints,
    held_keys: Ints,
    choice_group: Ints,
    choice_lottery: Ints,
) -> tuple[Ints, Ints]:
    """Group and lottery number of the last admitted applicant of each full programme."""
    cutoff_group = np.full(instance.n_programmes, -1, dtype=np.int64)
    cutoff_lottery = np.full(instance.n_programmes, -1, dtype=np.int64)
    capacities = instance.capacities
    full = np.flatnonzero((held == capacities) & (capacities > 0))
    if full.size:
        held_start = _starts(held)
        last_keys = held_keys[held_start[full] + capacities[full] - 1]
        entries = pointer[packing.applicant(last_keys)]
        cutoff_group[full] = choice_group[entries]
        cutoff_lottery[full] = choice_lottery[entries]
    return cutoff_group, cutoff_lottery


def _starts(sizes: Ints) -> Ints:
    """Start offsets of consecutive segments of ``sizes``, with the total appended."""
    starts = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    return starts


def _ranges(starts: Ints, lengths: Ints) -> Ints:
    """The concatenated index ranges ``starts[i] : starts[i] + lengths[i]``."""
    segment = _starts(lengths)
    return np.arange(int(segment[-1]), dtype=np.int64) + np.repeat(starts - segment[:-1], lengths)
