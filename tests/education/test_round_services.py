"""Running and publishing a round, explanations, offers, the waitlist and expiry."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from gorod.education import selectors
from gorod.education.matching import Reason
from gorod.education.models import Application, Cutoff, Offer, Programme, Round, Run, Territory
from gorod.education.services import (
    ClaimIn,
    offer_accept,
    offer_decline,
    offers_expire,
    result_sha256,
    round_publish,
    round_run,
)
from gorod.errors import ApplicationError
from gorod.ledger.models import LogState
from gorod.people.models import Citizen
from gorod.portal.models import Notification
from tests.education.factories import (
    ProgrammeFactory,
    RoundFactory,
    apply_for,
    close,
    decided_round,
)
from tests.people.factories import CitizenFactory, account

pytestmark = pytest.mark.django_db


def _market(seed: int = 7, families: int = 12) -> tuple[Round, list[Programme], list[Application]]:
    rng = random.Random(seed)
    round_ = RoundFactory.create()
    programmes = [ProgrammeFactory.create(capacity=rng.randint(1, 3)) for _ in range(4)]
    applications = [
        apply_for(round_, rng.sample(programmes, rng.randint(1, 3))) for _ in range(families)
    ]
    return close(round_), programmes, applications


def test_a_round_runs_only_once_it_has_closed() -> None:
    round_ = RoundFactory.create()
    with pytest.raises(ApplicationError) as refused:
        round_run(round_=round_, by_user=None)
    assert refused.value.field == "round"
    assert not Run.objects.exists()


def test_the_run_stores_places_lottery_cutoffs_and_logs_its_hashes() -> None:
    round_, programmes, applications = _market()
    size_before = LogState.objects.first()
    run = round_run(round_=round_, by_user=None, seed=42)
    round_.refresh_from_db()
    assert round_.status == Round.Status.MATCHED
    assert round_.seed == 42
    assert run.applicants == len(applications)
    assert sorted(Application.objects.values_list("lottery", flat=True)) == list(
        range(1, len(applications) + 1)
    )
    placed = Application.objects.filter(assigned__isnull=False)
    assert placed.count() == run.assigned
    for programme in programmes:
        cutoff = Cutoff.objects.get(round=round_, programme=programme)
        assert cutoff.admitted == placed.filter(assigned=programme).count() <= programme.capacity
    state = LogState.objects.get()
    assert state.size == (size_before.size if size_before else 0) + 1
    assert run.log_index == state.size - 1


def test_the_exported_round_gives_the_same_result_with_the_command(tmp_path: Path) -> None:
    round_, _programmes, _applications = _market(seed=3, families=15)
    run = round_run(round_=round_, by_user=None, seed=20260901)
    source = tmp_path / "round.json"
    target = tmp_path / "result.json"
    call_command("education", "export", "--round", str(round_.pk), "--output", str(source))
    call_command("education", "match", "--input", str(source), "--output", str(target))
    result = json.loads(target.read_text())
    assert result["input_sha256"] == run.input_sha256
    assert result_sha256(result) == run.result_sha256
    stored = {
        f"a{a.pk}": f"p{a.assigned_id}" if a.assigned_id else None
        for a in Application.objects.filter(round=round_)
    }
    assert result["assignments"] == stored


def test_a_family_sees_why_not_for_each_choice_above_its_place() -> None:
    round_ = RoundFactory.create()
    popular, fallback = ProgrammeFactory.create(capacity=1), ProgrammeFactory.create(capacity=5)
    near = apply_for(round_, [popular, fallback])
    assert near.child.apartment is not None
    Territory.objects.create(
        institution=popular.institution, building=near.child.apartment.building
    )
    far = [apply_for(round_, [popular, fallback]) for _ in range(3)]
    round_run(round_=close(round_), by_user=None, seed=1)
    near.refresh_from_db()
    assert near.assigned == popular
    for application in far:
        application.refresh_from_db()
        [first, second] = selectors.results_of(application)
        assert first.reason == Reason.HIGHER_GROUP
        assert first.cutoff is not None and first.cutoff.group == 4
        assert second.admitted


def test_same_group_loses_by_the_lottery_above_the_cutoff() -> None:
    round_ = RoundFactory.create()
    popular, fallback = ProgrammeFactory.create(capacity=1), ProgrammeFactory.create(capacity=5)
    applications = [apply_for(round_, [popular, fallback]) for _ in range(3)]
    round_run(round_=close(round_), by_user=None, seed=5)
    cutoff = Cutoff.objects.get(programme=popular)
    for application in applications:
        application.refresh_from_db()
        if application.assigned == popular:
            assert application.lottery == cutoff.lottery
            continue
        [first, _second] = selectors.results_of(application)
        assert first.reason == Reason.LOTTERY
        assert application.lottery is not None and cutoff.lottery is not None
        assert application.lottery > cutoff.lottery


def test_publishing_offers_places_and_tells_every_family() -> None:
    round_, _programmes, applications = _market()
    round_run(round_=round_, by_user=None, seed=9)
    round_publish(round_=round_, by_user=None)
    admitted = Application.objects.filter(assigned__isnull=False)
    assert Offer.objects.filter(status=Offer.Status.OFFERED).count() == admitted.count()
    assert Notification.objects.filter(kind="education.result").count() == len(applications)


def _rank_of_place(application: Application) -> int:
    application.refresh_from_db()
    if application.assigned_id is None:
        return 99
    return application.choices.get(programme_id=application.assigned_id).rank


@pytest.mark.parametrize("seed", [1, 2, 3, 4], ids=["s1", "s2", "s3", "s4"])
def test_a_declined_place_makes_nobody_else_worse_off(seed: int) -> None:
    round_, _programmes, applications = _market(seed=seed, families=14)
    round_run(round_=round_, by_user=None, seed=seed)
    round_publish(round_=round_, by_user=None)
    rng = random.Random(seed)
    for _ in range(3):
        live = list(Offer.objects.filter(status=Offer.Status.OFFERED))
        if not live:
            break
        offer = rng.choice(live)
        before = {a.pk: _rank_of_place(a) for a in applications}
        parent = offer.application.guardian
        offer_decline(offer=offer, user=account(parent))
        for application in applications:
            if application.pk != offer.application_id:
                assert _rank_of_place(application) <= before[application.pk]
        assert Run.objects.filter(round=round_, kind=Run.Kind.WAITLIST).exists()


def test_the_freed_place_goes_to_the_next_by_priority_then_lottery() -> None:
    round_ = RoundFactory.create()
    popular, fallback = ProgrammeFactory.create(capacity=1), ProgrammeFactory.create(capacity=5)
    applications = [apply_for(round_, [popular, fallback]) for _ in range(4)]
    round_run(round_=close(round_), by_user=None, seed=11)
    round_publish(round_=round_, by_user=None)
    for application in applications:
        application.refresh_from_db()
    holder = next(a for a in applications if a.assigned == popular)
    next_in_line = min(
        (a for a in applications if a.assigned != popular), key=lambda a: a.lottery or 0
    )
    offer = Offer.objects.get(application=holder, status=Offer.Status.OFFERED)
    offer_decline(offer=offer, user=account(holder.guardian))
    next_in_line.refresh_from_db()
    assert next_in_line.assigned == popular
    assert Offer.objects.filter(
        application=next_in_line, programme=popular, status=Offer.Status.OFFERED
    ).exists()
    assert Offer.objects.filter(application=next_in_line, status=Offer.Status.SUPERSEDED).exists()
    holder.refresh_from_db()
    assert holder.status == Application.Status.DECLINED
    assert Cutoff.objects.get(programme=popular).lottery == next_in_line.lottery


def test_an_accepted_place_is_kept_and_answered_once() -> None:
    round_ = RoundFactory.create()
    application = apply_for(round_, [ProgrammeFactory.create()])
    round_run(round_=close(round_), by_user=None, seed=1)
    round_publish(round_=round_, by_user=None)
    offer = Offer.objects.get(application=application)
    offer_accept(offer=offer, user=account(application.guardian))
    with pytest.raises(ApplicationError) as refused:
        offer_decline(offer=offer, user=account(application.guardian))
    assert refused.value.field == "offer"


def test_only_the_family_answers_an_offer() -> None:
    round_ = RoundFactory.create()
    application = apply_for(round_, [ProgrammeFactory.create()])
    round_run(round_=close(round_), by_user=None, seed=1)
    round_publish(round_=round_, by_user=None)
    offer = Offer.objects.get(application=application)
    with pytest.raises(ApplicationError):
        offer_accept(offer=offer, user=account(CitizenFactory.create()))
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OFFERED


def test_offers_past_their_deadline_expire_and_pass_on() -> None:
    round_ = RoundFactory.create()
    popular = ProgrammeFactory.create(capacity=1)
    applications = [apply_for(round_, [popular]) for _ in range(2)]
    round_run(round_=close(round_), by_user=None, seed=2)
    round_publish(round_=round_, by_user=None)
    assert offers_expire() == 0
    later = timezone.now() + dt.timedelta(days=8)
    assert offers_expire(now=later) == 1
    statuses = sorted(Offer.objects.values_list("status", flat=True))
    assert statuses == [Offer.Status.EXPIRED, Offer.Status.OFFERED]
    waiting = [a for a in applications if Offer.objects.filter(application=a, status="offered")]
    assert len(waiting) == 1


def test_a_verified_right_counts_at_the_run() -> None:
    round_ = RoundFactory.create()
    popular = ProgrammeFactory.create(capacity=1)
    others = [apply_for(round_, [popular]) for _ in range(3)]
    entitled = apply_for(round_, [popular], claims=[ClaimIn(category="extraordinary")])
    entitled.claims.update(document_status="verified")
    round_run(round_=close(round_), by_user=None, seed=4)
    entitled.refresh_from_db()
    assert entitled.assigned == popular
    assert all(Application.objects.get(pk=a.pk).assigned is None for a in others)
    assert isinstance(entitled.child, Citizen)


def test_the_waiting_list_is_in_priority_then_lottery_order() -> None:
    _round, popular, applications = decided_round(families=4)
    waiting = sorted(
        (a for a in applications if a.assigned != popular), key=lambda a: a.lottery or 0
    )
    positions = [selectors.results_of(a)[0].position for a in waiting]
    assert positions == [1, 2, 3]
    holder = next(a for a in applications if a.assigned == popular)
    offer_decline(
        offer=Offer.objects.get(application=holder, status="offered"),
        user=account(holder.guardian),
    )
    first = Application.objects.get(pk=waiting[0].pk)
    assert first.assigned == popular
    assert [selectors.results_of(a)[0].position for a in waiting[1:]] == [1, 2]
