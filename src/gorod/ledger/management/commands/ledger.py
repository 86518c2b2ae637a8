"""``gorod ledger verify|sign|head``: check the whole log, sign a tree head, show the latest.

``verify`` exits 1 when anything was tampered with and names the first altered entry;
``sign --every SECONDS`` keeps signing, whenever the log has grown, until interrupted.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.ledger import selectors, services
from gorod.ledger.models import SignedTreeHead
from gorod.ledger.verification import log_verify


def _positive(raw: str, name: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise CommandError(
            _("--%(name)s must be a whole number of at least 1, not %(raw)r.")
            % {"name": name, "raw": raw},
            returncode=2,
        )
    return int(raw)


class Command(BaseCommand):
    help = "Verify the transparency log, sign its tree head, or show the latest head."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        verify = actions.add_parser("verify", help="recompute the log and check everything stored")
        verify.add_argument("--chunk-size", default="10000", help="entries read at a time")
        sign = actions.add_parser("sign", help="sign the current size and root if they changed")
        sign.add_argument("--every", help="keep signing every SECONDS until interrupted")
        actions.add_parser("head", help="show the latest signed tree head")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify(_positive(options["chunk_size"], "chunk-size"), options["verbosity"])
        elif action == "sign":
            every = options["every"]
            if every is None:
                self._sign(quiet=False)
            else:
                self._sign_every(_positive(every, "every"))
        else:
            self._head()

    def _describe(self, head: SignedTreeHead) -> str:
        return _("size %(size)d, signed %(time)s UTC, root %(root)s, key %(key)s") % {
            "size": head.tree_size,
            "time": head.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            "root": bytes(head.root_hash).hex(),
            "key": head.key_id,
        }

    def _sign(self, *, quiet: bool) -> None:
        try:
            head, created = services.tree_head_sign()
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        if created:
            self.stdout.write(_("Signed a new head: %(head)s") % {"head": self._describe(head)})
        elif not quiet:
            self.stdout.write(
                _("Nothing to sign: the latest head already covers the log (%(head)s).")
                % {"head": self._describe(head)}
            )

    def _sign_every(self, seconds: int) -> None:
        self.stdout.write(
            _("Signing every %(seconds)d s whenever the log has grown; Ctrl+C stops.")
            % {"seconds": seconds}
        )
        try:
            while True:
                # A loop outlives connections: drop one the server closed, as a request
                # would (not inside a caller's transaction, whose connection it needs).
                if not connection.in_atomic_block:
                    close_old_connections()
                self._sign(quiet=True)
                time.sleep(seconds)
        except KeyboardInterrupt:
            self.stdout.write(_("Stopped."))

    def _head(self) -> None:
        head = selectors.head_latest()
        if head is None:
            self.stdout.write(_("No tree head has been signed yet."))
            return
        self.stdout.write(self._describe(head))
        self.stdout.write(_("signature %(signature)s") % {"signature": bytes(head.signature).hex()})

    def _verify(self, chunk_size: int, verbosity: int) -> None:
        def progress(size: int) -> None:
            self.stderr.write(_("%(size)d entries checked") % {"size": size})

        report = log_verify(chunk_size=chunk_size, progress=progress if verbosity > 1 else None)
        self.stdout.write(
            _(
                "%(entries)d entries, %(nodes)d tree nodes, %(heads)d signed heads, "
                "%(events)d audit events checked."
            )
            % {
                "entries": report.entries,
                "nodes": report.nodes,
                "heads": report.heads,
                "events": report.audit_events,
            }
        )
        if not report.problems:
            self.stdout.write(self.style.SUCCESS(_("The log is intact.")))
            return
        for problem in report.problems:
            self.stderr.write(problem.message)
        first = report.first_tampered_entry
        summary = (
            _("The log has been tampered with: the first altered entry is %(index)d.")
            % {"index": first}
            if first is not None
            else _("The log has been tampered with.")
        )
        raise CommandError(summary, returncode=1)
