"""``gorod telemetry``: devices, the broker's files, queries and upkeep of the telemetry table.

- ``types [--defaults]``: list the device types (``--defaults`` creates the standard ones);
- ``provision --csv FILE [--secrets FILE]``: create devices from a CSV file (columns
  ``device_id,type`` and one of ``apartment_id``, ``building_id``, ``institution_id``;
  optional ``gateway_id``, ``is_gateway``); all rows or none; each secret is printed once
  (or written to a new file readable by its owner only);
- ``deactivate ID...`` / ``activate ID...`` / ``rotate-secret ID [--secrets FILE]``;
- ``broker-config --passwords FILE --acl FILE``: Mosquitto's password file and ACL;
- ``query history|consumption|aggregate ... [--output x.csv|x.parquet]``;
- ``maintain [--only rollup|retain|compact]``: roll-ups, retention and compaction (one run
  at a time per table: a second run says so and exits 0).

Bad input: one error line naming the row or option, exit code 2, nothing changed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from argparse import ArgumentParser, Namespace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from gorod.errors import ApplicationError
from gorod.telemetry import conf, maintenance, queries, selectors, services
from gorod.telemetry.broker_files import acl_file, password_file
from gorod.telemetry.metrics import CUMULATIVE, METRICS
from gorod.telemetry.models import Device, DeviceType

CSV_COLUMNS = (
    "device_id",
    "type",
    "apartment_id",
    "building_id",
    "institution_id",
    "gateway_id",
    "is_gateway",
)
TRUE = {"1", "true", "yes", "y"}
FALSE = {"", "0", "false", "no", "n"}


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "Telemetry: device types, provisioning, broker files, queries, table upkeep."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        types = actions.add_parser("types", help="list device types")
        types.add_argument("--defaults", action="store_true", help="create the standard types")

        provision = actions.add_parser("provision", help="create devices from a CSV file")
        provision.add_argument("--csv", required=True, type=Path, help="the devices")
        provision.add_argument("--secrets", type=Path, help="write secrets here (a new file)")

        for name in ("deactivate", "activate"):
            action = actions.add_parser(name, help=f"{name} devices")
            action.add_argument("device_ids", nargs="+", metavar="DEVICE_ID")
        rotate = actions.add_parser("rotate-secret", help="give a device a new secret")
        rotate.add_argument("device_id")
        rotate.add_argument("--secrets", type=Path, help="write the secret here (a new file)")

        broker = actions.add_parser("broker-config", help="Mosquitto password file and ACL")
        broker.add_argument("--passwords", required=True, type=Path)
        broker.add_argument("--acl", required=True, type=Path)
        broker.add_argument("--ingest-user", default=None, help="default: the setting")
        broker.add_argument(
            "--ingest-password-hash",
            default=None,
            help="the ingest account's $7$ hash (default: made from "
            "GOROD_TELEMETRY_INGEST_PASSWORD)",
        )

        query = actions.add_parser("query", help="readings from the telemetry table")
        query.add_argument("kind", choices=("history", "consumption", "aggregate"))
        query.add_argument("--metric", required=True)
        query.add_argument("--start", required=True, help="ISO date or time (city time)")
        query.add_argument("--end", required=True, help="ISO date or time, exclusive")
        query.add_argument("--bucket", choices=queries.BUCKETS, default=None)
        query.add_argument("--level", choices=queries.LEVELS, default="district")
        query.add_argument("--device", help="history: the device")
        query.add_argument("--district", type=int, action="append", help="limit to districts")
        query.add_argument("--building", type=int, action="append", help="limit to buildings")
        query.add_argument("--output", type=Path, help="x.csv or x.parquet (default: CSV out)")

        maintain = actions.add_parser("maintain", help="roll-ups, retention, compaction")
        maintain.add_argument("--only", choices=("rollup", "retain", "compact"))
        maintain.add_argument("--vacuum-hours", type=int, default=maintenance.VACUUM_HOURS)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        getattr(self, f"_{action}")(Namespace(**options))

    # --- devices ------------------------------------------------------------------------

    def _types(self, options: Namespace) -> None:
        if options.defaults:
            services.device_types_ensure_defaults()
        for device_type in DeviceType.objects.order_by("code"):
            self.stdout.write(f"{device_type.code}\t{','.join(device_type.metrics)}")

    def _provision(self, options: Namespace) -> None:
        specs = _read_specs(options.csv)
        _check_new(options.secrets)
        try:
            made = services.devices_provision(specs=specs)
        except ApplicationError as exc:
            raise _fail(_where(exc)) from exc
        self._secrets(options.secrets, [(p.device.id, p.secret) for p in made])
        self.stderr.write(gettext("%(n)d devices provisioned") % {"n": len(made)})

    def _secrets(self, target: Path | None, rows: list[tuple[str, str]]) -> None:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["device_id", "secret"])
        writer.writerows(rows)
        if target is None:
            self.stdout.write(text.getvalue(), ending="")
            return
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text.getvalue())

    def _devices(self, ids: list[str]) -> list[Device]:
        found = Device.objects.in_bulk(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise _fail(gettext("no such device: %(ids)s") % {"ids": ", ".join(missing)})
        return [found[i] for i in ids]

    def _deactivate(self, options: Namespace) -> None:
        for device in self._devices(options.device_ids):
            services.device_deactivate(device=device)
            self.stdout.write(gettext("%(id)s deactivated") % {"id": device.id})

    def _activate(self, options: Namespace) -> None:
        for device in self._devices(options.device_ids):
            services.device_activate(device=device)
            self.stdout.write(gettext("%(id)s activated") % {"id": device.id})

    def _rotate_secret(self, options: Namespace) -> None:
        [device] = self._devices([options.device_id])
        _check_new(options.secrets)
        secret = services.device_secret_rotate(device=device)
        self._secrets(options.secrets, [(device.id, secret)])

    # --- broker -------------------------------------------------------------------------

    def _broker_config(self, options: Namespace) -> None:
        from gorod.telemetry.secrets import mosquitto_hash

        for path in (options.passwords, options.acl):
            if not path.resolve().parent.is_dir():
                raise _fail(gettext("%(path)s: no such directory") % {"path": path})
        ingest_user = options.ingest_user or conf.ingest_user()
        ingest_hash = options.ingest_password_hash
        if ingest_hash is None:
            password = conf.ingest_password()
            if not password:
                raise _fail(
                    gettext(
                        "--ingest-password-hash: give it, or set GOROD_TELEMETRY_INGEST_PASSWORD"
                    )
                )
            ingest_hash = mosquitto_hash(password)
        if not ingest_hash.startswith("$7$"):
            raise _fail(gettext("--ingest-password-hash: a $7$ hash, as mosquitto_passwd writes"))
        accounts = selectors.broker_accounts()
        if any(device_id == ingest_user for device_id, _hash, _gw in accounts):
            raise _fail(gettext("--ingest-user: a device has that id"))
        entries = [(ingest_user, ingest_hash)] + [(d, h) for d, h, _gw in accounts]
        options.passwords.write_text(password_file(entries), encoding="utf-8")
        options.passwords.chmod(0o600)
        gateways = [d for d, _h, is_gateway in accounts if is_gateway]
        options.acl.write_text(acl_file(ingest_user=ingest_user, gateways=gateways), "utf-8")
        self.stdout.write(
            gettext("%(n)d accounts written to %(passwords)s, ACL to %(acl)s")
            % {"n": len(entries), "passwords": options.passwords, "acl": options.acl}
        )

    # --- queries ------------------------------------------------------------------------

    def _query(self, options: Namespace) -> None:
        if options.metric not in METRICS:
            raise _fail(gettext("--metric: unknown metric %(m)s") % {"m": options.metric})
        start, end = _moment(options.start, "--start"), _moment(options.end, "--end")
        if end <= start:
            raise _fail(gettext("--end: must be after --start"))
        fmt = _output_format(options.output)
        selection = queries.Selection(districts=options.district, buildings=options.building)
        if options.kind == "history":
            if not options.device:
                raise _fail(gettext("--device: history is of one device"))
            data = queries.history(
                device_id=options.device,
                metric=options.metric,
                start=start,
                end=end,
                bucket=options.bucket or "raw",
            )
        else:
            if options.kind == "consumption" and options.metric not in CUMULATIVE:
                raise _fail(gettext("--metric: consumption is of meter registers"))
            if options.bucket == "raw":
                raise _fail(gettext("--bucket: per hour, day or month"))
            query = queries.consumption if options.kind == "consumption" else queries.aggregate
            data = query(
                metric=options.metric,
                start=start,
                end=end,
                bucket=options.bucket or ("month" if options.kind == "consumption" else "day"),
                level=options.level,
                selection=selection,
            )
        self._write(data, options.output, fmt)

    def _write(self, data: pa.Table, output: Path | None, fmt: queries.Format) -> None:
        body = queries.export(data, fmt)
        if output is None:
            self.stdout.write(body.decode(), ending="")
            return
        output.write_bytes(body)
        self.stderr.write(
            gettext("%(n)d rows written to %(path)s") % {"n": len(data), "path": output}
        )

    # --- upkeep -------------------------------------------------------------------------

    def _maintain(self, options: Namespace) -> None:
        if options.vacuum_hours < 0:
            raise _fail(gettext("--vacuum-hours: a number of hours, 0 or more"))
        report = maintenance.Report()
        with maintenance.exclusive() as taken:
            if not taken:
                self.stdout.write(
                    gettext("another maintain run holds this telemetry table: nothing done")
                )
                return
            if options.only in (None, "rollup"):
                maintenance.rollup(report=report)
            if options.only in (None, "retain"):
                maintenance.retain(report=report)
            if options.only in (None, "compact"):
                maintenance.compact(vacuum_hours=options.vacuum_hours, report=report)
        self.stdout.write(
            gettext(
                "rolled up %(rolled)d days, dropped %(dropped)d raw days, compacted %(compacted)d "
                "days (%(skipped)d skipped), removed %(removed)d files"
            )
            % {
                "rolled": len(report.rolled_up_days),
                "dropped": len(report.dropped_days),
                "compacted": len(report.compacted_days),
                "skipped": len(report.skipped_days),
                "removed": report.files_removed,
            }
        )


def _where(exc: ApplicationError) -> str:
    """``items[3].type`` → ``line 5: type``: CSV line numbers count the header as line 1."""
    field = exc.field or ""
    if field.startswith("items["):
        index, _dot, column = field[len("items[") :].partition("].")
        if index.isdigit():
            return f"line {int(index) + 2}: {column}: {exc.message}"
    return f"{field}: {exc.message}" if field else exc.message


def _read_specs(path: Path) -> list[services.DeviceSpec]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(
            gettext("cannot read %(path)s: %(reason)s") % {"path": path, "reason": exc}
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = sorted(set(header) - set(CSV_COLUMNS))
    if unknown or not {"device_id", "type"} <= set(header):
        raise _fail(
            gettext("line 1: the columns are %(columns)s") % {"columns": ",".join(CSV_COLUMNS)}
        )
    specs = []
    for row in reader:
        line = reader.line_num
        specs.append(
            services.DeviceSpec(
                device_id=(row.get("device_id") or "").strip(),
                device_type=(row.get("type") or "").strip(),
                apartment_id=_int(row, "apartment_id", line),
                building_id=_int(row, "building_id", line),
                institution_id=_int(row, "institution_id", line),
                gateway_id=(row.get("gateway_id") or "").strip() or None,
                is_gateway=_bool(row, "is_gateway", line),
            )
        )
    if not specs:
        raise _fail(gettext("%(path)s: no devices") % {"path": path})
    return specs


def _int(row: dict[str, str | None], column: str, line: int) -> int | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise _fail(
            gettext("line %(line)d: %(column)s: not an id") % {"line": line, "column": column}
        )
    return int(text)


def _bool(row: dict[str, str | None], column: str, line: int) -> bool:
    text = (row.get(column) or "").strip().lower()
    if text not in TRUE | FALSE:
        raise _fail(
            gettext("line %(line)d: %(column)s: yes or no") % {"line": line, "column": column}
        )
    return text in TRUE


def _check_new(path: Path | None) -> None:
    if path is None:
        return
    if path.exists():
        raise _fail(
            gettext("--secrets: %(path)s exists; secrets go to a new file") % {"path": path}
        )
    if not path.resolve().parent.is_dir():
        raise _fail(gettext("--secrets: %(path)s: no such directory") % {"path": path})


def _moment(text: str, option: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(gettext("%(option)s: not an ISO date or time") % {"option": option}) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(conf.time_zone()))
    return moment


def _output_format(output: Path | None) -> queries.Format:
    if output is None:
        return "csv"
    suffix = output.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise _fail(gettext("--output: name a .csv or .parquet file"))
    if not output.resolve().parent.is_dir():
        raise _fail(gettext("--output: %(path)s: no such directory") % {"path": output})
    return "parquet" if suffix == ".parquet" else "csv"
