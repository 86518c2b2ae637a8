"""``gorod privacy release|budgets``: accuracy first, refusal with exit code 2."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gorod.places.models import District
from gorod.privacy.models import PrivacyBudget, Release
from tests.places.factories import DistrictFactory
from tests.privacy.factories import budget_create

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("privacy", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def districts() -> list[District]:
    return DistrictFactory.create_batch(2)


def test_a_dry_run_prints_the_accuracy_and_releases_nothing(districts: list[District]) -> None:
    output = _run("release", "--dataset", "residents_by_district", "--epsilon", "0.5", "--dry-run")
    assert "±" in output
    assert "at 95% confidence per cell" in output
    assert "Dry run" in output
    assert not Release.objects.exists()
    assert not PrivacyBudget.objects.exists()


def test_a_release_prints_the_accuracy_then_publishes(districts: list[District]) -> None:
    output = _run("release", "--dataset", "residents_by_district", "--epsilon", "0.5")
    assert output.index("±") < output.index("Released")
    assert Release.objects.get().epsilon == Decimal("0.5")


def test_a_release_beyond_the_budget_exits_2_and_changes_nothing(districts: list[District]) -> None:
    budget_create(total_epsilon=Decimal(1))
    _run("release", "--dataset", "residents_by_district", "--epsilon", "0.8")
    with pytest.raises(CommandError) as raised:
        _run("release", "--dataset", "residents_by_district", "--epsilon", "0.3")
    assert raised.value.returncode == 2
    assert "Refused" in str(raised.value)
    assert Release.objects.count() == 1
    assert PrivacyBudget.objects.get().spent_epsilon == Decimal("0.8")


def test_a_dry_run_beyond_the_budget_also_exits_2(districts: list[District]) -> None:
    budget_create(total_epsilon=Decimal("0.1"))
    with pytest.raises(CommandError) as raised:
        _run("release", "--dataset", "residents_by_district", "--epsilon", "0.3", "--dry-run")
    assert raised.value.returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "nope", "--epsilon", "1"], "Unknown dataset"),
        (["--dataset", "residents_by_district", "--epsilon", "abc"], "--epsilon must be a number"),
        (
            ["--dataset", "residents_by_district", "--epsilon", "-1"],
            "Epsilon must be a positive number",
        ),
        (["--dataset", "residents_by_district", "--epsilon", "1", "--delta", "2"], "Delta"),
    ],
)
def test_bad_input_is_an_error_line_and_exit_2(
    districts: list[District], args: list[str], message: str
) -> None:
    with pytest.raises(CommandError) as raised:
        _run("release", *args)
    assert raised.value.returncode == 2
    assert message.lower() in str(raised.value).lower()
    assert not Release.objects.exists()


def test_there_is_nothing_to_release_without_districts() -> None:
    with pytest.raises(CommandError) as raised:
        _run("release", "--dataset", "residents_by_district", "--epsilon", "1")
    assert raised.value.returncode == 2
    assert not Release.objects.exists()


def test_the_table_is_written_as_json(districts: list[District], tmp_path: Path) -> None:
    target = tmp_path / "release.json"
    _run("release", "--dataset", "residents_by_district", "--epsilon", "1", "--output", str(target))
    body = json.loads(target.read_text())
    assert body["id"] == Release.objects.get().pk
    assert len(body["rows"]) == 2


def test_the_table_is_written_as_csv(districts: list[District], tmp_path: Path) -> None:
    target = tmp_path / "release.csv"
    _run("release", "--dataset", "residents_by_district", "--epsilon", "1", "--output", str(target))
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["okato", "district", "residents"]


def test_an_output_in_a_missing_folder_is_refused_before_anything_is_spent(
    districts: list[District], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "release.json"
    with pytest.raises(CommandError) as raised:
        _run(
            "release",
            "--dataset",
            "residents_by_district",
            "--epsilon",
            "1",
            "--output",
            str(target),
        )
    assert raised.value.returncode == 2
    assert not Release.objects.exists()


def test_budgets_lists_every_dataset(districts: list[District]) -> None:
    _run("release", "--dataset", "residents_by_district", "--epsilon", "0.5")
    output = _run("budgets")
    assert "residents_by_district: epsilon 0.5 of 3 spent" in output
    assert "household_size_by_district" in output
