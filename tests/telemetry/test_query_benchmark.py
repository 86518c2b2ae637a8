"""The query benchmark runs tiny, on a local table and on an S3 one, and its two paths (raw,
roll-up) agree."""

from __future__ import annotations

import argparse
from typing import Any

from gorod.telemetry import bench_queries


def tiny(*extra: str) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    bench_queries.add_arguments(parser)
    options = vars(
        parser.parse_args(
            ["--readings", "6000", "--devices", "100", "--districts", "5", "--days", "3", *extra]
        )
    )
    return bench_queries.run(**options)


def test_the_query_benchmark_reports_figures_and_one_answer() -> None:
    figures = tiny()
    assert figures["readings_written"] == 6000
    assert figures["same_answer"] is True
    assert figures["district_month_devices"] == 20
    assert figures["all_districts"] == 5
    assert figures["district_month_raw_s"] >= 0
    assert isinstance(figures["table_bytes"], int)
