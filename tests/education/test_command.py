"""``gorod education match``: a round file in, a result file out, bad files refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gorod.education.rounds import parse_round
from tests.education.round_files import BAD_ROUNDS, GOOD_ROUND_ASSIGNMENTS, encode, good_round


def _match(source: Path, target: Path) -> str:
    out = StringIO()
    call_command("education", "match", "--input", str(source), "--output", str(target), stdout=out)
    return out.getvalue()


def test_a_round_file_gives_a_result_file(tmp_path: Path) -> None:
    source, target = tmp_path / "round.json", tmp_path / "result.json"
    source.write_bytes(encode(good_round()))
    with translation.override("en"):
        printed = _match(source, target)
    result = json.loads(target.read_text(encoding="utf-8"))
    digest = parse_round(source.read_bytes()).input_sha256()
    assert result["input_sha256"] == digest
    assert result["assignments"] == GOOD_ROUND_ASSIGNMENTS
    assert printed.strip() == f"3 of 5 applicants assigned, 2 unassigned; input SHA-256 {digest}"


def test_running_a_round_again_gives_the_same_result(tmp_path: Path) -> None:
    source = tmp_path / "round.json"
    source.write_bytes(encode(good_round(tie_breaking="multiple")))
    _match(source, tmp_path / "first.json")
    _match(source, tmp_path / "second.json")
    assert (tmp_path / "first.json").read_bytes() == (tmp_path / "second.json").read_bytes()


@pytest.mark.parametrize(("data", "location", "message"), BAD_ROUNDS)
def test_a_bad_round_file_exits_with_2_naming_the_entry_and_writes_nothing(
    tmp_path: Path, data: bytes, location: str, message: str
) -> None:
    source, target = tmp_path / "round.json", tmp_path / "result.json"
    source.write_bytes(data)
    with translation.override("en"), pytest.raises(CommandError) as refused:
        _match(source, target)
    assert refused.value.returncode == 2
    assert str(refused.value) == f"{location}: {message}"
    assert not target.exists()


def test_errors_are_in_russian_by_default(tmp_path: Path) -> None:
    source = tmp_path / "round.json"
    document = good_round()
    document["applicants"][2]["choices"] = ["k-1", "k-99"]
    source.write_bytes(encode(document))
    with pytest.raises(CommandError) as refused:
        _match(source, tmp_path / "result.json")
    assert str(refused.value) == 'applicants[2] ("a-3").choices[1]: неизвестная программа «k-99»'


def test_a_missing_round_file_exits_with_2(tmp_path: Path) -> None:
    with translation.override("en"), pytest.raises(CommandError) as refused:
        _match(tmp_path / "absent.json", tmp_path / "result.json")
    assert refused.value.returncode == 2
    assert str(refused.value).startswith(f"cannot read {tmp_path / 'absent.json'}: ")


def test_an_output_in_a_missing_directory_exits_with_2_before_matching(tmp_path: Path) -> None:
    source = tmp_path / "round.json"
    source.write_bytes(b"not even JSON")
    target = tmp_path / "absent" / "result.json"
    with translation.override("en"), pytest.raises(CommandError) as refused:
        _match(source, target)
    assert refused.value.returncode == 2
    assert str(refused.value) == f"cannot write {target}: no such directory"


def test_the_gorod_command_prints_one_error_line_and_exits_with_2(tmp_path: Path) -> None:
    source, target = tmp_path / "round.json", tmp_path / "result.json"
    document = good_round()
    document["programmes"][1]["capacity"] = -5
    source.write_bytes(encode(document))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "gorod.cli",
            "education",
            "match",
            "--input",
            str(source),
            "--output",
            str(target),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "GOROD_PROFILE": "test"},
        check=False,
    )
    errors = [line for line in completed.stderr.splitlines() if line.startswith("CommandError")]
    assert completed.returncode == 2
    assert errors == [
        'CommandError: programmes[1] ("k-2").capacity: должно быть целым числом от 0 до 2147483647'
    ]
    assert not target.exists()
