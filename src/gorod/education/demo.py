"""The demo city's enrolment: programmes, territories, two run rounds and an open one.

Run by ``gorod demo`` after the city is seeded and the demo accounts exist. Deterministic
(``seed``), idempotent (nothing is done when programmes exist), and quick. Places are scaled
to the synthetic city (a few per group instead of twenty-five), tighter in about a third of
the districts, so that some districts have more demand than places.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.education import rules, services
from gorod.education.models import (
    Application,
    Choice,
    Kind,
    PriorityClaim,
    Programme,
    Round,
    Territory,
)
from gorod.people.demo import CITIZEN_EMAIL
from gorod.people.models import Citizen, Guardianship
from gorod.places import selectors as places
from gorod.places.models import Building, Institution

if TYPE_CHECKING:
    from gorod.places.management.commands.demo import Child

# (name, youngest months, oldest months exclusive, schedule)
KINDERGARTEN_GROUPS = (
    ("Ясельная группа (1,5–3 года)", 18, 36, "пн–пт 7:00–19:00"),
    ("Младшая и средняя группа (3–5 лет)", 36, 60, "пн–пт 7:00–19:00"),
    ("Старшая и подготовительная группа (5–7 лет)", 60, 84, "пн–пт 7:00–19:00"),
)
SCHOOL_GROUPS = (("1 класс", 78, 97, "пн–пт с 8:30"),)
CLUB_GROUPS = (
    ("Младшая группа (5–10 лет)", 60, 120, "вт, чт 16:00–17:30"),
    ("Старшая группа (10–18 лет)", 120, 216, "пн, ср 17:00–19:00"),
)
GROUPS: dict[str, tuple[tuple[str, int, int, str], ...]] = {
    Kind.KINDERGARTEN: KINDERGARTEN_GROUPS,
    Kind.SCHOOL: SCHOOL_GROUPS,
    Kind.CLUB: CLUB_GROUPS,
}
SHARES: dict[str, dict[tuple[int, int], float]] = {
    Kind.KINDERGARTEN: {(18, 48): 0.9, (48, 84): 0.3},
    Kind.SCHOOL: {(78, 97): 0.95},
    Kind.CLUB: {(60, 216): 0.25},
}


def _school_year(today: dt.date) -> int:
    """Enrolment fills the places of the next school year that has not begun."""
    return today.year + 1 if (today.month, today.day) >= (9, 1) else today.year


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot((a[0] - b[0]) * 0.56, a[1] - b[1])  # lon shrunk at Moscow's latitude


def _places(rng: random.Random, demand: float, tight: bool, slots: int) -> list[int]:
    """Free places for one age group of one district, spread over its ``slots`` institutions:
    fewer than the children who may apply in a tight district, more elsewhere."""
    factor = rng.uniform(0.6, 0.85) if tight else rng.uniform(1.15, 1.5)
    spread = [0] * slots
    for _unit in range(max(1, round(demand * factor))):
        spread[rng.randrange(slots)] += 1
    return spread


def _programmes(
    rng: random.Random, year: int, demand: dict[tuple[int, str, int], float], tight: set[int]
) -> dict[str, list[Programme]]:
    """Each institution's groups; the places of a district's age group follow its demand."""
    institutions = list(
        Institution.objects.filter(
            kind__in=[Kind.KINDERGARTEN, Kind.SCHOOL, Kind.CLUB], is_active=True
        ).order_by("pk")
    )
    by_district: dict[tuple[int, str], list[Institution]] = defaultdict(list)
    for institution in institutions:
        by_district[(institution.district_id, institution.kind)].append(institution)
    rows = []
    for (district, kind), present in sorted(by_district.items()):
        for index, (name, low, high, schedule) in enumerate(GROUPS[kind]):
            wanted = demand.get((district, kind, index), 0)
            spread = _places(rng, wanted, district in tight, len(present))
            rows += [
                Programme(
                    institution=institution,
                    kind=kind,
                    name=name,
                    year=year,
                    min_age_months=low,
                    max_age_months=high,
                    schedule=schedule,
                    capacity=capacity,
                )
                for institution, capacity in zip(present, spread, strict=True)
            ]
    Programme.objects.bulk_create(rows)
    by_kind: dict[str, list[Programme]] = defaultdict(list)
    for programme in Programme.objects.filter(year=year).select_related("institution"):
        by_kind[programme.kind].append(programme)
    return by_kind


def _demand(
    children: list[tuple[Citizen, Citizen]], year: int
) -> dict[tuple[int, str, int], float]:
    """Expected applicants per (district, kind, age group)."""
    day = rules.school_year_start(year)
    counts: dict[tuple[int, str, int], float] = defaultdict(float)
    for child, _guardian in children:
        if child.apartment is None:
            continue
        months = rules.months_on(child.birth_date, day)
        for kind, groups in GROUPS.items():
            share = _share(kind, months)
            for index, (_name, low, high, _schedule) in enumerate(groups):
                if low <= months < high:
                    counts[(child.apartment.building.district_id, kind, index)] += share
    return counts


def _share(kind: str, months: int) -> float:
    """How many of the children of an age apply: most first-graders and toddlers."""
    return next((share for (low, high), share in SHARES[kind].items() if low <= months < high), 0.0)


def _territories() -> None:
    """Each building goes to the nearest kindergarten and the nearest school of its district."""
    places: dict[tuple[int, str], list[Institution]] = defaultdict(list)
    for institution in Institution.objects.filter(
        kind__in=[Kind.KINDERGARTEN, Kind.SCHOOL], is_active=True
    ):
        places[(institution.district_id, institution.kind)].append(institution)
    rows = []
    for building in Building.objects.all().only("pk", "district_id", "lat", "lon"):
        for kind in (Kind.KINDERGARTEN, Kind.SCHOOL):
            nearby = places.get((building.district_id, kind))
            if nearby:
                nearest = min(
                    nearby,
                    key=lambda i: (_distance((i.lon, i.lat), (building.lon, building.lat)), i.pk),
                )
                rows.append(Territory(institution=nearest, building=building))
    Territory.objects.bulk_create(rows)


def _round(kind: str, year: int, now: dt.datetime, *, open_now: bool) -> Round:
    names: dict[str, str] = {
        Kind.KINDERGARTEN: "Комплектование детских садов",
        Kind.SCHOOL: "Приём в первые классы",
        Kind.CLUB: "Запись в кружки и секции",
    }
    opens, closes = (
        (now - dt.timedelta(days=10), now + dt.timedelta(days=30))
        if open_now
        else (now - dt.timedelta(days=60), now - dt.timedelta(days=30))
    )
    return Round.objects.create(
        kind=kind,
        year=year,
        name=f"{names[kind]} на {year}/{year + 1} учебный год",
        opens_at=opens,
        closes_at=closes,
        max_choices=rules.DEFAULT_MAX_CHOICES[kind],
        status=Round.Status.OPEN if open_now else Round.Status.CLOSED,
    )


def _home(child: Citizen) -> tuple[float, float] | None:
    apartment = child.apartment
    if apartment is None:
        return None
    return (apartment.building.lon, apartment.building.lat)


def _pick(
    rng: random.Random, home: tuple[float, float], fitting: list[Programme], count: int
) -> list[Programme]:
    """Mostly the nearest programmes, in an order a family might choose."""
    near = sorted(
        (p for p in fitting if p.capacity > 0),  # families see which groups have places
        key=lambda p: (_distance((p.institution.lon, p.institution.lat), home), p.pk),
    )[: count + 3]
    weights = [1 / (position + 1) for position in range(len(near))]
    picked: list[Programme] = []
    while near and len(picked) < count:
        index = rng.choices(range(len(near)), weights=weights)[0]
        picked.append(near.pop(index))
        weights.pop(index)
    return picked


def _apply_all(
    rng: random.Random,
    round_: Round,
    programmes: list[Programme],
    children: list[tuple[Citizen, Citizen]],
) -> int:
    """Applications for the children of the round's ages, with the share by age that apply."""
    day = rules.school_year_start(round_.year)
    applications: list[tuple[Application, list[Programme]]] = []
    for child, guardian in children:
        months = rules.months_on(child.birth_date, day)
        home = _home(child)
        wanted = _share(round_.kind, months)
        if home is None or not rules.age_fits(round_.kind, months) or rng.random() >= wanted:
            continue
        fitting = [p for p in programmes if p.min_age_months <= months < p.max_age_months]
        picked = _pick(rng, home, fitting, rng.randint(1, round_.max_choices))
        if picked:
            application = Application(round=round_, child=child, guardian=guardian)
            applications.append((application, picked))
    Application.objects.bulk_create([a for a, _chosen in applications])
    Choice.objects.bulk_create(
        Choice(application=application, programme=programme, rank=rank)
        for application, picked in applications
        for rank, programme in enumerate(picked, start=1)
    )
    claims = []
    for application, _chosen in applications:
        roll = rng.random()
        if roll < 0.03:
            category, status = "extraordinary", PriorityClaim.Document.VERIFIED
        elif roll < 0.10:
            category, status = "priority", PriorityClaim.Document.VERIFIED
        elif roll < 0.12:
            category, status = "priority", PriorityClaim.Document.REJECTED
        else:
            continue
        claims.append(
            PriorityClaim(
                application=application,
                category=category,
                document=f"Удостоверение № {rng.randint(100000, 999999)}",
                document_status=status,
            )
        )
    PriorityClaim.objects.bulk_create(claims)
    return len(applications)


