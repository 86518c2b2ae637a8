"""``gorod ingest``: the MQTT ingest worker (see ``gorod.telemetry.worker``).

Run several with different ``--id`` values: they share the stream through one MQTT 5 shared
subscription. Keep each ``--id`` stable across restarts: the broker keeps that session's
unacknowledged messages for it. SIGTERM or Ctrl-C finish the batch in hand and exit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gorod.telemetry.mqtt import Broker, BrokerUrlError, broker_from_environment, broker_parse
from gorod.telemetry.worker import (
    Worker,
    WorkerOptions,
    django_report,
    django_store,
    install_signal_handlers,
)

LIMITS: dict[str, tuple[float, float]] = {
    "batch_messages": (1, 1_000_000),
    "batch_bytes": (1024, 1 << 31),
    "batch_ms": (1, 60_000),
    "receive_maximum": (1, 65_535),
    "stats_seconds": (0.1, 3600),
    "session_expiry": (1, 2**32 - 1),
}


def _number(options: dict[str, Any], name: str) -> float:
    raw = options[name]
    low, high = LIMITS[name]
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise CommandError(
            _("--%(name)s must be a number from %(low)g to %(high)g, not %(raw)r.")
            % {"name": name.replace("_", "-"), "low": low, "high": high, "raw": raw},
            returncode=2,
        )
    return value


def _broker(options: dict[str, Any]) -> Broker:
    try:
        if options["url"]:
            return broker_parse(options["url"], mqtt5=options["protocol"] != "3.1.1")
        broker = broker_from_environment()
    except BrokerUrlError as exc:
        raise CommandError(str(exc), returncode=2) from exc
    if options["protocol"]:
        return Broker(**{**broker.__dict__, "mqtt5": options["protocol"] == "5"})
    return broker


class Command(BaseCommand):
    help = "Consume telemetry from MQTT into the telemetry table, acknowledging stored batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id",
            default=None,
            help="stable client id of this worker (default gorod-ingest-<host>)",
        )
        parser.add_argument("--url", default=None, help="broker, default $MQTT_URL")
        parser.add_argument(
            "--protocol", choices=["5", "3.1.1"], default=None, help="default $MQTT_PROTOCOL or 5"
        )
        parser.add_argument(
            "--no-shared",
            action="store_true",
            help="plain subscription (one worker only; for brokers without MQTT 5)",
        )
        parser.add_argument("--batch-messages", default="1000", help="messages per batch")
        parser.add_argument("--batch-bytes", default=str(16 << 20), help="bytes per batch")
        parser.add_argument("--batch-ms", default="250", help="oldest message's wait, ms")
        parser.add_argument(
            "--receive-maximum", default="4000", help="unacknowledged messages in flight"
        )
        parser.add_argument("--stats-seconds", default="10", help="statistics window")
        parser.add_argument(
            "--session-expiry",
            default=str(7 * 24 * 3600),
            help="seconds the broker keeps this worker's session and messages while it is away",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client_id = options["id"] or f"gorod-ingest-{socket.gethostname()}"
        if not client_id or len(client_id) > 200 or not client_id.isprintable():
            raise CommandError(_("--id must be 1 to 200 printable characters."), returncode=2)
        shared_env = os.environ.get("MQTT_SHARED", "1") not in {"0", "false", "no"}
        worker_options = WorkerOptions(
            client_id=client_id,
            broker=_broker(options),
            shared=shared_env and not options["no_shared"],
            batch_messages=int(_number(options, "batch_messages")),
            batch_bytes=int(_number(options, "batch_bytes")),
            batch_seconds=_number(options, "batch_ms") / 1000,
            receive_maximum=int(_number(options, "receive_maximum")),
            stats_seconds=_number(options, "stats_seconds"),
            session_expiry=int(_number(options, "session_expiry")),
        )
        logging.basicConfig(
            level=logging.INFO if options["verbosity"] > 1 else logging.WARNING,
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
        )
        self.stdout.write(
            _("Ingest worker %(id)s on %(url)s (MQTT %(protocol)s, %(mode)s subscription)")
            % {
                "id": client_id,
                "url": worker_options.broker.url,
                "protocol": "5" if worker_options.broker.mqtt5 else "3.1.1",
                "mode": _("shared")
                if worker_options.shared and worker_options.broker.mqtt5
                else _("plain"),
            }
        )
        totals = asyncio.run(self._run(worker_options))
        self.stdout.write(
            _("Stopped: %(messages)d messages, %(accepted)d readings stored, %(rejected)d refused")
            % {
                "messages": totals.messages,
                "accepted": totals.accepted,
                "rejected": totals.rejected,
            }
        )

    @staticmethod
    async def _run(options: WorkerOptions) -> Any:
        worker = Worker(options, store=django_store, report=django_report)
        install_signal_handlers(worker)
        return await worker.run()
