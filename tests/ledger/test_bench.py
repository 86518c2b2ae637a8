"""``gorod bench ledger`` measures in a temporary database and prints figures."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from gorod.ledger.models import LogEntry


@pytest.mark.django_db
def test_the_benchmark_prints_its_figures_and_leaves_the_real_log_alone() -> None:
    out = io.StringIO()
    call_command(
        "bench",
        "ledger",
        "--entries",
        "300",
        "--batch",
        "100",
        "--proof-size",
        "1000",
        "--proofs",
        "20",
        "--json",
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    assert figures["log_size"] == 1000 + 1000
    assert figures["appends_per_second"] > 0
    assert set(figures["inclusion_proof"]) == {"median_ms", "p99_ms"}
    assert not LogEntry.objects.exists()


def test_a_proof_size_below_the_entries_exits_2() -> None:
    with pytest.raises(CommandError) as caught:
        call_command(
            "bench", "ledger", "--entries", "10", "--proof-size", "5", stdout=io.StringIO()
        )
    assert caught.value.returncode == 2
