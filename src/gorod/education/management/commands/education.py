"""``gorod education``: run a round file, and run, publish or export the city's rounds.

- ``match --input round.json --output result.json``: the mechanism on any city's round file
  (docs/round-format.md). A bad file gets one error line naming the entry at fault and exit
  code 2, and no output is written.
- ``export --round ID --output round.json [--waitlist]``: the round as it ran (or the input
  of its latest waitlist run), so anyone can re-run it and compare the logged hashes.
- ``run --round ID [--seed N]``, ``publish --round ID``: what the city administrator does.
- ``tick [--every SECONDS]``: expire the offers past their deadline and pass their places on
  (once, or in a loop: the demo runs it beside the web server).
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from gorod.education import selectors, services
from gorod.education.models import Round
from gorod.education.rounds import RoundError, match_round, parse_round, write_result
from gorod.errors import ApplicationError


class Command(BaseCommand):
    help = "Enrolment rounds: run the mechanism on a round file; run, publish, export rounds."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        match = actions.add_parser(
            "match", help="deferred acceptance with a seeded lottery, on a round file"
        )
        match.add_argument("--input", required=True, type=Path, help="the round (JSON)")
        match.add_argument("--output", required=True, type=Path, help="where to write the result")
        export = actions.add_parser("export", help="write a round of the city as a round file")
        export.add_argument("--round", required=True, type=int, dest="round_id")
        export.add_argument("--output", required=True, type=Path)
        export.add_argument(
            "--waitlist", action="store_true", help="the input of the latest waitlist run"
        )
        run = actions.add_parser("run", help="run a closed round")
        run.add_argument("--round", required=True, type=int, dest="round_id")
        run.add_argument("--seed", type=int, help="the lottery seed (random when left out)")
        publish = actions.add_parser("publish", help="publish a matched round: offers go out")
        publish.add_argument("--round", required=True, type=int, dest="round_id")
        tick = actions.add_parser("tick", help="expire offers past their deadline")
        tick.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="keep running, expiring offers every SECONDS (the demo runs it so)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "match":
            self._match(options["input"], options["output"])
        elif action == "tick":
            self._tick(options["every"])
        else:
            try:
                self._on_round(action, selectors.round_get(round_id=options["round_id"]), options)
            except ApplicationError as exc:
                raise CommandError(exc.message, returncode=2) from exc

    def _tick(self, every: int | None) -> None:
        if every is not None and not 1 <= every <= 86400:
            raise CommandError(gettext("--every: must be from 1 to 86400 seconds"), returncode=2)
        while True:
            expired = services.offers_expire()
            if every is None or expired:
                self.stdout.write(gettext("%(count)d offers expired") % {"count": expired})
            if every is None:
                return
            time.sleep(every)

    def _on_round(self, action: str, round_: Round, options: dict[str, Any]) -> None:
        if action == "export":
            stage = selectors.Stage.WAITLIST if options["waitlist"] else selectors.Stage.AS_RUN
            if round_.seed is None:
                raise CommandError(gettext("The round has not run yet."), returncode=2)
            target: Path = options["output"]
            if not target.resolve().parent.is_dir():
                raise _cannot_write(target, gettext("no such directory"))
            document = selectors.round_input(round_=round_, stage=stage).document
            write_result(target, document)
        elif action == "run":
            seed = options["seed"]
            if seed is not None and not 0 <= seed < 2**63:
                raise CommandError(gettext("--seed: must be from 0 to 2^63 − 1"), returncode=2)
            run = services.round_run(round_=round_, by_user=None, seed=seed)
            self.stdout.write(
                gettext(
                    "%(assigned)d of %(applicants)d applicants assigned; input SHA-256 "
                    "%(sha256)s, transparency log entry %(index)d"
                )
                % {
                    "assigned": run.assigned,
                    "applicants": run.applicants,
                    "sha256": run.input_sha256,
                    "index": run.log_index,
                }
            )
        else:
            services.round_publish(round_=round_, by_user=None)

    def _match(self, source: Path, target: Path) -> None:
        if not target.resolve().parent.is_dir():
            raise _cannot_write(target, gettext("no such directory"))
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CommandError(
                gettext("cannot read %(path)s: %(reason)s")
                % {"path": source, "reason": exc.strerror or str(exc)},
                returncode=2,
            ) from exc
        try:
            round_ = parse_round(data)
        except RoundError as exc:
            message = gettext(exc.template) % exc.params
            raise CommandError(f"{exc.location}: {message}", returncode=2) from exc
        outcome, document = match_round(round_)
        try:
            write_result(target, document)
        except OSError as exc:
            raise _cannot_write(target, exc.strerror or str(exc)) from exc
        applicants = round_.instance.n_applicants
        self.stdout.write(
            gettext(
                "%(assigned)d of %(applicants)d applicants assigned, %(unassigned)d unassigned; "
                "input SHA-256 %(sha256)s"
            )
            % {
                "assigned": applicants - outcome.unassigned,
                "applicants": applicants,
                "unassigned": outcome.unassigned,
                "sha256": document["input_sha256"],
            }
        )


def _cannot_write(path: Path, reason: str) -> CommandError:
    return CommandError(
        gettext("cannot write %(path)s: %(reason)s") % {"path": path, "reason": reason},
        returncode=2,
    )