def _children(family: set[int]) -> list[tuple[Citizen, Citizen]]:
    """Each seeded child (not the demo family's) with the first of their guardians."""
    first_guardian: dict[int, Citizen] = {}
    for link in Guardianship.objects.select_related(
        "child__apartment__building", "guardian"
    ).order_by("pk"):
        if link.child_id not in family:
            first_guardian.setdefault(link.child_id, link.guardian)
    children = Citizen.objects.filter(pk__in=first_guardian).select_related("apartment__building")
    return [(child, first_guardian[child.pk]) for child in children.order_by("pk")]


def _demo_family() -> tuple[Citizen | None, list[Citizen]]:
    parent = Citizen.objects.filter(user__email=CITIZEN_EMAIL).first()
    if parent is None:
        return None, []
    kids = Citizen.objects.filter(guardians__guardian=parent).select_related("apartment__building")
    return parent, list(kids.order_by("birth_date"))


def _family_applies(
    rng: random.Random,
    parent: Citizen,
    kids: list[Citizen],
    rounds: dict[str, Round],
    programmes: dict[str, list[Programme]],
) -> None:
    """The demo family: the younger child in the kindergarten round, the older one in clubs."""
    for child in kids:
        for kind in (Kind.KINDERGARTEN, Kind.CLUB):
            round_ = rounds[kind]
            months = rules.months_on(child.birth_date, rules.school_year_start(round_.year))
            home = _home(child)
            if home is None or not rules.age_fits(kind, months):
                continue
            if kind == Kind.CLUB and rules.age_fits(Kind.KINDERGARTEN, months):
                continue  # the younger one's kindergarten is enough
            fitting = [p for p in programmes[kind] if p.min_age_months <= months < p.max_age_months]
            picked = _pick(rng, home, fitting, round_.max_choices)
            application = Application.objects.create(round=round_, child=child, guardian=parent)
            Choice.objects.bulk_create(
                Choice(application=application, programme=programme, rank=rank)
                for rank, programme in enumerate(picked, start=1)
            )


