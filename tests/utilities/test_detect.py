"""``gorod utilities detect``: one output row per input hour; a bad file is exit 2, no output."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

HEADER = "meter_id,time,consume_litres,total_litres\n"


def hours(meter: str, litres: list[float], *, day: int = 1, total: float = 1000.0) -> str:
    lines = []
    for index, value in enumerate(litres):
        total += value
        stamp = f"2026-03-{day + index // 24:02d}T{index % 24:02d}:00:00+03:00"
        lines.append(f"{meter},{stamp},{value},{total}\n")
    return "".join(lines)


def detect(tmp_path: Path, text: str) -> tuple[Path, str]:
    source, target = tmp_path / "hourly.csv", tmp_path / "alerts.csv"
    source.write_text(text)
    out = StringIO()
    with translation.override("en"):
        call_command(
            "utilities", "detect", "--input", str(source), "--output", str(target), stdout=out
        )
    return target, out.getvalue()


def test_a_leaking_meter_is_flagged_and_a_quiet_one_is_not(tmp_path: Path) -> None:
    quiet = ([0.0] * 7 + [20.0] * 3 + [0.0] * 8 + [15.0] * 5 + [0.0]) * 3
    target, summary = detect(
        tmp_path, HEADER + hours("wc-1", [5.0 + (i % 3) for i in range(72)]) + hours("wc-2", quiet)
    )
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == 144
    assert rows[0].keys() == {"meter_id", "time", "alert", "reason"}
    leak = [r for r in rows if r["meter_id"] == "wc-1"]
    assert [r["alert"] for r in leak[:25]] == ["0"] * 25
    assert {r["reason"] for r in leak[25:]} == {"continuous_flow"}
    assert leak[0]["time"] == "2026-03-01T00:00:00+03:00"  # echoed as written
    assert {r["alert"] for r in rows if r["meter_id"] == "wc-2"} == {"0"}
    assert "144 hours of 2 meters, 47 alert hours" in summary


def test_meters_of_one_apartment_vouch_for_each_other(tmp_path: Path) -> None:
    used = ([0.0] * 7 + [20.0] * 3 + [0.0] * 8 + [15.0] * 5 + [0.0]) * 12
    still = used[: 24 * 8] + [0.0] * 24 * 4
    text = "meter_id,time,consume_litres,apartment_id\n"
    for meter, litres, apartment in (("c", still, "1"), ("h", used, "1"), ("x", still, "2")):
        text += "".join(
            f"{meter},2026-03-{1 + i // 24:02d}T{i % 24:02d}:00:00+03:00,{v},{apartment}\n"
            for i, v in enumerate(litres)
        )
    target, _summary = detect(tmp_path, text)
    reasons: dict[str, set[str]] = {}
    for row in csv.DictReader(target.open()):
        reasons.setdefault(row["meter_id"], set()).add(row["reason"])
    assert "stuck" in reasons["c"]  # its apartment's hot water still flows
    assert "stuck" in reasons["x"]  # alone in its apartment: nothing to tell it from away


def test_total_litres_is_optional(tmp_path: Path) -> None:
    text = "meter_id,time,consume_litres\nm,2026-03-01T00:00:00Z,1\nm,2026-03-01T01:00:00Z,0\n"
    target, _summary = detect(tmp_path, text)
    assert len(list(csv.DictReader(target.open()))) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("meter_id,time\nm,2026-03-01T00:00:00Z\n", "column consume_litres: is missing"),
        (HEADER + "m,2026-03-01T00:00:00Z,lots,1\n", "line 2, column consume_litres: 'lots'"),
        (HEADER + "m,yesterday,1,1\n", "line 2, column time: 'yesterday'"),
        (HEADER + "m,2026-03-01T00:30:00Z,1,1\n", "line 2, column time: is not on the hour"),
        (
            HEADER + "m,2026-03-01T01:00:00Z,1,1\nm,2026-03-01T00:00:00Z,1,2\n",
            "line 3, column time: goes back to an hour of meter m",
        ),
        (
            HEADER + "m,2026-03-01T00:00:00Z,1,1\nm,2026-03-01T00:00:00Z,1,2\n",
            "line 3, column time: repeats an hour of meter m",
        ),
        (HEADER + "m,2026-03-01T00:00:00Z,nan,1\n", "line 2, column consume_litres"),
        (HEADER + " ,2026-03-01T00:00:00Z,1,1\n", "line 2, column meter_id: is empty"),
        (
            "meter_id,time,consume_litres,apartment_id\n"
            "m,2026-03-01T00:00:00Z,1,a\nm,2026-03-01T01:00:00Z,1,b\n",
            "line 3, column apartment_id: names another apartment",
        ),
    ],
    ids=[
        *("missing", "text", "bad-time", "off-hour", "backwards", "duplicate", "nan"),
        *("no-meter", "two-apartments"),
    ],
)
def test_a_bad_file_names_the_place_and_writes_nothing(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(CommandError) as refused:
        detect(tmp_path, text)
    assert refused.value.returncode == 2
    assert message in str(refused.value)
    assert not (tmp_path / "alerts.csv").exists()


def test_a_missing_input_is_exit_2(tmp_path: Path) -> None:
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command(
            "utilities",
            "detect",
            "--input",
            str(tmp_path / "none.csv"),
            "--output",
            str(tmp_path / "a.csv"),
        )
    assert refused.value.returncode == 2
    assert "no such file" in str(refused.value)
