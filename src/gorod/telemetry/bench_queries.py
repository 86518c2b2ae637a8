"""Query benchmark: a district's monthly consumption over a large telemetry table.

Writes ``--readings`` synthetic water-meter readings (default 100 million: ``--devices``
meters in ``--districts`` districts, one reading every few minutes over ``--days`` days)
straight into a Delta table with pyarrow, day by day (not through MQTT: this measures the
query, ``gorod bench ingest`` measures ingestion), then times:

- one district's monthly consumption from the raw readings (nothing rolled up yet);
- the hourly and daily roll-up of the month (``gorod telemetry maintain``);
- the same query again, now served by the daily roll-up;
- every district's monthly consumption at once, from the roll-up.

Run it from ``gorod bench ingest`` (as a section) or alone:
``python -m gorod.telemetry.bench_queries --readings 1000000``. Prints figures; asserts none.
``--table s3://bucket/prefix`` runs it on an object store instead of a temporary directory
(configured as the platform is: ``GOROD_TELEMETRY_STORAGE_OPTIONS`` or ``AWS_*``; the bucket
must exist and the prefix be empty).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from gorod.telemetry import table

METRIC = "water_cold_m3"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--readings", type=int, default=100_000_000)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--districts", type=int, default=125)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--month", default="2026-04", help="YYYY-MM of the readings")
    parser.add_argument("--path", type=Path, help="keep the table here (default: a temp dir)")
    parser.add_argument("--table", help="an object-store URL to use instead (s3://bucket/prefix)")
    parser.add_argument("--seed", type=int, default=4)


def _day_rows(
    *,
    day: dt.datetime,
    devices: np.ndarray[Any, Any],
    per_device: int,
    rng: np.random.Generator,
    start_values: np.ndarray[Any, Any],
    districts: np.ndarray[Any, Any],
    names: pa.Array,
) -> pa.Table:
    n_devices = len(devices)
    step_us = 86_400_000_000 // per_device
    slot = np.tile(np.arange(per_device, dtype=np.int64), n_devices)
    device_index = np.repeat(np.arange(n_devices), per_device)
    base_us = int(day.timestamp() * 1_000_000)
    ts = base_us + slot * step_us + rng.integers(0, step_us // 2, len(slot))
    used = rng.gamma(0.5, 0.0004, (n_devices, per_device)).cumsum(axis=1).ravel()
    values = start_values[device_index] + used
    start_values += used.reshape(n_devices, per_device)[:, -1]
    return pa.table(
        {
            "device_id": names.take(pa.array(device_index)),
            "metric": pa.array(np.full(len(slot), METRIC)),
            "ts": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "value": values,
            "district_id": pa.array(districts[device_index], pa.int32()),
            "building_id": pa.array(device_index // 60, pa.int64()),
        }
    )


def generate(
    uri: str, options: dict[str, Any], storage_options: dict[str, str] | None = None
) -> dict[str, Any]:
    rng = np.random.default_rng(options["seed"])
    n_devices, days = options["devices"], options["days"]
    per_device = max(1, round(options["readings"] / n_devices / days))
    districts = np.sort(np.arange(n_devices) % options["districts"]).astype(np.int32) + 1
    names = pa.array([f"wm-{i:07d}" for i in range(n_devices)], pa.string())
    start_values = rng.uniform(0, 500, n_devices)
    first = dt.datetime.fromisoformat(options["month"] + "-01").replace(
        tzinfo=ZoneInfo("Europe/Moscow")
    )
    started = time.perf_counter()
    written = 0
    for d in range(days):
        rows = _day_rows(
            day=first + dt.timedelta(days=d),
            devices=np.arange(n_devices),
            per_device=per_device,
            rng=rng,
            start_values=start_values,
            districts=districts,
            names=names,
        )
        table.append(uri, rows, storage_options=storage_options)
        written += len(rows)
    return {
        "readings_written": written,
        "readings_per_device_per_day": per_device,
        "generate_s": round(time.perf_counter() - started, 1),
        "first_day": first,
    }


def _timed(work: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, round(time.perf_counter() - started, 3)


def run(**options: Any) -> dict[str, Any]:
    from django.test import override_settings

    from gorod.telemetry import conf, maintenance, queries

    keep: Path | None = options.get("path")
    directory = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="gorod_bench_queries_"))
    uri = options.get("table") or str(directory / "telemetry")
    figures: dict[str, Any] = {"readings": options["readings"], "devices": options["devices"]}
    if options.get("table"):
        figures["table"] = uri
    try:
        with override_settings(
            GOROD_TELEMETRY_TABLE=uri, GOROD_TELEMETRY_TIME_ZONE="Europe/Moscow"
        ):
            made = generate(uri, options, conf.storage_options())
            first: dt.datetime = made.pop("first_day")
            figures |= made
            start = first
            end = (first + dt.timedelta(days=32)).replace(day=1)
            one = queries.Selection(districts=[1])

            def district_month() -> Any:
                return queries.consumption(
                    metric=METRIC, start=start, end=end, bucket="month", selection=one
                )

            raw, figures["district_month_raw_s"] = _timed(district_month)
            figures["district_month_consumed_m3"] = round(raw["consumed"][0].as_py(), 3)
            figures["district_month_devices"] = raw["devices"][0].as_py()
            _report, figures["rollup_s"] = _timed(
                lambda: maintenance.rollup(now=end + dt.timedelta(days=1))
            )
            rolled, figures["district_month_rollup_s"] = _timed(district_month)
            figures["same_answer"] = bool(
                abs(rolled["consumed"][0].as_py() - raw["consumed"][0].as_py()) < 1e-6
            )
            every, figures["all_districts_month_rollup_s"] = _timed(
                lambda: queries.consumption(metric=METRIC, start=start, end=end, bucket="month")
            )
            figures["all_districts"] = len(every)
        if not options.get("table"):
            files = directory.rglob("*")
            figures["table_bytes"] = sum(p.stat().st_size for p in files if p.is_file())
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    return figures


def main() -> None:
    import json

    import django

    django.setup()
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    print(json.dumps(run(**vars(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
