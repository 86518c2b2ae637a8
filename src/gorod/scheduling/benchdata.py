"""The booking benchmark's city, made in the benchmark's own database.

Run as ``python -m gorod.scheduling.benchdata --services N --days D --citizens C --seed S``
with ``DATABASE_URL`` (or ``SQLITE_PATH``) naming that database: it creates one office
with a counter per service, their slots, and citizens with API tokens, and prints
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


def build(*, services: int, days: int, citizens: int, seed: int) -> dict[str, Any]:
    from django.utils import timezone

    from gorod.people import snils
    from gorod.people.models import ApiToken, Citizen, User
    from gorod.places.models import Institution
    from gorod.places.services import bench_office
    from gorod.scheduling import services as scheduling
    from gorod.scheduling.models import Service, Slot

    rng = random.Random(seed)  # noqa: S311  (synthetic SNILS, not a secret)
    office = bench_office(
        kind=Institution.Kind.REGISTRY_OFFICE, name="Условный отдел ЗАГС (бенчмарк)"
    )
    hours = {day: [(dt.time(8), dt.time(20))] for day in range(7)}
    start = timezone.localdate() + dt.timedelta(days=1)
    for number in range(services):
        service = Service.objects.create(
            code=f"bench-{number}", name=f"Услуга {number}", institution=office
        )
        counter = scheduling.resource_create(
            institution=office, name=f"Окно {number + 1}", services=[service], hours=hours
        )
        scheduling.slots_generate(resource=counter, start_date=start, days=days)
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
    slots = list(Slot.objects.order_by("start", "pk").values_list("pk", "service_id"))
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
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gorod.settings")
    import django

    django.setup()
    figures = build(services=args.services, days=args.days, citizens=args.citizens, seed=args.seed)
    sys.stdout.write(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
