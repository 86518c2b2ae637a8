"""The booking benchmark's city, made in the benchmark's own database.

Run as ``python -m gorod.scheduling.benchdata --services N --days D --citizens C --seed S``
with ``DATABASE_URL`` (or ``SQLITE_PATH``) naming that database: it creates one office
with a counter per service, their slots, and citizens with API tokens, and a booking
history (``--history`` past days of visits, every slot taken and fulfilled, as a live
office has: with an empty bookings table the planner's statistics would be those of no
bookings at all, and the one-call functions' plans would scan the table), and prints
``{"tokens": [...], "slots": [[slot_id, service_id], ...], "institution": id}`` (slots
earliest first) as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import sys
from typing import Any

UNUSABLE = "!"  # Django's mark of an account that signs in by token only


def build(
    *, services: int, days: int, citizens: int, seed: int, history: int = 0
) -> dict[str, Any]:
    from django.utils import timezone

    from gorod.people import snils
    from gorod.people.models import ApiToken, Citizen, User
    from gorod.places.models import Institution
    from gorod.places.services import bench_office
    from gorod.scheduling import services as scheduling
    from gorod.scheduling.models import Booking, Service, Slot

    rng = random.Random(seed)  # noqa: S311  (synthetic SNILS, not a secret)
    office = bench_office(
        kind=Institution.Kind.REGISTRY_OFFICE, name="Условный отдел ЗАГС (бенчмарк)"
    )
    hours = {day: [(dt.time(8), dt.time(20))] for day in range(7)}
    start = timezone.localdate() + dt.timedelta(days=1)
    counters = []
    for number in range(services):
        service = Service.objects.create(
            code=f"bench-{number}", name=f"Услуга {number}", institution=office
        )
        counter = scheduling.resource_create(
            institution=office, name=f"Окно {number + 1}", services=[service], hours=hours
        )
        scheduling.slots_generate(resource=counter, start_date=start, days=days)
        counters.append(counter)
    users = User.objects.bulk_create(
        User(email=f"bench{n}@bench.gorod", display_name=f"Житель {n}", password=UNUSABLE)
        for n in range(citizens)
    )
    Citizen.objects.bulk_create(
        Citizen(
            user=user,
            last_name="Условный",
            first_name=f"Житель{n}",
            birth_date=dt.date(1980, 1, 1),
            snils=snils.generate(rng),
        )
        for n, user in enumerate(users)
    )
    tokens = [secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        ApiToken(user=user, name="bench", key_hash=ApiToken.hash_key(key), prefix=key[:8])
        for user, key in zip(users, tokens, strict=True)
    )
    if history:
        past = start - dt.timedelta(days=history + 1)
        for counter in counters:
            scheduling.slots_generate(resource=counter, start_date=past, days=history)
        visited = Slot.objects.filter(start__lt=timezone.now()).order_by("pk")
        people = list(Citizen.objects.order_by("pk").values_list("pk", flat=True))
        Booking.objects.bulk_create(
            Booking(
                slot_id=slot_id,
                citizen_id=rng.choice(people),
                service_id=service_id,
                status=Booking.Status.FULFILLED,
                code=f"H{number:07d}",  # the live codes have six symbols: none collides
            )
            for number, (slot_id, service_id) in enumerate(visited.values_list("pk", "service_id"))
        )
        visited.update(status=Slot.Status.BUSY)
    slots = list(
        Slot.objects.filter(start__gte=timezone.now())
        .order_by("start", "pk")
        .values_list("pk", "service_id")
    )
    _analyze()
    return {"tokens": tokens, "slots": slots, "institution": office.pk}


def _analyze() -> None:
    """Give the planner the statistics a live database has: freshly loaded tables have
    none until autovacuum comes by, and the nearest-free-slots query of a lost race then
    scans every free slot of the office (9 ms on PostgreSQL instead of 0.5 ms)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("services", "days", "citizens", "seed"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--history", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gorod.settings")
    import django

    django.setup()
    figures = build(
        services=args.services,
        days=args.days,
        citizens=args.citizens,
        seed=args.seed,
        history=args.history,
    )
    sys.stdout.write(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
