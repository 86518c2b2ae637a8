"""Factories for enrolment: programmes, open rounds, and children of an exact age."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from gorod.education import rules
from gorod.education.models import Application, Kind, Programme, Round
from gorod.education.services import application_submit, round_publish, round_run
from gorod.people.models import Citizen
from tests.people.factories import CitizenFactory, account, child_of
from tests.places.factories import InstitutionFactory

YEAR = 2027


class ProgrammeFactory(factory.django.DjangoModelFactory[Programme]):
    """A kindergarten group for children from 3 to 4 years old."""

    class Meta:
        model = Programme

    institution = factory.SubFactory(InstitutionFactory, kind="kindergarten")
    kind = Kind.KINDERGARTEN
    name = factory.Sequence(lambda n: f"Группа {n}")
    year = YEAR
    min_age_months = 36
    max_age_months = 48
    schedule = "пн–пт 7:00–19:00"
    capacity = 2


def school_programme(**kwargs: object) -> Programme:
    return ProgrammeFactory.create(
        institution=kwargs.pop("institution", None) or InstitutionFactory.create(kind="school"),
        kind=Kind.SCHOOL,
        min_age_months=78,
        max_age_months=97,
        **kwargs,
    )


class RoundFactory(factory.django.DjangoModelFactory[Round]):
    """A kindergarten round, open now."""

    class Meta:
        model = Round

    kind = Kind.KINDERGARTEN
    year = YEAR
    name = factory.Sequence(lambda n: f"Приём в детские сады {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    max_choices = 3
    status = Round.Status.OPEN


def born_months_before(months: int, year: int = YEAR) -> dt.date:
    """A birth date that makes a child exactly ``months`` old on 1 September of ``year``."""
    total = year * 12 + 8 - months
    born = dt.date(total // 12, total % 12 + 1, 1)
    assert rules.months_on(born, rules.school_year_start(year)) == months
    return born


def kid_of(parent: Citizen, months: int = 40, **kwargs: object) -> Citizen:
    return child_of(parent, birth_date=born_months_before(months), **kwargs)


def apply_for(round_: Round, programmes: list[Programme], **kwargs: object) -> Application:
    """A new family applies for a child of 40 months in ``round_``."""
    parent = CitizenFactory.create()
    child = kid_of(parent)
    return application_submit(
        round_=round_,
        child=child,
        user=account(parent),
        programme_ids=[p.pk for p in programmes],
        **kwargs,  # type: ignore[arg-type]
    )


def close(round_: Round) -> Round:
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED)
    round_.refresh_from_db()
    return round_


def decided_round(families: int = 3, seed: int = 5) -> tuple[Round, Programme, list[Application]]:
    """A published round: ``families`` want one place at a popular group, with a fallback."""
    round_ = RoundFactory.create()
    popular = ProgrammeFactory.create(capacity=1, name="Популярная группа")
    fallback = ProgrammeFactory.create(capacity=families, name="Запасная группа")
    applications = [apply_for(round_, [popular, fallback]) for _ in range(families)]
    round_run(round_=close(round_), by_user=None, seed=seed)
    round_publish(round_=round_, by_user=None)
    round_.refresh_from_db()
    for application in applications:
        application.refresh_from_db()
    return round_, popular, applications
