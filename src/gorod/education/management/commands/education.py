"""``gorod education match --input round.json --output result.json``: run an enrolment round.

The file formats are in docs/round-format.md. A bad file gets one error line naming the entry
at fault and exit code 2, and no output is written.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from gorod.education.rounds import RoundError, match_round, parse_round, write_result


class Command(BaseCommand):
    help = "Enrolment rounds: run the assignment mechanism on a round file."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        match = actions.add_parser(
            "match", help="deferred acceptance with a seeded lottery, on a round file"
        )
        match.add_argument("--input", required=True, type=Path, help="the round (JSON)")
        match.add_argument("--output", required=True, type=Path, help="where to write the result")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["input"]
        target: Path = options["output"]
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
