"""Assignment mechanism: seconds per city-sized round, and the ratio to the matching package.

Instances are generated with a fixed seed (generation is not timed): programmes sit on a grid
over the city, each applicant ranks programmes near home with a skew towards popular ones
(Gumbel top-k over popularity minus distance), seats total 90% of the applicants, and 20% of
the choices carry a priority (5% siblings in group 0, 15% territory in group 1).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import math
import multiprocessing
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from gorod.education.matching import (
    NO_PRIORITY,
    UNASSIGNED,
    Instance,
    Ints,
    Outcome,
    TieBreaking,
    assign,
)

SEATS_PER_APPLICANT = 0.9
WINDOW = 7
CHUNK = 65_536
APPLICANTS_PER_PROGRAMME = 20
REPEATS = 5
REFERENCE_RECURSION_LIMIT = 1_000_000
REFERENCE_STACK_BYTES = 1 << 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=_counts,
        default=[10_000, 100_000, 1_000_000],
        help="applicant counts, comma-separated (default 10000,100000,1000000)",
    )
    parser.add_argument("--programmes", type=int, default=5000, help="programmes (default 5000)")
    parser.add_argument("--choices", type=int, default=10, help="choices per applicant (10)")
    parser.add_argument(
        "--tie-breaking", choices=[rule.value for rule in TieBreaking], default="single"
    )
    parser.add_argument("--seed", type=int, default=2026, help="instance and lottery seed")
    parser.add_argument(
        "--reference-limit",
        type=float,
        default=60.0,
        help="seconds the matching package gets per instance (default 60)",
    )
    parser.add_argument(
        "--reference-start",
        type=int,
        default=200,
        help="applicants in the first matching-package instance; doubled until it runs out",
    )


def run(**options: Any) -> dict[str, Any]:
    programmes, choices = options["programmes"], options["choices"]
    if programmes < 1 or choices < 1:
        raise ValueError("--programmes and --choices must be at least 1")
    tie_breaking = TieBreaking(options["tie_breaking"])
    seed = options["seed"]
    seconds = {}
    for applicants in options["sizes"]:
        instance = generate(applicants, programmes, choices, seed=seed)
        seconds[str(applicants)] = round(_time_assign(instance, tie_breaking, seed), 3)
    figures: dict[str, Any] = {
        "programmes": programmes,
        "choices": choices,
        "tie_breaking": tie_breaking.value,
        "seconds": seconds,
    }
    figures.update(
        _compare_with_reference(
            choices=choices,
            tie_breaking=tie_breaking,
            seed=seed,
            limit=options["reference_limit"],
            start=options["reference_start"],
        )
    )
    return figures


def generate(applicants: int, programmes: int, choices: int, *, seed: int) -> Instance:
    """A synthetic city round; the same arguments give the same instance."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(programmes))
    window = min(WINDOW, side)
    popularity = rng.normal(0.0, 1.0, programmes)
    sizes = rng.lognormal(0.0, 0.5, programmes)
    capacities = np.maximum(
        1, np.round(SEATS_PER_APPLICANT * applicants * sizes / sizes.sum())
    ).astype(np.int64)
    lists = [
        _rank_nearby(
            rng,
            count=min(CHUNK, applicants - start),
            side=side,
            window=window,
            popularity=popularity,
            choices=choices,
        )
        for start in range(0, applicants, CHUNK)
    ]
    ranked = np.concatenate(lists) if lists else np.empty((0, choices), dtype=np.int64)
    valid = ranked >= 0
    offsets = np.zeros(applicants + 1, dtype=np.int64)
    np.cumsum(valid.sum(axis=1), out=offsets[1:])
    chosen = ranked[valid]
    draw = rng.random(chosen.size)
    groups = np.where(draw < 0.05, 0, np.where(draw < 0.2, 1, NO_PRIORITY)).astype(np.int64)
    return Instance(capacities=capacities, offsets=offsets, choices=chosen, groups=groups)


