"""The demo city, planned in memory: buildings, apartments, households and institutions.

Pure and deterministic: the same districts, number of residents and seed give the same plan,
so a demo can be rebuilt exactly. Everything in it is synthetic: people are random
combinations of common names with generated SNILS, streets are generated names, and only the
district boundaries are real. Ages are counted on :data:`REFERENCE_DAY`, not on today, so
the plan does not change with the calendar.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from shapely.geometry.base import BaseGeometry

from gorod.people import snils
from gorod.places import names
from gorod.places.geo import sample_points
from gorod.places.hours import WEEKDAYS as WEEK

REFERENCE_DAY = dt.date(2026, 9, 1)
# Share of apartments with a resident in the plan: the rest are homes of people not modelled.
OCCUPANCY = 0.6
CENTRAL_OKRUG = "ЦАО"
# How many residents a district draws, by kind of district: settlements are sparse.
KIND_WEIGHT = {"district": 1.0, "urban_okrug": 0.8, "settlement": 0.25}


@dataclass(frozen=True)
class DistrictSite:
    """A district as the planner needs it: ``key`` is whatever the caller uses to find it."""

    key: int
    name: str
    kind: str
    okrug_abbrev: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class PlannedApartment:
    number: str
    floor: int
    rooms: int
    area_m2: Decimal


@dataclass
class PlannedBuilding:
    district_id: int
    address: str
    lon: float
    lat: float
    year_built: int
    floors: int
    apartments: list[PlannedApartment] = field(default_factory=list)


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    patronymic: str
    birth_date: dt.date
    snils: str
    oms_policy: str


@dataclass
class Household:
    """People living together; ``parents`` and ``children`` index ``members``."""

    members: list[Person]
    parents: list[int]
    children: list[int]
    building: int = -1
    apartment: int = -1


@dataclass(frozen=True)
class PlannedInstitution:
    kind: str
    name: str
    short_name: str
    district: int
    building: int
    opening_hours: dict[str, list[list[str]]]


@dataclass
class CityPlan:
    buildings: list[PlannedBuilding]
    households: list[Household]
    institutions: list[PlannedInstitution]

    @property
    def citizens(self) -> int:
        return sum(len(h.members) for h in self.households)


def age_on(birth: dt.date, day: dt.date = REFERENCE_DAY) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class PeopleMaker:
    """Makes persons with gender-consistent names and unique, valid SNILS."""

    def __init__(self, rng: random.Random, taken_snils: set[str]) -> None:
        self.rng = rng
        self.snils_used = set(taken_snils)

    def birth_date(self, age: int) -> dt.date:
        return REFERENCE_DAY - dt.timedelta(days=int((age + self.rng.random()) * 365.2425))

    def _snils(self) -> str:
        while True:
            number = snils.generate(self.rng)
            if number not in self.snils_used:
                self.snils_used.add(number)
                return number

    def male_name(self, born: int) -> tuple[str, str, str]:
        pool = names.MALE_NAMES + (
            names.MALE_NAMES_OLDER if born < 1975 else names.MALE_NAMES_YOUNGER * (born >= 2000)
        )
        return self.rng.choice(pool)

    def female_name(self, born: int) -> str:
        pool = names.FEMALE_NAMES + (
            names.FEMALE_NAMES_OLDER if born < 1975 else names.FEMALE_NAMES_YOUNGER * (born >= 2000)
        )
        return self.rng.choice(pool)

    def person(
        self, *, age: int, male: bool, surname: str, father: tuple[str, str, str] | None = None
    ) -> Person:
        """``surname`` in its masculine form; ``father`` gives the patronymic."""
        birth = self.birth_date(age)
        father = father or self.male_name(birth.year - 30)
        if male:
            first_name = self.male_name(birth.year)[0]
            last_name, patronymic = surname, father[1]
        else:
            first_name = self.female_name(birth.year)
            last_name, patronymic = names.feminine_surname(surname), father[2]
        oms = f"{self.rng.randrange(10**15, 10**16)}" if self.rng.random() < 0.85 else ""
        return Person(last_name, first_name, patronymic, birth, self._snils(), oms)

    def surname(self) -> str:
        return self.rng.choice(names.SURNAMES)


def _children_ages(rng: random.Random, count: int) -> list[int]:
    """Ages of ``count`` siblings (fewer when the eldest is too young), eldest first."""
    eldest = rng.randint(0, 17)
    younger = range(max(0, eldest - 10), eldest)
    return [eldest, *sorted(rng.sample(younger, min(count - 1, len(younger))), reverse=True)]


def _family(make: PeopleMaker, *, children: int, single: bool = False) -> Household:
    """Parents (or one parent) and ``children`` children under 18."""
    rng = make.rng
    ages = _children_ages(rng, children)
    mother_age = ages[0] + rng.randint(22, 36)
    surname = make.surname()
    dad = mum = None
    if not single or rng.random() < 0.2:
        dad_age = max(20, mother_age + rng.randint(-3, 7))
        dad = make.person(age=dad_age, male=True, surname=surname)
    if dad is None or not single:
        keeps_name = dad is None or rng.random() < 0.85
        mum = make.person(
            age=mother_age, male=False, surname=surname if keeps_name else make.surname()
        )
    adults = [p for p in (dad, mum) if p is not None]
    father = (dad.first_name, *PATRONYMICS[dad.first_name]) if dad else None
    kids = [
        make.person(age=age, male=rng.random() < 0.51, surname=surname, father=father)
        for age in ages
    ]
    parents = list(range(len(adults)))
    return Household(adults + kids, parents, list(range(len(adults), len(adults) + len(kids))))


PATRONYMICS = {
    first: (son, daughter)
    for first, son, daughter in (
        names.MALE_NAMES + names.MALE_NAMES_OLDER + names.MALE_NAMES_YOUNGER
    )
}


def _single(make: PeopleMaker, *, age: int, male_share: float) -> Household:
    person = make.person(age=age, male=make.rng.random() < male_share, surname=make.surname())
    return Household([person], [], [])


def _couple(make: PeopleMaker, age: int) -> Household:
    surname = make.surname()
    husband = make.person(age=age, male=True, surname=surname)
    wife = make.person(age=max(18, age + make.rng.randint(-7, 3)), male=False, surname=surname)
    return Household([husband, wife], [], [])


def _with_grandparent(make: PeopleMaker) -> Household:
    household = _family(make, children=make.rng.choices((1, 2), (60, 40))[0])
    household.members += _single(make, age=make.rng.randint(62, 88), male_share=0.25).members
    return household


# Kinds of household and how often each occurs (per 100).
HOUSEHOLDS: tuple[tuple[Callable[[PeopleMaker], Household], int], ...] = (
    (lambda m: _family(m, children=m.rng.choices((1, 2, 3), (45, 40, 15))[0]), 30),
    (lambda m: _family(m, children=m.rng.choices((1, 2, 3), (60, 32, 8))[0], single=True), 7),
    (_with_grandparent, 5),
    (lambda m: _couple(m, m.rng.randint(22, 59)), 14),
    (lambda m: _couple(m, m.rng.randint(60, 86)), 10),
    (lambda m: _single(m, age=m.rng.randint(18, 59), male_share=0.5), 20),
    (lambda m: _single(m, age=m.rng.randint(60, 92), male_share=0.3), 14),
)


def _household(make: PeopleMaker) -> Household:
    build = make.rng.choices([b for b, _ in HOUSEHOLDS], [w for _, w in HOUSEHOLDS])[0]
    return build(make)


def households_plan(make: PeopleMaker, citizens: int) -> list[Household]:
    """Households of exactly ``citizens`` people; the last one is cut to fit."""
    households: list[Household] = []
    total = 0
    while total < citizens:
        household = _household(make)
        keep = min(len(household.members), citizens - total)
        if keep < len(household.members):
            household = Household(
                household.members[:keep],
                [i for i in household.parents if i < keep],
                [i for i in household.children if i < keep],
            )
            if not household.parents:
                household.children = []
        households.append(household)
        total += keep
    return households


def _shares(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    shares = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


# Building eras: (first year, last year, floor choices, apartments per floor), with weights.
_ERAS_CENTRE = (
    ((1880, 1916, (3, 4, 5, 6), 2), 35),
    ((1930, 1956, (5, 6, 7, 8, 9), 3), 40),
    ((1995, 2024, (7, 9, 12, 16), 3), 25),
)
_ERAS_SETTLEMENT = (
    ((1965, 1995, (2, 3, 5), 3), 40),
    ((2008, 2025, (9, 12, 14, 17), 4), 60),
)
_ERAS_CITY = (
    ((1950, 1957, (5, 6, 8), 3), 8),
    ((1958, 1968, (5,), 4), 20),
    ((1969, 1990, (9, 12, 14, 16), 4), 35),
    ((1991, 2009, (14, 17, 22), 4), 20),
    ((2010, 2025, (14, 17, 22, 25), 4), 17),
)
_ROOM_AREAS = {1: (30.0, 42.0), 2: (42.0, 62.0), 3: (58.0, 88.0), 4: (80.0, 130.0)}


def _eras(site: DistrictSite) -> tuple[tuple[tuple[int, int, tuple[int, ...], int], int], ...]:
    if site.okrug_abbrev == CENTRAL_OKRUG:
        return _ERAS_CENTRE
    if site.kind == "settlement":
        return _ERAS_SETTLEMENT
    return _ERAS_CITY


def _residential(rng: random.Random, site: DistrictSite) -> tuple[int, int, list[PlannedApartment]]:
    eras = _eras(site)
    (first, last, floor_choices, per_floor), _ = rng.choices(eras, [w for _, w in eras])[0]
    floors = rng.choice(floor_choices)
    entrances = rng.choice((1, 2)) if floors > 12 else rng.choice((1, 2, 2, 3))
    per_entrance = floors * per_floor
    apartments = []
    for number in range(1, entrances * per_entrance + 1):
        rooms = rng.choices((1, 2, 3, 4), (30, 38, 26, 6))[0]
        low, high = _ROOM_AREAS[rooms]
        floor = (number - 1) % per_entrance // per_floor + 1
        area = Decimal(f"{rng.uniform(low, high):.1f}")
        apartments.append(PlannedApartment(str(number), floor, rooms, area))
    return rng.randint(first, last), floors, apartments


def _street_names(rng: random.Random) -> Iterator[str]:
    """Unique street names, plain ones first, then '1-я ...', '2-я ...' and so on."""
    ordinal = 0
    while True:
        batch = [
            names.street_name(stem, kind, gender, ordinal)
            for stem in names.STREET_STEMS
            for kind, gender in names.STREET_KINDS
        ]
        rng.shuffle(batch)
        yield from batch
        ordinal += 1


class _Streets:
    """Addresses in one district: houses along streets of its own."""

    def __init__(self, rng: random.Random, pool: Iterator[str], site: DistrictSite) -> None:
        self.rng, self.pool = rng, pool
        self.locality = {
            "settlement": f"Москва, поселение {site.name}, ",
            "urban_okrug": f"Москва, {site.name}, ",
        }.get(site.kind, "Москва, ")
        self.street = ""
        self.number = self.left = 0

    def next_address(self) -> str:
        if self.left == 0:
            self.street = next(self.pool)
            self.number, self.left = self.rng.randint(1, 5), self.rng.randint(4, 14)
        else:
            self.number += self.rng.randint(1, 4)
        self.left -= 1
        return f"{self.locality}{self.street}, д. {self.number}"


class _Numbers:
    """Institution numbers, unique city-wide and in random order."""

    def __init__(self, rng: random.Random, limit: int) -> None:
        self.free = list(range(1, limit + 1))
        rng.shuffle(self.free)
        self.next_extra = limit + 1

    def take(self) -> int:
        if self.free:
            return self.free.pop()
        self.next_extra += 1
        return self.next_extra - 1


def _hours(days: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    return {day: [list(span) for span in days.get(day, [])] for day in WEEK}


_WORKDAYS = WEEK[:5]
OPENING_HOURS: dict[str, dict[str, list[list[str]]]] = {
    "registry_office": _hours(
        {d: [["09:00", "13:00"], ["13:45", "18:00"]] for d in _WORKDAYS}
        | {"sat": [["10:00", "16:00"]]}
    ),
    "service_centre": _hours({d: [["08:00", "20:00"]] for d in WEEK}),
    "clinic": _hours(
        {d: [["08:00", "20:00"]] for d in _WORKDAYS}
        | {"sat": [["09:00", "18:00"]], "sun": [["09:00", "16:00"]]}
    ),
    "kindergarten": _hours({d: [["07:00", "19:00"]] for d in _WORKDAYS}),
    "school": _hours({d: [["08:00", "18:00"]] for d in _WORKDAYS} | {"sat": [["09:00", "14:00"]]}),
    "club": _hours({d: [["10:00", "21:00"]] for d in WEEK[1:]}),
}
INSTITUTION_FLOORS = {
    "registry_office": (2, 3),
    "service_centre": (2, 3),
    "clinic": (3, 5),
    "kindergarten": (2, 2),
    "school": (3, 4),
    "club": (2, 3),
}


@dataclass
class _Planner:
    rng: random.Random
    buildings: list[PlannedBuilding] = field(default_factory=list)
    institutions: list[PlannedInstitution] = field(default_factory=list)
    numbers: dict[str, _Numbers] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.streets = _street_names(self.rng)
        self.numbers = {
            "clinic": _Numbers(self.rng, 400),
            "children_clinic": _Numbers(self.rng, 300),
            "kindergarten": _Numbers(self.rng, 3000),
            "school": _Numbers(self.rng, 3000),
        }

    def district(
        self, site: DistrictSite, households: list[Household], *, okrug_index: int
    ) -> None:
        rng = self.rng
        streets = _Streets(rng, self.streets, site)
        homes: list[PlannedBuilding] = []
        need = math.ceil(len(households) / OCCUPANCY)
        while not homes or sum(len(b.apartments) for b in homes) < need:
            year, floors, apartments = _residential(rng, site)
            homes.append(PlannedBuilding(site.key, "", 0, 0, year, floors, apartments))
        offices = self._institutions(site, households, okrug_index=okrug_index)
        points = sample_points(site.geometry, len(homes) + len(offices), rng)
        first_home = len(self.buildings)
        for building, (lon, lat) in zip(homes, points, strict=False):
            building.address, building.lon, building.lat = streets.next_address(), lon, lat
            self.buildings.append(building)
        slots = [(b, a) for b, home in enumerate(homes) for a in range(len(home.apartments))]
        rng.shuffle(slots)
        for household, (b, a) in zip(households, slots, strict=False):
            household.building, household.apartment = first_home + b, a
        for (kind, name, short_name), (lon, lat) in zip(offices, points[len(homes) :], strict=True):
            low, high = INSTITUTION_FLOORS[kind]
            building = PlannedBuilding(
                site.key,
                streets.next_address(),
                lon,
                lat,
                rng.randint(1960, 2022),
                rng.randint(low, high),
            )
            self.buildings.append(building)
            self.institutions.append(
                PlannedInstitution(
                    kind,
                    name,
                    short_name,
                    site.key,
                    len(self.buildings) - 1,
                    OPENING_HOURS[kind],
                )
            )

    def _institutions(
        self, site: DistrictSite, households: list[Household], *, okrug_index: int
    ) -> list[tuple[str, str, str]]:
        """(kind, name, short name) of the district's institutions, in realistic numbers."""
        rng = self.rng
        ages = [age_on(p.birth_date) for h in households for p in h.members]
        preschool = sum(1 for a in ages if 1 <= a <= 6)
        school_age = sum(1 for a in ages if 7 <= a <= 17)
        sparse = site.kind == "settlement"
        where = {
            "settlement": f"поселения {site.name}",
            "urban_okrug": f"городского округа {site.name}",
        }.get(site.kind, f"района {site.name}")
        offices: list[tuple[str, str, str]] = []
        if okrug_index % 3 == 0:
            offices.append(("registry_office", f"Отдел ЗАГС {where}", f"ЗАГС {site.name}"))
        offices.append(("service_centre", f"МФЦ {where}", f"МФЦ {site.name}"))
        if not sparse and rng.random() < 0.2:
            offices.append(("service_centre", f"МФЦ {where}, филиал", f"МФЦ {site.name}, филиал"))
        for _ in range(1 + (not sparse and rng.random() < 0.5)):
            n = self.numbers["clinic"].take()
            offices.append(("clinic", f"ГБУЗ «Городская поликлиника № {n}»", f"ГП № {n}"))
        if not sparse or rng.random() < 0.5:
            n = self.numbers["children_clinic"].take()
            offices.append(("clinic", f"ГБУЗ «Детская городская поликлиника № {n}»", f"ДГП № {n}"))
        base = 1 if sparse else 3
        for _ in range(min(8, base + preschool // 40 + rng.randint(0, 2))):
            n = self.numbers["kindergarten"].take()
            offices.append(("kindergarten", f"ГБОУ «Детский сад № {n}»", f"Детский сад № {n}"))
        for _ in range(min(8, base - (not sparse) + school_age // 80 + rng.randint(0, 2))):
            n = self.numbers["school"].take()
            offices.append(("school", f"ГБОУ «Школа № {n}»", f"Школа № {n}"))
        for _ in range(rng.randint(1, 3)):
            title = f"{rng.choice(names.CLUB_KINDS)} «{rng.choice(names.CLUB_NAMES)}»"
            offices.append(("club", title, ""))
        return offices


def city_plan(
    *,
    sites: list[DistrictSite],
    citizens: int,
    seed: int,
    taken_snils: set[str] | None = None,
) -> CityPlan:
    """Plan ``citizens`` residents and the buildings and institutions of ``sites``."""
    rng = random.Random(seed)  # noqa: S311  (synthetic data, not a secret)
    households = households_plan(PeopleMaker(rng, taken_snils or set()), citizens)
    rng.shuffle(households)
    weights = [KIND_WEIGHT.get(s.kind, 1.0) * rng.uniform(0.6, 1.4) for s in sites]
    planner = _Planner(rng)
    okrug_counts: dict[str, int] = {}
    start = 0
    for site, share in zip(sites, _shares(len(households), weights), strict=True):
        okrug_index = okrug_counts.get(site.okrug_abbrev, 0)
        okrug_counts[site.okrug_abbrev] = okrug_index + 1
        planner.district(site, households[start : start + share], okrug_index=okrug_index)
        start += share
    return CityPlan(planner.buildings, households, planner.institutions)
