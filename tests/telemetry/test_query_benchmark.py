"""The query benchmark runs tiny, and its two paths (raw, roll-up) agree."""

from __future__ import annotations

import argparse

from gorod.telemetry import bench_queries


def test_the_query_benchmark_reports_figures_and_one_answer() -> None:
    parser = argparse.ArgumentParser()
    bench_queries.add_arguments(parser)
    options = vars(
        parser.parse_args(
            ["--readings", "6000", "--devices", "100", "--districts", "5", "--days", "3"]
        )
    )
    figures = bench_queries.run(**options)
    assert figures["readings_written"] == 6000
    assert figures["same_answer"] is True
    assert figures["district_month_devices"] == 20
    assert figures["all_districts"] == 5
    assert figures["district_month_raw_s"] >= 0
