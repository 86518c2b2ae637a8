"""Event matching, and ``gorod utilities evaluate`` on a simulated city."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gorod.telemetry.simulation import (
    Simulator,
    events_inject,
    fleet_make,
    start_of_day,
    truth_table,
)
from gorod.utilities.evaluation import Span, evaluate


def test_events_match_by_meter_kind_and_overlap_with_grace() -> None:
    truth = [Span("a", "leak", 100, 199), Span("b", "leak", 100, 110), Span("c", "stuck", 0, 9)]
    alerts = [
        Span("a", "leak", 124, 199),  # right, 24 h late
        Span("b", "leak", 130, 140),  # right: within the grace after the end
        Span("b", "burst", 105, 105),  # wrong kind
        Span("d", "leak", 100, 120),  # no such event
    ]
    scores = evaluate(truth, alerts)
    leak = scores["leak"].as_dict()
    assert leak == {
        "truth_events": 2,
        "found": 2,
        "alert_events": 3,
        "right_alerts": 2,
        "precision": 0.667,
        "recall": 1.0,
        "f1": 0.8,
        "median_delay_hours": 30,
    }
    assert scores["stuck"].recall == 0.0
    assert scores["burst"].precision == 0.0
    assert scores["stuck"].precision is None


def test_evaluate_on_a_simulated_city_finds_the_leaks(tmp_path: Path) -> None:
    out = StringIO()
    truth = tmp_path / "truth.csv"
    call_command(
        "utilities",
        *("evaluate", "--simulate", "400", "--days", "40", "--leaks", "8", "--faults", "12"),
        *("--truth", str(truth), "--json"),
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    assert figures["leak"]["truth_events"] == 8
    assert figures["leak"]["recall"] >= 0.9
    assert figures["leak"]["precision"] >= 0.8
    assert len(truth.read_text().splitlines()) == 21


def test_evaluate_reads_an_hourly_file_and_its_truth(tmp_path: Path) -> None:
    fleet = fleet_make(200, seed=5)
    start = start_of_day(dt.date(2026, 2, 1))
    events = events_inject(fleet, start=start, days=20, leaks=4, faults=0, seed=5)
    hourly = pa.Table.from_batches(
        list(Simulator(fleet, start=start, seed=5, events=events).hourly_consumption(20))
    )
    pacsv.write_csv(hourly, tmp_path / "hourly.csv")
    pacsv.write_csv(truth_table(events), tmp_path / "truth.csv")
    out = StringIO()
    call_command(
        "utilities",
        *("evaluate", "--input", str(tmp_path / "hourly.csv")),
        *("--truth", str(tmp_path / "truth.csv")),
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert lines[0].split() == [
        *("kind", "truth", "found", "alerts", "precision", "recall", "F1", "delay", "h")
    ]
    leak = next(line.split() for line in lines if line.split()[0] == "leak")
    assert leak[1:3] == ["4", "4"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("device_id,kind,start\n", "column end: is missing"),
        ("device_id,kind,start,end\nm,leak,soon,2026-01-01T00:00:00Z\n", "line 2, column start"),
        (
            "device_id,kind,start,end\nm,leak,2026-01-02T00:00:00Z,2026-01-01T00:00:00Z\n",
            "line 2, column end: is not after start",
        ),
    ],
    ids=["missing", "bad-time", "backwards"],
)
def test_a_bad_truth_file_is_exit_2(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "truth.csv").write_text(text)
    (tmp_path / "hourly.csv").write_text("meter_id,time,consume_litres\nm,2026-01-01T00:00Z,1\n")
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command(
            "utilities",
            *("evaluate", "--input", str(tmp_path / "hourly.csv")),
            *("--truth", str(tmp_path / "truth.csv")),
        )
    assert refused.value.returncode == 2
    assert message in str(refused.value)


def test_more_anomalies_than_meters_is_exit_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "utilities",
            *("evaluate", "--simulate", "10", "--leaks", "50"),
            *("--truth", str(tmp_path / "t.csv")),
        )
    assert refused.value.returncode == 2
    assert not (tmp_path / "t.csv").exists()
