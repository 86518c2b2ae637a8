"""``gorod demo``: migrate, seed the demo city once, ensure the demo accounts, serve.

The web server (and whatever else :func:`demo_processes` lists) runs as child processes,
each in its own process group. Ctrl-C or SIGTERM stops every one of them and waits for
them; when one of them stops by itself, the others are stopped too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.people.demo import accounts_table, demo_accounts_create
from gorod.places.selectors import city_is_seeded

HOST = "127.0.0.1"
STOP_TIMEOUT = 10.0
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Child:
    name: str
    argv: list[str]


def demo_processes(*, port: int, workers: int, env: dict[str, str]) -> list[Child]:
    """The processes a demo runs: the web server, the log signer, and each app's own.

    An app adds processes by a ``demo_children`` attribute on its AppConfig: the dotted
    path of a function ``(*, env) -> list[Child]``. It runs before any child starts and
    may add to ``env`` (a broker's address, say), which every child then inherits.
    """
    extra: list[Child] = []
    for config in apps.get_app_configs():
        if hook := getattr(config, "demo_children", None):
            extra.extend(import_string(hook)(env=env))
    return [
        Child(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "gorod.wsgi:application",
                f"--bind={HOST}:{port}",
                f"--workers={workers}",
                "--access-logfile=-",
                "--no-control-socket",  # nothing to control; two demos must not share it
            ],
        ),
        # The transparency log signs a new tree head each minute when entries were added.
        Child(
            "ledger-signer", [sys.executable, "-m", "gorod.cli", "ledger", "sign", "--every", "60"]
        ),
        *extra,
    ]


def demo_prepare(*, seed: int, stdout: Any) -> None:
    """Let each app put its demo data in place, once: rounds, offices, meters.

    An app takes part by a ``demo_prepare`` attribute on its AppConfig: the dotted path of
    a function ``(*, seed, stdout) -> None`` that does nothing when its data is there.
    Apps run in the order of INSTALLED_APPS, after the city and the demo accounts exist.
    """
    for config in apps.get_app_configs():
        if hook := getattr(config, "demo_prepare", None):
            import_string(hook)(seed=seed, stdout=stdout)


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM if ``gorod demo`` itself dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Children:
    """Child processes, each leading its own process group, stopped together."""

    def __init__(self) -> None:
        self.running: list[tuple[Child, subprocess.Popen[bytes]]] = []

    def start(self, child: Child, env: dict[str, str]) -> None:
        # No threads run here, so preexec_fn is safe; S603: our own interpreter and arguments.
        process = subprocess.Popen(  # noqa: S603
            child.argv,
            env=env,
            process_group=0,
            preexec_fn=_die_with_parent,  # noqa: PLW1509
        )
        self.running.append((child, process))

    def exited(self) -> tuple[Child, int] | None:
        for child, process in self.running:
            code = process.poll()
            if code is not None:
                return child, code
        return None

    def stop(self) -> None:
        for _child, process in self.running:
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for _child, process in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.wait()
        for _child, process in self.running:
            self._signal(process, signal.SIGKILL)  # stragglers left in a stopped group

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _port(options: dict[str, Any]) -> int:
    raw = options["port"] if options["port"] is not None else os.environ.get("PORT", "8000")
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise CommandError(_("PORT must be a number from 1 to 65535, not %r.") % raw, returncode=2)
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise CommandError(
                _("Port %(port)s on %(host)s is busy (%(reason)s); set PORT to another one.")
                % {"port": port, "host": HOST, "reason": exc.strerror},
                returncode=2,
            ) from exc
    return port


def _wait_until_listening(port: int, children: Children, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and children.exited() is None:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Command(BaseCommand):
    help = "Run the demo: migrate, seed once, create the demo accounts and serve on PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--citizens", type=int, default=2000, help="residents to seed")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--port", default=None, help="default: $PORT or 8000")
        parser.add_argument("--workers", type=int, default=2, help="web server processes")

    def handle(self, *args: Any, **options: Any) -> None:
        port = _port(options)
        self.stdout.write(_("Preparing the database in %(var)s") % {"var": settings.VAR_DIR})
        call_command("migrate", interactive=False, verbosity=0)
        if not city_is_seeded():
            call_command(
                "seed",
                citizens=options["citizens"],
                seed=options["seed"],
                demo_accounts=False,
                stdout=self.stdout,
            )
        try:
            accounts = demo_accounts_create()
            demo_prepare(seed=options["seed"], stdout=self.stdout)
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        connections.close_all()
        self.serve(port, options["workers"], accounts_table(accounts))

    def serve(self, port: int, workers: int, table: str) -> None:
        env = os.environ | {"GOROD_PROFILE": settings.PROFILE, "GOROD_VAR": str(settings.VAR_DIR)}
        children = Children()
        previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in demo_processes(port=port, workers=workers, env=env):
                children.start(child, env)
            if _wait_until_listening(port, children):
                self.stdout.write(table)
                self.stdout.write(
                    self.style.SUCCESS(
                        _("Gorod is running at http://%(host)s:%(port)s/ (Ctrl-C stops it)")
                        % {"host": HOST, "port": port}
                    )
                )
            while (gone := children.exited()) is None:
                time.sleep(0.3)
            child, code = gone
            raise CommandError(
                _("The %(name)s process stopped with exit code %(code)s.")
                % {"name": child.name, "code": code}
            )
        except _Stop:
            self.stdout.write(_("Stopping…"))
        finally:
            for signum in previous:  # a second Ctrl-C must not cut the stopping short
                signal.signal(signum, signal.SIG_IGN)
            children.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
