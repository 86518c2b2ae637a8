"""``gorod scheduling tick [--every N] | slots [--days N]``.

``tick`` does the periodic work once (expires holds, marks no-shows, sends reminders),
or every N seconds until stopped; ``slots`` generates every active resource's slots for
the coming days (idempotent).
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.scheduling import services
from gorod.scheduling.models import Resource


class Command(BaseCommand):
    help = "Scheduling's periodic work (tick) and slot generation (slots)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        tick = actions.add_parser("tick", help="expire holds, mark no-shows, send reminders")
        tick.add_argument("--every", type=float, help="repeat every N seconds until stopped")
        slots = actions.add_parser("slots", help="generate slots for the coming days")
        slots.add_argument("--days", type=int, default=14, help="days from today (14)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "slots":
                self._slots(options["days"])
            else:
                self._tick(options["every"])
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc

    def _slots(self, days: int) -> None:
        today = timezone.localdate()
        new = sum(
            services.slots_generate(resource=resource, start_date=today, days=days)
            for resource in Resource.objects.filter(is_active=True)
        )
        self.stdout.write(_("%(count)d new slots.") % {"count": new})

    def _tick(self, every: float | None) -> None:
        if every is not None and every <= 0:
            raise CommandError(_("--every must be a positive number of seconds."), returncode=2)
        while True:
            report = services.tick()
            if any(report.values()) or every is None:
                self.stdout.write(
                    _(
                        "holds expired: %(holds_expired)d, no-shows: %(noshows)d, "
                        "reminders: %(reminders)d"
                    )
                    % report
                )
            if every is None:
                return
            time.sleep(every)
            close_old_connections()  # a long-running loop drops stale connections like a request
