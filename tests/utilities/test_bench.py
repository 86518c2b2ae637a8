"""``gorod bench utilities`` prints its figures; no timing is asserted."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_the_benchmark_reports_each_size() -> None:
    out = StringIO()
    call_command(
        "bench",
        *("utilities", "--json", "--sizes", "40,100", "--chunk", "20", "--days", "30"),
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    assert figures["chunk_meters"] == 20
    assert set(figures["sizes"]) == {"40", "100"}
    assert figures["sizes"]["100"]["meters"] == 100
    assert figures["sizes"]["100"]["peak_rss_mb"] > 0
    assert figures["sizes"]["100"]["projected_cpu_s_per_million_meter_years"] > 0
    assert figures["workers"] == figures["cores"]  # every core scores chunks by default
    assert figures["sizes"]["100"]["load_average_before"] >= 0


def test_a_bad_size_is_exit_2() -> None:
    with pytest.raises(CommandError) as refused:
        call_command("bench", "utilities", "--sizes", "0", "--chunk", "20", "--days", "30")
    assert refused.value.returncode == 2