def demo_prepare(*, seed: int, stdout: Any) -> None:
    """Programmes, territories, a run and published kindergarten and first-grade round, and an
    open club round with the demo family's application."""
    if Programme.objects.exists():
        return
    with transaction.atomic():
        rng = random.Random(seed)  # noqa: S311  (synthetic demo data, not a secret)
        now = timezone.now().replace(microsecond=0)
        year = _school_year(timezone.localdate())
        parent, kids = _demo_family()
        children = _children({kid.pk for kid in kids})
        districts = sorted(Institution.objects.values_list("district_id", flat=True).distinct())
        tight = set(rng.sample(districts, len(districts) // 3))
        home = places.demo_home_district()
        if home is not None:
            tight.add(home.pk)
        programmes = _programmes(rng, year, _demand(children, year), tight)
        if home is not None:  # the demo school administrator has children to see
            school = places.institution_near(kind=Kind.SCHOOL, district=home)
            for programme in programmes[Kind.SCHOOL]:
                if programme.institution_id == getattr(school, "pk", None):
                    programme.capacity = max(programme.capacity, 2)
                    programme.save(update_fields=["capacity"])
        _territories()
        rounds: dict[str, Round] = {
            Kind.KINDERGARTEN: _round(Kind.KINDERGARTEN, year, now, open_now=False),
            Kind.SCHOOL: _round(Kind.SCHOOL, year, now, open_now=False),
            Kind.CLUB: _round(Kind.CLUB, year, now, open_now=True),
        }
        counts = {
            kind: _apply_all(rng, round_, programmes[kind], children)
            for kind, round_ in rounds.items()
        }
        if parent is not None:
            _family_applies(rng, parent, kids, rounds, programmes)
        for kind in (Kind.KINDERGARTEN, Kind.SCHOOL):
            services.round_run(round_=rounds[kind], by_user=None, seed=seed + len(kind))
            services.round_publish(round_=rounds[kind], by_user=None)
    stdout.write(
        _(
            "Enrolment: %(programmes)d programmes; %(kindergarten)d kindergarten and "
            "%(school)d first-grade applications decided, %(club)d club applications open"
        )
        % {
            "programmes": sum(len(listed) for listed in programmes.values()),
            "kindergarten": counts[Kind.KINDERGARTEN],
            "school": counts[Kind.SCHOOL],
            "club": counts[Kind.CLUB],
        }
    )


def demo_children(*, env: dict[str, str]) -> list[Child]:
    """Offers expire on time in the demo too: the tick runs every minute beside the web."""
    from gorod.places.management.commands.demo import Child

    tick = [sys.executable, "-m", "gorod.cli", "education", "tick", "--every", "60"]
    return [Child("enrolment-offers", tick)]
