"""``gorod education run|publish|export|tick``: the city's rounds from the command line."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from gorod.education.models import Offer, Round, Run
from tests.education.factories import ProgrammeFactory, RoundFactory, apply_for, close

pytestmark = pytest.mark.django_db


def _education(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("education", *args, stdout=out)
    return out.getvalue()


def test_run_then_publish_offers_the_places() -> None:
    round_ = RoundFactory.create()
    programme = ProgrammeFactory.create(capacity=1)
    apply_for(round_, [programme])
    apply_for(round_, [programme])
    close(round_)
    printed = _education("run", "--round", str(round_.pk), "--seed", "3")
    run = Run.objects.get()
    assert printed.startswith("1 of 2 applicants assigned")
    assert f"transparency log entry {run.log_index}" in printed
    _education("publish", "--round", str(round_.pk))
    assert Round.objects.get().status == Round.Status.PUBLISHED
    assert Offer.objects.count() == 1


def test_the_waitlist_input_is_exported_after_a_refusal(tmp_path: Path) -> None:
    round_ = RoundFactory.create()
    programme = ProgrammeFactory.create(capacity=1)
    for _ in range(3):
        apply_for(round_, [programme])
    _education("run", "--round", str(close(round_).pk), "--seed", "1")
    _education("publish", "--round", str(round_.pk))
    Offer.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert _education("tick").strip() == "1 offers expired"
    target = tmp_path / "waitlist.json"
    _education("export", "--round", str(round_.pk), "--output", str(target), "--waitlist")
    document = json.loads(target.read_text())
    assert len(document["applicants"]) == 2
    latest = Run.objects.filter(kind=Run.Kind.WAITLIST).get()
    result = tmp_path / "result.json"
    _education("match", "--input", str(target), "--output", str(result))
    assert json.loads(result.read_text())["input_sha256"] == latest.input_sha256


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--round", "999999"], "No such round"),
        (["export", "--round", "{round}", "--output", "{tmp}/x.json"], "has not run"),
        (["run", "--round", "{round}", "--seed", "-1"], "--seed"),
        (["run", "--round", "{round}"], "once it has closed"),
        (["publish", "--round", "{round}"], "matched round"),
        (["tick", "--every", "0"], "--every"),
    ],
    ids=[
        "unknown-round",
        "export-before-run",
        "negative-seed",
        "still-open",
        "publish-early",
        "tick-every-zero",
    ],
)
def test_bad_requests_exit_with_2_and_change_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    round_ = RoundFactory.create()
    filled = [a.format(round=round_.pk, tmp=tmp_path) for a in args]
    with pytest.raises(CommandError, match=message) as refused:
        _education(*filled)
    assert refused.value.returncode == 2
    assert not Run.objects.exists()
    assert Round.objects.get().status == Round.Status.OPEN


def test_the_demo_hooks_are_declared_on_the_app() -> None:
    config = apps.get_app_config("education")
    assert callable(import_string(config.demo_prepare))  # type: ignore[attr-defined]
    children = import_string(config.demo_children)(env={})  # type: ignore[attr-defined]
    assert [child.argv[-4:] for child in children] == [["education", "tick", "--every", "60"]]
