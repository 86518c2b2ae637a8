"""``gorod queues simulate --office ID --date D [--seed N] [--days K] [--json]``,
``gorod queues close [--before D]`` and ``gorod queues bench [--days N] [--per-day N]
[--waiting N] [--requests N] [--json]`` (the ticket-status request timed, ``queues/bench.py``).

``close`` cancels the tickets left waiting or called on days before D (default today):
the end-of-day step an office runs after closing.

Simulates the office's day (arrivals, bookings, no-shows, service times, the fair call
rule) and reports each waiting-time estimator's mean absolute error, so the better one can
be set as ``GOROD_QUEUES_ESTIMATOR``. With ``--days``, K seeds are run and averaged.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext

from gorod.errors import NotFound
from gorod.queues import selectors
from gorod.queues.bench import ticket_status_bench
from gorod.queues.estimators import ESTIMATORS, NAIVE
from gorod.queues.planning import day_plan
from gorod.queues.services import tickets_close
from gorod.queues.simulation import better_of, simulate


def _date(text: str, option: str = "--date") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            gettext("%(option)s: not a date (YYYY-MM-DD): %(value)s")
            % {"option": option, "value": text},
            returncode=2,
        ) from exc


class Command(BaseCommand):
    help = "The electronic queue: simulate an office's day and compare the estimators."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        run = actions.add_parser("simulate", help="a simulated day at an office")
        run.add_argument("--office", required=True, type=int, help="the office's id")
        run.add_argument("--date", required=True, help="the day, YYYY-MM-DD")
        run.add_argument("--seed", type=int, default=1)
        run.add_argument("--days", type=int, default=1, help="seeds to run and average")
        run.add_argument("--json", action="store_true", help="print the figures as JSON")
        close = actions.add_parser("close", help="cancel tickets left open on past days")
        close.add_argument("--before", default=None, help="YYYY-MM-DD, default today")
        bench = actions.add_parser("bench", help="time the ticket-status request (rolled back)")
        bench.add_argument("--days", type=int, default=28, help="days of finished visits")
        bench.add_argument("--per-day", type=int, default=126, help="finished visits a day")
        bench.add_argument("--waiting", type=int, default=10, help="visitors waiting today")
        bench.add_argument("--requests", type=int, default=50, help="requests of each kind")
        bench.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "close":
            self._close(options["before"])
            return
        if options["action"] == "bench":
            self._bench(options)
            return
        day = _date(options["date"])
        if not 1 <= options["days"] <= 1000:
            raise CommandError(gettext("--days: from 1 to 1000"), returncode=2)
        try:
            office = selectors.office_get(office_id=options["office"])
        except NotFound as exc:
            raise CommandError(f"--office: {exc.message}", returncode=2) from exc
        if not selectors.office_hours_on(office=office, day=day):
            raise CommandError(
                gettext("--date: the office is closed on %(day)s") % {"day": day}, returncode=2
            )
        if not selectors.counters_of(office=office).exists():
            raise CommandError(gettext("--office: the office has no counters"), returncode=2)
        figures = self._run(office, day, seed=options["seed"], days=options["days"])
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            gettext(
                "%(office)s, %(day)s, %(days)d simulated day(s): %(arrivals).0f visitors a day, "
                "mean wait %(wait).1f min, %(within).0f%% called within 15 min"
            )
            % {
                "office": office.name,
                "day": day,
                "days": options["days"],
                "arrivals": figures["arrivals"],
                "wait": figures["mean_wait_minutes"],
                "within": 100 * figures["share_within_15_minutes"],
            }
        )
        for method in (*ESTIMATORS, NAIVE):
            error = figures["mae_minutes"][method]
            shown = "—" if error is None else f"{error:.2f}"
            self.stdout.write(
                gettext("%(method)s: mean absolute error %(error)s min")
                % {"method": method.upper(), "error": shown}
            )
        self.stdout.write(gettext("(NAIVE is the baseline: the mean wait of the day so far)"))
        self.stdout.write(
            gettext('better: %(method)s (set GOROD_QUEUES_ESTIMATOR = "%(method)s")')
            % {"method": figures["better"]}
        )

    def _bench(self, options: dict[str, Any]) -> None:
        limits = {
            "days": (0, 366),
            "per_day": (0, 2000),
            "waiting": (1, 500),
            "requests": (1, 10000),
        }
        for name, (low, high) in limits.items():
            if not low <= options[name] <= high:
                raise CommandError(
                    gettext("--%(option)s: from %(low)d to %(high)d")
                    % {"option": name.replace("_", "-"), "low": low, "high": high},
                    returncode=2,
                )
        figures = ticket_status_bench(
            days=options["days"],
            per_day=options["per_day"],
            waiting=options["waiting"],
            requests=options["requests"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
            return
        self.stdout.write(
            f"{figures['database']}: {figures['history_tickets']} finished tickets of history, "
            f"{figures['waiting']} waiting, {figures['requests']} requests each"
        )
        for name in ("ticket_status_page", "ticket_api", "service_times"):
            row = figures[name]
            self.stdout.write(
                f"{name}: mean {row['mean_ms']} ms, median {row['median_ms']} ms, "
                f"{row['queries_per_request']} queries"
            )

    def _close(self, before: str | None) -> None:
        day = _date(before, option="--before") if before else timezone.localdate()
        closed = tickets_close(before=day)
        self.stdout.write(
            gettext("%(n)d tickets closed before %(day)s") % {"n": closed, "day": day}
        )

    def _run(self, office: Any, day: dt.date, *, seed: int, days: int) -> dict[str, Any]:
        reports = [
            simulate(day_plan(office=office, day=day, seed=seed + n), seed=seed + n)
            for n in range(days)
        ]
        errors: dict[str, float | None] = {}
        for method in (*ESTIMATORS, NAIVE):
            found = [e for r in reports if (e := r.mae_minutes[method]) is not None]
            errors[method] = sum(found) / len(found) if found else None
        return {
            "office": office.pk,
            "date": day.isoformat(),
            "days": days,
            "arrivals": sum(r.arrivals for r in reports) / days,
            "served": sum(r.served for r in reports) / days,
            "no_shows": sum(r.no_shows for r in reports) / days,
            "mean_wait_minutes": sum(r.mean_wait_minutes for r in reports) / days,
            "share_within_15_minutes": sum(r.share_within_15_minutes for r in reports) / days,
            "mae_minutes": errors,
            "better": better_of(errors),
        }
