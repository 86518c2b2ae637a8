"""``gorod alarms``: evaluate the alarm rules, once or every N seconds, and list open alarms.

- ``evaluate [--once | --every N] [--district ID ...]``: one pass of every active rule over
  the devices it covers (raise new alarms, clear resolved ones), or a pass every N seconds
  until stopped (SIGTERM or Ctrl-C end it between passes): what ``gorod demo`` runs beside
  the ingest worker. ``--district`` limits a pass to some districts, so several evaluators
  share a city.
- ``list``: the open alarms, newest first.
"""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext

from gorod.places.models import District
from gorod.telemetry.alarms import Evaluation, alarms_evaluate
from gorod.telemetry.models import Alarm

MAX_EVERY = 24 * 3600


class Command(BaseCommand):
    help = "Alarm rules: evaluate them once or every N seconds; list the open alarms."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        evaluate = actions.add_parser("evaluate", help="run the rules and raise or clear alarms")
        when = evaluate.add_mutually_exclusive_group()
        when.add_argument("--once", action="store_true", help="one pass (the default)")
        when.add_argument("--every", type=int, metavar="SECONDS", help="a pass every N seconds")
        evaluate.add_argument(
            "--district",
            type=int,
            action="append",
            dest="districts",
            metavar="ID",
            help="only this district's devices (repeat for more): evaluators share a city",
        )
        actions.add_parser("list", help="the open alarms, newest first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
            return
        districts = options.get("districts")
        if districts is not None:
            known = set(District.objects.filter(pk__in=districts).values_list("pk", flat=True))
            unknown = sorted(set(districts) - known)
            if unknown:
                raise CommandError(
                    gettext("--district: no district %(id)d") % {"id": unknown[0]}, returncode=2
                )
        every = options.get("every")
        if every is None:
            self._report(alarms_evaluate(districts=districts))
            return
        if not 1 <= every <= MAX_EVERY:
            raise CommandError(
                gettext("--every: must be from 1 to %(max)d seconds") % {"max": MAX_EVERY},
                returncode=2,
            )
        self._loop(every, districts)

    def _loop(self, every: int, districts: list[int] | None) -> None:
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            while not stop.is_set():
                close_old_connections()
                self._report(alarms_evaluate(districts=districts))
                stop.wait(every)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _report(self, done: Evaluation) -> None:
        self.stdout.write(
            gettext(
                "%(time)s: %(rules)d rules over %(devices)d devices; %(raised)d raised, "
                "%(cleared)d cleared"
            )
            % {
                "time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
                "rules": done.rules,
                "devices": done.devices,
                "raised": len(done.raised),
                "cleared": len(done.cleared),
            }
        )
        for name, problem in done.skipped.items():
            self.stderr.write(
                gettext("skipped rule %(name)s: %(problem)s") % {"name": name, "problem": problem}
            )

    def _list(self) -> None:
        for alarm in Alarm.objects.open().select_related("rule")[:200]:
            self.stdout.write(
                f"{alarm.pk}\t{alarm.raised_at:%Y-%m-%d %H:%M}\t{alarm.get_status_display()}\t"
                f"{alarm.rule.severity}\t{alarm.rule.name}\t{alarm.device_id}"
            )
