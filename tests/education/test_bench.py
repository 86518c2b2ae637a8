"""``gorod bench matching``: generated instances and the figures it reports (no timings checked)."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
from django.core.management import call_command

from gorod.education.bench import generate


def test_the_same_arguments_generate_the_same_instance() -> None:
    first, again = generate(2000, 100, 10, seed=7), generate(2000, 100, 10, seed=7)
    for name in ("capacities", "offsets", "choices", "groups"):
        assert np.array_equal(getattr(first, name), getattr(again, name))


def test_generated_applicants_rank_distinct_programmes_and_some_have_priority() -> None:
    instance = generate(2000, 100, 10, seed=7)
    assert np.all(np.diff(instance.offsets) == 10)
    for applicant in range(instance.n_applicants):
        listed = instance.choices[instance.offsets[applicant] : instance.offsets[applicant + 1]]
        assert np.unique(listed).size == listed.size
    with_priority = np.mean(instance.groups >= 0)
    assert 0.15 < with_priority < 0.25
    assert instance.capacities.sum() <= 0.9 * 2000 + 100


def test_the_benchmark_reports_seconds_per_size_and_the_reference_comparison() -> None:
    out = StringIO()
    call_command(
        "bench",
        "matching",
        "--json",
        "--sizes",
        "500,1000",
        "--programmes",
        "50",
        "--reference-limit",
        "0.5",
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    assert set(figures["seconds"]) == {"500", "1000"}
    assert figures["reference"].startswith("matching ")
    assert figures["reference_stopped"].endswith("did not finish in 0.5 s")
    assert all(run["same_assignment"] for run in figures["reference_runs"])
