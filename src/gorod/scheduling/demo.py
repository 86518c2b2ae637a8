"""The demo's bookable services, desks and slots for the offices near the demo family.

Services are offered by every office of a kind; each registry office and public service
centre of the demo family's okrug (and the registry office nearest to them) gets two
appointment desks on the office's opening hours and, for a registry office, a ceremony
hall with half-hour slots. Slots cover the next 14 days; running it again only adds the
days that have come into that window.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gorod.places import hours as opening
from gorod.places.models import Institution
from gorod.places.selectors import demo_home_district, institution_near
from gorod.scheduling import services
from gorod.scheduling.calendars import Span
from gorod.scheduling.models import Resource, Service

if TYPE_CHECKING:
    from gorod.places.management.commands.demo import Child

DAYS = 14
REGISTRY = Institution.Kind.REGISTRY_OFFICE
CENTRE = Institution.Kind.SERVICE_CENTRE
CEREMONY = "zags-marriage-ceremony"
# (code, name, minutes, kind): the codes are what the queue's services link to.
SERVICES = [
    ("zags-birth", "Государственная регистрация рождения", 20, REGISTRY),
    ("zags-marriage-application", "Подача заявления о заключении брака", 20, REGISTRY),
    (CEREMONY, "Торжественная регистрация брака", 30, REGISTRY),
    ("zags-death", "Государственная регистрация смерти", 20, REGISTRY),
    ("zags-name-change", "Перемена имени", 30, REGISTRY),
    ("zags-repeat-certificate", "Выдача повторного свидетельства", 15, REGISTRY),
    ("mfc-passport", "Паспорт гражданина РФ", 20, CENTRE),
    ("mfc-foreign-passport", "Заграничный паспорт", 20, CENTRE),
    ("mfc-residence", "Регистрация по месту жительства", 15, CENTRE),
    ("mfc-benefits", "Социальные выплаты и льготы", 20, CENTRE),
    ("mfc-property", "Регистрация прав на недвижимость", 30, CENTRE),
]


def weekly_hours(institution: Institution) -> dict[int, list[Span]]:
    """An institution's opening hours (``places.hours`` form) as weekday → spans."""
    week: dict[int, list[Span]] = {}
    if opening.problem(institution.opening_hours) is not None:
        return week
    for day, spans in institution.opening_hours.items():
        week[opening.WEEKDAYS.index(day)] = [
            (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
            for start, end in spans
            if end != "24:00"
        ]
    return week


def _services() -> dict[str, Service]:
    made = {}
    for code, name, minutes, kind in SERVICES:
        made[code], _created = Service.objects.get_or_create(
            code=code,
            defaults={"name": name, "duration_minutes": minutes, "institution_kind": kind},
        )
    return made


def _offices() -> list[Institution]:
    district = demo_home_district()
    if district is None:
        return []
    near = institution_near(kind=REGISTRY, district=district)
    return list(
        Institution.objects.filter(is_active=True, kind__in=[REGISTRY, CENTRE])
        .filter(Q(district__okrug_id=district.okrug_id) | Q(pk=near.pk if near else None))
        .order_by("pk")
    )


def _resources(office: Institution, catalogue: dict[str, Service]) -> list[Resource]:
    existing = list(office.resources.all())
    if existing:
        return existing
    hours = weekly_hours(office)
    offered = [catalogue[code] for code, *_rest, kind in SERVICES if kind == office.kind]
    desks = [s for s in offered if s.code != CEREMONY]
    made = [
        services.resource_create(
            institution=office, name=f"Окно записи {n}", services=desks, hours=hours
        )
        for n in (1, 2)
    ]
    if office.kind == REGISTRY:
        made.append(
            services.resource_create(
                institution=office,
                name="Торжественный зал",
                services=[catalogue[CEREMONY]],
                hours=hours,
                kind=Resource.Kind.ROOM,
                slot_minutes=30,
            )
        )
    return made


def demo_prepare(*, seed: int, stdout: Any) -> None:
    """Services, desks and two weeks of slots; only what is missing is added."""
    with transaction.atomic():
        catalogue = _services()
        offices = _offices()
        today = timezone.localdate()
        new = 0
        for office in offices:
            for resource in _resources(office, catalogue):
                new += services.slots_generate(resource=resource, start_date=today, days=DAYS)
    stdout.write(f"scheduling: {len(offices)} offices, {new} new slots for {DAYS} days")


def demo_children(*, env: dict[str, str]) -> list[Child]:
    """The periodic work beside the demo's web server, every 30 seconds."""
    from gorod.places.management.commands.demo import Child

    return [
        Child("scheduling", [sys.executable, "-m", "gorod.cli", "scheduling", "tick", "--every=30"])
    ]
