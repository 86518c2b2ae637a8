"""The demo's queues: services for every office, counters at the offices of the demo
family's okrug, and two weeks of simulated history plus this morning at the offices of
the demo district (and the registry office where the demo clerk works), so the estimators
and the staffing page have data.

History is made by the queue's own simulation (same call rule), seeded, so the demo is
the same on every laptop. Running it again changes nothing once counters exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from gorod.people.models import Official, Role
from gorod.places.models import Institution
from gorod.places.selectors import demo_home_district
from gorod.queues import selectors
from gorod.queues.models import Counter, QueueService, Shift, Ticket
from gorod.queues.planning import day_plan
from gorod.queues.simulation import Visit, simulate_visits
from gorod.scheduling.models import Service
from gorod.scheduling.services import local_zone

HISTORY_DAYS = 14
REGISTRY = Institution.Kind.REGISTRY_OFFICE
CENTRE = Institution.Kind.SERVICE_CENTRE
PASSPORT = "Паспорт заявителя"
# (letter, name, minutes, documents, the scheduling service it is booked as)
SERVICES: dict[str, list[tuple[str, str, int, list[str], str | None]]] = {
    REGISTRY: [
        (
            "A",
            "Регистрация рождения",
            20,
            [PASSPORT, "Медицинское свидетельство о рождении", "Паспорт второго родителя"],
            "zags-birth",
        ),
        (
            "B",
            "Заявление о заключении брака",
            20,
            ["Паспорта обоих будущих супругов", "Квитанция об уплате госпошлины"],
            "zags-marriage-application",
        ),
        (
            "C",
            "Торжественная регистрация брака",
            30,
            ["Паспорта супругов", "Паспорта свидетелей (по желанию)"],
            "zags-marriage-ceremony",
        ),
        (
            "D",
            "Регистрация смерти",
            20,
            [PASSPORT, "Медицинское свидетельство о смерти", "Паспорт умершего"],
            "zags-death",
        ),
        (
            "E",
            "Перемена имени",
            30,
            [PASSPORT, "Свидетельство о рождении", "Квитанция об уплате госпошлины"],
            "zags-name-change",
        ),
        (
            "F",
            "Повторные свидетельства и справки",
            15,
            [PASSPORT, "Квитанция об уплате госпошлины"],
            "zags-repeat-certificate",
        ),
    ],
    CENTRE: [
        (
            "P",
            "Паспорт гражданина РФ",
            20,
            [PASSPORT, "Две фотографии 35×45 мм", "Квитанция об уплате госпошлины"],
            "mfc-passport",
        ),
        (
            "Z",
            "Заграничный паспорт",
            20,
            [PASSPORT, "Квитанция об уплате госпошлины"],
            "mfc-foreign-passport",
        ),
        (
            "R",
            "Регистрация по месту жительства",
            15,
            [PASSPORT, "Документ о праве на жильё"],
            "mfc-residence",
        ),
        (
            "S",
            "Социальные выплаты и льготы",
            20,
            [PASSPORT, "СНИЛС", "Справка о составе семьи"],
            "mfc-benefits",
        ),
        (
            "N",
            "Регистрация прав на недвижимость",
            30,
            [PASSPORT, "Правоустанавливающие документы"],
            "mfc-property",
        ),
        ("K", "Консультации", 10, [PASSPORT], None),
    ],
}
# Counters per kind of office and which letters each serves (the first serves all).
COUNTERS: dict[str, list[str]] = {
    REGISTRY: ["ABCDEF", "ABDF", "BCE", "AF"],
    CENTRE: ["PZRSNK", "PZ", "PZR", "RSK", "SN", "NK"],
}


def _services() -> dict[str, dict[str, QueueService]]:
    made: dict[str, dict[str, QueueService]] = {}
    for kind, rows in SERVICES.items():
        made[kind] = {}
        for letter, name, minutes, documents, booked_as in rows:
            service, _created = QueueService.objects.get_or_create(
                office=None,
                institution_kind=kind,
                letter=letter,
                defaults={
                    "name": name,
                    "average_minutes": minutes,
                    "documents": "\n".join(documents),
                    "booking_service": Service.objects.filter(code=booked_as).first()
                    if booked_as
                    else None,
                },
            )
            made[kind][letter] = service
    return made


def _counters(office: Institution, services: dict[str, QueueService]) -> list[Counter]:
    made = []
    for number, letters in enumerate(COUNTERS[office.kind], start=1):
        counter = Counter.objects.create(office=office, number=number)
        counter.services.set([services[letter] for letter in letters])
        made.append(counter)
    return made


def _tickets(office: Institution, day: dt.date, visits: list[Visit], now: dt.datetime) -> int:
    """The simulated visits as tickets; those not finished by ``now`` are still waiting."""
    zone = local_zone()
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    letters = {s.pk: s.letter for s in selectors.services_of(office=office)}
    numbers: dict[str, int] = {}
    rows = []
    for visit in visits:
        issued = midnight + dt.timedelta(seconds=visit.arrived)
        if issued > now:
            continue
        letter = letters[visit.service]
        numbers[letter] = numbers.get(letter, 0) + 1
        called = None if visit.called is None else midnight + dt.timedelta(seconds=visit.called)
        finished = None
        if called is not None:
            finished = called + dt.timedelta(seconds=visit.service_seconds or 60)
        done = finished is not None and finished <= now
        rows.append(
            Ticket(
                office=office,
                service_id=visit.service,
                day=day,
                letter=letter,
                number=numbers[letter],
                kind=Ticket.Kind.BOOKED if visit.booked else Ticket.Kind.WALK_IN,
                appointment_at=None
                if visit.appointment is None
                else midnight + dt.timedelta(seconds=visit.appointment),
                priority="disabled" if visit.priority else "",
                status=(
                    (Ticket.Status.DONE if visit.waited is not None else Ticket.Status.NO_SHOW)
                    if done
                    else Ticket.Status.WAITING
                ),
                counter_id=visit.counter if done else None,
                issued_at=issued,
                called_at=called if done else None,
                served_at=called if done and visit.waited is not None else None,
                finished_at=finished if done else None,
            )
        )
    Ticket.objects.bulk_create(rows)
    return len(rows)


def _history(office: Institution, *, seed: int, now: dt.datetime) -> int:
    today = selectors.local_day(now)
    made = 0
    for back in range(HISTORY_DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        if not selectors.office_hours_on(office=office, day=day):
            continue
        plan_seed = seed + office.pk * 1000 + back
        visits = simulate_visits(
            day_plan(office=office, day=day, seed=plan_seed), seed=plan_seed, predicting=False
        )
        made += _tickets(office, day, visits, now)
    return made


def _shifts_today(office: Institution, counters: list[Counter], now: dt.datetime) -> None:
    """The office's demo officials are scheduled at its first counters for today's hours."""
    hours = selectors.office_hours_on(office=office, day=selectors.local_day(now))
    if not hours:
        return
    zone = local_zone()
    day = selectors.local_day(now)
    start = dt.datetime.combine(day, hours[0][0], tzinfo=zone)
    end = dt.datetime.combine(day, hours[-1][1], tzinfo=zone)
    officials = Official.objects.filter(
        institution=office, role__in=[Role.REGISTRY_CLERK, Role.OFFICE_HEAD]
    ).order_by("role")
    for counter, official in zip(counters[1:], officials, strict=False):
        Shift.objects.create(counter=counter, clerk=official, start=start, end=end)


def _offices() -> tuple[list[Institution], set[int]]:
    """The okrug's offices, and those that get history (the district's, and the clerks')."""
    district = demo_home_district()
    if district is None:
        return [], set()
    offices = list(
        Institution.objects.filter(
            is_active=True, kind__in=[REGISTRY, CENTRE], district__okrug_id=district.okrug_id
        ).order_by("pk")
    )
    staffed = set(
        Official.objects.filter(role__in=[Role.REGISTRY_CLERK, Role.OFFICE_HEAD]).values_list(
            "institution_id", flat=True
        )
    )
    offices += list(Institution.objects.filter(pk__in=staffed, kind__in=[REGISTRY, CENTRE]))
    busy = {o.pk for o in offices if o.district_id == district.pk or o.pk in staffed}
    return sorted(set(offices), key=lambda o: o.pk), busy


def demo_prepare(*, seed: int, stdout: Any) -> None:
    """Services, counters, today's shifts and simulated history; nothing when counters exist."""
    if Counter.objects.exists():
        stdout.write("queues: already prepared")
        return
    now = timezone.now()
    with transaction.atomic():
        catalogue = _services()
        offices, busy = _offices()
        tickets = 0
        for office in offices:
            counters = _counters(office, catalogue[office.kind])
            if office.pk in busy:
                _shifts_today(office, counters, now)
                tickets += _history(office, seed=seed, now=now)
    stdout.write(
        f"queues: {len(offices)} offices with counters, {tickets} tickets of history "
        f"at {len(busy)} offices"
    )