def _rank_nearby(
    rng: np.random.Generator,
    *,
    count: int,
    side: int,
    window: int,
    popularity: np.ndarray[Any, np.dtype[np.float64]],
    choices: int,
) -> Ints:
    """Each applicant's top choices among the window of grid cells around home; -1 pads."""
    home = rng.random((count, 2)) * side
    corner = np.clip(np.floor(home) - window // 2, 0, side - window).astype(np.int64)
    step = np.arange(window)
    rows = corner[:, :1, None] + step[None, :, None]
    columns = corner[:, 1:, None] + step[None, None, :]
    cells = (rows * side + columns).reshape(count, -1)
    distance = np.hypot(rows + 0.5 - home[:, :1, None], columns + 0.5 - home[:, 1:, None]).reshape(
        count, -1
    )
    exists = cells < popularity.size
    utility = np.where(
        exists,
        popularity[np.minimum(cells, popularity.size - 1)]
        - distance
        + rng.gumbel(size=cells.shape),
        -np.inf,
    )
    take = min(choices, cells.shape[1])
    best = np.argsort(-utility, axis=1)[:, :take]
    ranked = np.take_along_axis(cells, best, axis=1)
    return np.where(np.take_along_axis(exists, best, axis=1), ranked, -1)


def _time_assign(instance: Instance, tie_breaking: TieBreaking, seed: int) -> float:
    started = time.perf_counter()
    assign(instance, tie_breaking=tie_breaking, seed=seed)
    return time.perf_counter() - started


def _compare_with_reference(
    *, choices: int, tie_breaking: TieBreaking, seed: int, limit: float, start: int
) -> dict[str, Any]:
    """Time the matching package on doubling instances until one does not finish in ``limit``."""
    if importlib.util.find_spec("matching") is None:
        return {"reference": "the matching package is not installed; no ratio"}
    runs = []
    applicants = start
    while True:
        programmes = max(1, applicants // APPLICANTS_PER_PROGRAMME)
        instance = generate(applicants, programmes, choices, seed=seed)
        outcome = assign(instance, tie_breaking=tie_breaking, seed=seed)
        reference = _run_reference(instance, outcome, limit)
        if isinstance(reference, str):
            stopped = f"{applicants} applicants: {reference}"
            break
        ours = min(_time_assign(instance, tie_breaking, seed) for _ in range(REPEATS))
        runs.append(
            {
                "applicants": applicants,
                "programmes": programmes,
                "matching_seconds": round(reference.seconds, 4),
                "matching_solve_seconds": round(reference.solve_seconds, 4),
                "ours_seconds": round(ours, 5),
                "ratio": round(reference.seconds / ours, 1),
                "ratio_to_solve_only": round(reference.solve_seconds / ours, 1),
                "same_assignment": bool(np.array_equal(reference.assignment, outcome.assignment)),
            }
        )
        applicants *= 2
    figures: dict[str, Any] = {
        "reference": f"matching {importlib.metadata.version('matching')}",
        "reference_limit_seconds": limit,
        "reference_runs": runs,
        "reference_stopped": stopped,
    }
    if runs:
        figures["ratio_on_largest_reference_instance"] = runs[-1]["ratio"]
    return figures


@dataclass(frozen=True)
class _Reference:
    seconds: float
    solve_seconds: float
    assignment: Ints


def _run_reference(instance: Instance, outcome: Outcome, limit: float) -> _Reference | str:
    """The matching package's resident-optimal solution, computed in a child process that is
    stopped after ``limit`` seconds; a string says why there is none."""
    residents, hospitals, capacities = _reference_game(instance, outcome)
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[_Reference | str] = context.Queue()
    child = context.Process(
        target=_solve_reference,
        args=(residents, hospitals, capacities, instance.n_applicants, results),
    )
    child.start()
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            try:
                return results.get(timeout=min(1.0, max(deadline - time.monotonic(), 0.01)))
            except queue.Empty:
                if not child.is_alive():
                    return f"the child process ended with code {child.exitcode}"
        return f"did not finish in {limit:g} s"
    finally:
        child.terminate()
        child.join()


def _reference_game(
    instance: Instance, outcome: Outcome
) -> tuple[dict[int, list[int]], dict[int, list[int]], dict[int, int]]:
    """Preferences for the matching package: programmes rank by (group, lottery), strictly."""
    offsets, choices = instance.offsets.tolist(), instance.choices.tolist()
    residents = {
        applicant: choices[offsets[applicant] : offsets[applicant + 1]]
        for applicant in range(instance.n_applicants)
        if offsets[applicant + 1] > offsets[applicant]
    }
    order = np.lexsort((outcome.choice_lottery, outcome.choice_group, instance.choices))
    applicant_of_choice = instance.applicant_of_choice()
    hospitals: dict[int, list[int]] = {}
    for entry in order.tolist():
        hospitals.setdefault(choices[entry], []).append(int(applicant_of_choice[entry]))
    capacities = {programme: int(instance.capacities[programme]) for programme in hospitals}
    return residents, hospitals, capacities


def _solve_reference(
    residents: dict[int, list[int]],
    hospitals: dict[int, list[int]],
    capacities: dict[int, int],
    n_applicants: int,
    results: multiprocessing.Queue[_Reference | str],
) -> None:
    """In the child: the package deep-copies its linked players, recursing as deep as the
    instance is large, so it runs in a thread with a large stack and recursion limit."""
    from matching.games import HospitalResident  # type: ignore[import-untyped]

    def solve() -> None:
        try:
            started = time.perf_counter()
            game = HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
            solving = time.perf_counter()
            matching = game.solve(optimal="resident")
            finished = time.perf_counter()
        except RecursionError as exc:
            results.put(f"the matching package failed: {exc!r}")
            return
        assignment = np.full(n_applicants, UNASSIGNED, dtype=np.int64)
        for hospital, admitted in matching.items():
            for resident in admitted:
                assignment[resident.name] = hospital.name
        results.put(_Reference(finished - started, finished - solving, assignment))

    sys.setrecursionlimit(REFERENCE_RECURSION_LIMIT)
    threading.stack_size(REFERENCE_STACK_BYTES)
    thread = threading.Thread(target=solve)
    thread.start()
    thread.join()


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas: {text}")
    return counts
