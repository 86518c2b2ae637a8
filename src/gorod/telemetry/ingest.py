"""Parse, validate and store telemetry: the one path shared by MQTT and HTTP ingestion.

``parse_*`` turn a message (or an Arrow table for HTTP back-fills) into a :class:`Batch`: the
valid readings as an Arrow table and the rejected items with their reason. Validation is
vectorised over the whole message (NumPy/Arrow); only JSON decoding walks the readings one
by one. :func:`store` writes a batch durably: readings into the telemetry table, each
device's latest values and ``last_seen_at`` into the database, and rejections as dead
letters; it returns only when all of that is committed.

Payload formats are in docs/telemetry.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.utils import timezone

from gorod.telemetry import conf, table
from gorod.telemetry.metrics import METRICS
from gorod.telemetry.models import DeadLetter, Device
from gorod.telemetry.mqtt import topic_route

SNIPPET_CHARS = 2000
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_EARLIEST_US = int(EARLIEST.timestamp() * 1_000_000)
_METRIC_NAMES = sorted(METRICS)
_METRIC_ARRAY = pa.array(_METRIC_NAMES)
_METRIC_MIN = np.array([METRICS[m].minimum for m in _METRIC_NAMES])
_METRIC_MAX = np.array([METRICS[m].maximum for m in _METRIC_NAMES])

READINGS_SCHEMA = pa.schema(
    [
        pa.field("device_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("district_id", pa.int32()),
        pa.field("building_id", pa.int64()),
    ]
)

# Reason codes, in the order a reading is checked: the first that fails is the reason.
BAD_JSON = "bad_json"
BAD_SHAPE = "bad_shape"
OVERSIZE = "oversize"
WRONG_TOPIC = "wrong_topic"
BAD_TYPE = "bad_type"
BAD_TIME = "bad_time"
UNKNOWN_DEVICE = "unknown_device"
INACTIVE_DEVICE = "inactive_device"
NOT_LINKED = "not_linked"
UNKNOWN_METRIC = "unknown_metric"
METRIC_NOT_ALLOWED = "metric_not_allowed"
NOT_FINITE = "not_finite"
OUT_OF_RANGE = "out_of_range"
ANCIENT_TIME = "ancient_time"
FUTURE_TIME = "future_time"

REASONS = (
    BAD_JSON,
    BAD_SHAPE,
    OVERSIZE,
    WRONG_TOPIC,
    BAD_TYPE,
    BAD_TIME,
    UNKNOWN_DEVICE,
    INACTIVE_DEVICE,
    NOT_LINKED,
    UNKNOWN_METRIC,
    METRIC_NOT_ALLOWED,
    NOT_FINITE,
    OUT_OF_RANGE,
    ANCIENT_TIME,
    FUTURE_TIME,
)

_ROW_MESSAGES = {
    BAD_TIME: "ts is neither an ISO 8601 time with a zone nor epoch milliseconds",
    UNKNOWN_DEVICE: "no device with this id is registered",
    INACTIVE_DEVICE: "the device is deactivated",
    NOT_LINKED: "the device is not linked to this gateway",
    UNKNOWN_METRIC: "the metric is not one the platform knows",
    METRIC_NOT_ALLOWED: "the metric is not one this device's type reports",
    NOT_FINITE: "the value is not a finite number",
    OUT_OF_RANGE: "the value is outside the metric's sane range",
    ANCIENT_TIME: "ts is before 2000-01-01",
    FUTURE_TIME: "ts is too far in the future",
}


@dataclass
class Rejection:
    """Refused items of one message that share a device and a reason."""

    reason: str
    message: str
    device_id: str = ""
    topic: str = ""
    snippet: str = ""
    count: int = 1


@dataclass
class Batch:
    """Valid readings (``READINGS_SCHEMA``) and what was refused."""

    readings: pa.Table = field(default_factory=READINGS_SCHEMA.empty_table)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(r.count for r in self.rejections)

    @classmethod
    def refused(cls, rejection: Rejection) -> Batch:
        return cls(rejections=[rejection])

    @classmethod
    def merge(cls, batches: Iterable[Batch]) -> Batch:
        parts = list(batches)
        tables = [b.readings for b in parts if len(b.readings)]
        return cls(
            readings=pa.concat_tables(tables) if tables else READINGS_SCHEMA.empty_table(),
            rejections=[r for b in parts for r in b.rejections],
        )


@dataclass(frozen=True)
class StoreResult:
    accepted: int
    rejected: int
    duplicates: int


# --- the device registry, cached per process -------------------------------------------


@dataclass(frozen=True)
class Registered:
    """What validation needs to know about a device."""

    device_id: str
    metrics: frozenset[str]
    district_id: int
    building_id: int | None
    is_active: bool
    is_gateway: bool
    gateway_id: str | None


class Registry:
    """A read cache of the device registry with a short lifetime (``conf.registry_ttl_seconds``).

    Only a cache: deactivating a device takes effect here within the lifetime. Ids that are
    not registered are remembered too, so a flood of unknown ids costs one query per lifetime.
    """

    QUERY_CHUNK = 500

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Registered | None] = {}
        self._loaded_at = time.monotonic()

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
            self._loaded_at = time.monotonic()

    def lookup(self, device_ids: Sequence[str]) -> dict[str, Registered | None]:
        with self._lock:
            if time.monotonic() - self._loaded_at > conf.registry_ttl_seconds():
                self._entries = {}
                self._loaded_at = time.monotonic()
            missing = [d for d in device_ids if d not in self._entries]
            if missing:
                self._entries.update(dict.fromkeys(missing))
                for start in range(0, len(missing), self.QUERY_CHUNK):
                    for entry in _registered(missing[start : start + self.QUERY_CHUNK]):
                        self._entries[entry.device_id] = entry
            return {d: self._entries[d] for d in device_ids}


def _registered(device_ids: Sequence[str]) -> list[Registered]:
    rows = Device.objects.filter(id__in=device_ids).values_list(
        "id",
        "device_type__metrics",
        "district_id",
        "building_id",
        "apartment__building_id",
        "institution__building_id",
        "is_active",
        "is_gateway",
        "gateway_id",
    )
    return [
        Registered(
            device_id=device_id,
            metrics=frozenset(metrics or ()),
            district_id=district_id,
            building_id=building_id or apartment_building_id or institution_building_id,
            is_active=is_active,
            is_gateway=is_gateway,
            gateway_id=gateway_id,
        )
        for (
            device_id,
            metrics,
            district_id,
            building_id,
            apartment_building_id,
            institution_building_id,
            is_active,
            is_gateway,
            gateway_id,
        ) in rows
    ]


registry = Registry()


# --- parsing ----------------------------------------------------------------------------


def _snippet(data: bytes | str | Any) -> str:
    if isinstance(data, bytes):
        text = data[:SNIPPET_CHARS].decode("utf-8", errors="replace")
    elif isinstance(data, str):
        text = data
    else:
        try:
            text = json.dumps(data, ensure_ascii=False, allow_nan=True, default=str)
        except ValueError:
            text = repr(data)
    return text[:SNIPPET_CHARS]


def _decode(payload: bytes, *, limit: int | None, topic: str, device_id: str = "") -> Any:
    """The JSON document, or a :class:`Batch` refusing the whole message."""
    limit = conf.max_message_bytes() if limit is None else limit
    if len(payload) > limit:
        return Batch.refused(
            Rejection(
                OVERSIZE,
                f"the message is {len(payload)} bytes, more than the {limit} allowed",
                device_id,
                topic,
                _snippet(payload[:200]),
            )
        )
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        return Batch.refused(
            Rejection(BAD_JSON, f"not JSON: {exc}"[:500], device_id, topic, _snippet(payload))
        )


def parse_message(topic: str, payload: bytes, *, max_bytes: int | None = None) -> Batch:
    """Route a message by its MQTT topic to :func:`parse_device_message` or the gateway's."""
    route = topic_route(topic)
    if route is None:
        return Batch.refused(
            Rejection(WRONG_TOPIC, "not a Gorod telemetry topic", "", topic, _snippet(payload))
        )
    kind, sender = route
    if kind == "device":
        return parse_device_message(sender, payload, topic=topic, max_bytes=max_bytes)
    return parse_gateway_message(payload, gateway_id=sender, topic=topic, max_bytes=max_bytes)


def parse_device_message(
    device_id: str, payload: bytes, *, topic: str = "", max_bytes: int | None = None
) -> Batch:
    """``{"readings": [{"metric", "ts", "value"}, ...]}`` from one device."""
    document = _decode(payload, limit=max_bytes, topic=topic, device_id=device_id)
    if isinstance(document, Batch):
        return document
    readings = document.get("readings") if isinstance(document, dict) else None
    if not isinstance(readings, list):
        return Batch.refused(
            Rejection(
                BAD_SHAPE,
                'expected {"readings": [...]}',
                device_id,
                topic,
                _snippet(payload),
            )
        )
    return _parse_items([(device_id, item) for item in readings], topic=topic)


def parse_gateway_message(
    payload: bytes,
    *,
    gateway_id: str | None = None,
    topic: str = "",
    max_bytes: int | None = None,
) -> Batch:
    """``{"devices": {"<device_id>": [{"metric", "ts", "value"}, ...], ...}}``.

    With ``gateway_id`` the gateway must be a registered, active gateway and may report only
    for the devices linked to it.
    """
    document = _decode(payload, limit=max_bytes, topic=topic, device_id=gateway_id or "")
    if isinstance(document, Batch):
        return document
    devices = document.get("devices") if isinstance(document, dict) else None
    if not isinstance(devices, dict):
        return Batch.refused(
            Rejection(
                BAD_SHAPE,
                'expected {"devices": {"<device id>": [...]}}',
                gateway_id or "",
                topic,
                _snippet(payload),
            )
        )
    pairs: list[tuple[str, Any]] = []
    rejections: list[Rejection] = []
    for device_id, items in devices.items():
        if not isinstance(items, list):
            rejections.append(
                Rejection(BAD_SHAPE, "expected a list of readings", device_id, topic, "")
            )
            continue
        pairs.extend((device_id, item) for item in items)
    batch = _parse_items(pairs, topic=topic, gateway_id=gateway_id)
    batch.rejections[:0] = rejections
    return batch


def _epoch_us(ts: Any) -> int | None:
    """Epoch milliseconds (a number) as epoch microseconds; None if not a usable number."""
    if isinstance(ts, bool) or not isinstance(ts, int | float):
        return None
    millis = float(ts)
    if not math.isfinite(millis) or abs(millis) > 1e14:
        return None
    return round(millis * 1000)


def _iso_us(texts: list[str]) -> list[int | None]:
    """ISO 8601 times with a zone as epoch microseconds (None where not one)."""
    if not texts:
        return []
    try:
        parsed = pc.cast(pa.array(texts, pa.string()), pa.timestamp("us", tz="UTC"))
        return parsed.cast(pa.int64()).to_pylist()  # type: ignore[no-any-return]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out: list[int | None] = []
    for text in texts:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            out.append(None)
            continue
        if moment.tzinfo is None:
            out.append(None)
        else:
            delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
            out.append(delta // dt.timedelta(microseconds=1))
    return out


def _parse_items(
    pairs: Sequence[tuple[str, Any]], *, topic: str, gateway_id: str | None = None
) -> Batch:
    """JSON readings (device id, item) → columns, then :func:`validate`."""
    device_ids: list[str] = []
    metrics: list[str] = []
    values: list[float] = []
    stamps: list[int | None] = []
    kept: list[Any] = []
    text_positions: list[int] = []
    texts: list[str] = []
    bad: dict[str, list[Any]] = {}
    for device_id, item in pairs:
        if not isinstance(item, dict):
            bad.setdefault(device_id, []).append(item)
            continue
        metric, ts, value = item.get("metric"), item.get("ts"), item.get("value")
        if (
            not isinstance(metric, str)
            or isinstance(value, bool)
            or not isinstance(value, int | float)
            or not isinstance(ts, str | int | float)
            or isinstance(ts, bool)
        ):
            bad.setdefault(device_id, []).append(item)
            continue
        if isinstance(ts, str):
            text_positions.append(len(stamps))
            texts.append(ts)
            stamps.append(None)
        else:
            stamps.append(_epoch_us(ts))
        device_ids.append(device_id)
        metrics.append(metric)
        values.append(float(value))
        kept.append(item)
    for position, micros in zip(text_positions, _iso_us(texts), strict=True):
        stamps[position] = micros
    rejections = [
        Rejection(
            BAD_TYPE,
            'a reading is {"metric": text, "ts": ISO 8601 text or epoch ms, "value": number}',
            device_id,
            topic,
            _snippet(items[0]),
            len(items),
        )
        for device_id, items in bad.items()
    ]
    batch = validate(
        device_ids=pa.array(device_ids, pa.string()),
        metrics=pa.array(metrics, pa.string()),
        ts=pa.array(stamps, pa.int64()),
        values=np.asarray(values, dtype=np.float64),
        topic=topic,
        gateway_id=gateway_id,
        snippet=lambda row: _snippet(kept[row]),
    )
    batch.rejections[:0] = rejections
    return batch


def parse_table(
    data: pa.Table, *, device_id: str | None = None, gateway_id: str | None = None, topic: str = ""
) -> Batch:
    """Readings in an Arrow table (HTTP back-fills in Arrow IPC or Parquet).

    Columns ``metric`` (text), ``ts`` (a timestamp with a zone, or epoch ms as an integer),
    ``value`` (a number), and ``device_id`` (text) unless ``device_id`` is given.
    Raises ``ValueError`` naming the column when the table has not that shape.
    """
    columns = set(data.column_names)
    needed = {"metric", "ts", "value"} | (set() if device_id else {"device_id"})
    for name in sorted(needed - columns):
        raise ValueError(name)
    n = len(data)
    if device_id:
        ids = pa.array([device_id] * n, pa.string()) if n else pa.array([], pa.string())
    else:
        ids = _column(data, "device_id", pa.string())
    ts_column = data["ts"]
    if pa.types.is_timestamp(ts_column.type):
        if ts_column.type.tz is None:
            raise ValueError("ts")
        ts = pc.cast(ts_column, pa.timestamp("us", tz="UTC")).cast(pa.int64())
    elif pa.types.is_integer(ts_column.type):
        ts = pc.multiply_checked(ts_column.cast(pa.int64()), 1000)
    else:
        raise ValueError("ts")
    if not (pa.types.is_floating(data["value"].type) or pa.types.is_integer(data["value"].type)):
        raise ValueError("value")
    values = data["value"].cast(pa.float64()).to_numpy(zero_copy_only=False)
    metrics = _column(data, "metric", pa.string())
    ts_array = ts.combine_chunks() if isinstance(ts, pa.ChunkedArray) else ts
    return validate(
        device_ids=ids,
        metrics=metrics,
        ts=ts_array,
        values=np.asarray(values, dtype=np.float64),
        topic=topic,
        gateway_id=gateway_id,
        snippet=lambda row: _snippet(
            {
                "device_id": ids[row].as_py(),
                "metric": metrics[row].as_py(),
                "ts": ts_array[row].as_py(),
                "value": float(values[row]),
            }
        ),
    )


def _column(data: pa.Table, name: str, kind: pa.DataType) -> pa.Array:
    column = data[name]
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise ValueError(name)
    if column.null_count:
        raise ValueError(name)
    return column.cast(kind).combine_chunks()


# --- validation -------------------------------------------------------------------------


def validate(
    *,
    device_ids: pa.Array,
    metrics: pa.Array,
    ts: pa.Array,
    values: np.ndarray[Any, np.dtype[np.float64]],
    topic: str = "",
    gateway_id: str | None = None,
    snippet: Callable[[int], str] = lambda row: "",
    now: dt.datetime | None = None,
) -> Batch:
    """Check every reading at once; the first failing check (``REASONS`` order) is the reason.

    ``ts`` holds epoch microseconds (null where the time could not be read).
    """
    n = len(device_ids)
    if n == 0:
        return Batch()
    unique = pc.unique(device_ids)
    index = pc.index_in(device_ids, value_set=unique).to_numpy(zero_copy_only=False)
    entries = registry.lookup(unique.to_pylist())
    gateway = registry.lookup([gateway_id])[gateway_id] if gateway_id else None
    gateway_ok = gateway is not None and gateway.is_active and gateway.is_gateway
    per_device = [entries[d] for d in unique.to_pylist()]
    known = np.array([e is not None for e in per_device])
    active = np.array([e is not None and e.is_active for e in per_device])
    linked = np.array(
        [
            gateway_id is None or (gateway_ok and e is not None and e.gateway_id == gateway_id)
            for e in per_device
        ]
    )
    district = np.array([e.district_id if e else 0 for e in per_device], dtype=np.int32)
    building = [e.building_id if e else None for e in per_device]

    metric_index = pc.index_in(metrics, value_set=_METRIC_ARRAY).fill_null(-1).to_numpy()
    known_metric = metric_index >= 0
    allowed_matrix = np.array(
        [[e is not None and m in e.metrics for m in _METRIC_NAMES] for e in per_device]
    ).reshape(len(per_device), len(_METRIC_NAMES))
    safe_metric = np.where(known_metric, metric_index, 0)
    allowed = known_metric & allowed_matrix[index, safe_metric]

    finite = np.isfinite(values)
    low, high = _METRIC_MIN[safe_metric], _METRIC_MAX[safe_metric]
    with np.errstate(invalid="ignore"):
        in_range = (values >= low) & (values <= high)
    ts_valid = ~np.asarray(ts.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    micros = ts.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    moment = now or timezone.now()
    latest_us = int(moment.timestamp() * 1_000_000) + conf.max_future_seconds() * 1_000_000

    checks = [
        (BAD_TIME, ~ts_valid),
        (UNKNOWN_DEVICE, ~known[index]),
        (INACTIVE_DEVICE, ~active[index]),
        (NOT_LINKED, ~linked[index]),
        (UNKNOWN_METRIC, ~known_metric),
        (METRIC_NOT_ALLOWED, ~allowed),
        (NOT_FINITE, ~finite),
        (OUT_OF_RANGE, ~in_range),
        (ANCIENT_TIME, micros < _EARLIEST_US),
        (FUTURE_TIME, micros > latest_us),
    ]
    refused = np.zeros(n, dtype=bool)
    rejections: list[Rejection] = []
    for reason, failing in checks:
        newly = failing & ~refused
        if newly.any():
            rejections.extend(
                _group(
                    reason=reason,
                    mask=newly,
                    index=index,
                    unique=unique,
                    topic=topic,
                    snippet=snippet,
                )
            )
            refused |= newly
    keep = np.nonzero(~refused)[0]
    take = pa.array(keep, pa.int64())
    readings = pa.table(
        {
            "device_id": device_ids.take(take),
            "metric": metrics.take(take),
            "ts": pa.array(micros[keep], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "value": pa.array(values[keep], pa.float64()),
            "district_id": pa.array(district[index[keep]], pa.int32()),
            "building_id": pa.array([building[i] for i in index[keep]], pa.int64())
            if any(b is None for b in building)
            else pa.array(np.asarray(building, dtype=np.int64)[index[keep]], pa.int64()),
        },
        schema=READINGS_SCHEMA,
    )
    return Batch(readings=readings, rejections=rejections)


def _group(
    *,
    reason: str,
    mask: np.ndarray[Any, np.dtype[np.bool_]],
    index: np.ndarray[Any, np.dtype[np.int64]],
    unique: pa.Array,
    topic: str,
    snippet: Callable[[int], str],
) -> list[Rejection]:
    rows = np.nonzero(mask)[0]
    groups, first, counts = np.unique(index[rows], return_index=True, return_counts=True)
    return [
        Rejection(
            reason,
            _ROW_MESSAGES[reason],
            str(unique[int(group)].as_py()),
            topic,
            snippet(int(rows[start])),
            int(count),
        )
        for group, start, count in zip(groups, first, counts, strict=True)
    ]


# --- storing ----------------------------------------------------------------------------


def deduplicate(readings: pa.Table) -> pa.Table:
    """One row per (device, metric, ts): a reading delivered twice in a batch is kept once."""
    if len(readings) < 2:
        return readings
    keys = readings.group_by(list(table.KEY)).aggregate([])
    if len(keys) == len(readings):
        return readings
    return (
        readings.group_by(list(table.KEY), use_threads=False)
        .aggregate([(name, "first") for name in readings.column_names if name not in table.KEY])
        .rename_columns([*table.KEY, *(n for n in readings.column_names if n not in table.KEY)])
        .select(readings.column_names)
    )


def store(batch: Batch, *, source: str, received_at: dt.datetime | None = None) -> StoreResult:
    """Write ``batch`` durably; return only once the table and the database have committed.

    Order: the readings are appended to the table first, then the latest states, the
    devices' ``last_seen_at`` and the dead letters are committed in one transaction. If the
    second step fails, the caller retries the whole batch: the readings appended twice are
    duplicates, which every query counts once.
    """
    now = received_at or timezone.now()
    readings = deduplicate(batch.readings)
    duplicates = len(batch.readings) - len(readings)
    table.append(conf.table_uri(), readings)
    with transaction.atomic():
        _states_upsert(readings)
        _last_seen_update(readings, now)
        _dead_letters_create(batch.rejections, source=source, received_at=now)
    return StoreResult(accepted=len(readings), rejected=batch.rejected, duplicates=duplicates)


def _latest(readings: pa.Table) -> pa.Table:
    """The newest reading of each (device, metric) in the batch."""
    ordered = readings.select(["device_id", "metric", "ts", "value"]).sort_by(
        [("device_id", "ascending"), ("metric", "ascending"), ("ts", "descending")]
    )
    return ordered.group_by(["device_id", "metric"], use_threads=False).aggregate(
        [("ts", "first"), ("value", "first")]
    )


def _states_upsert(readings: pa.Table) -> None:
    if not len(readings):
        return
    latest = _latest(readings)
    ids = latest["device_id"].to_pylist()
    metrics = latest["metric"].to_pylist()
    stamps = latest["ts_first"].to_pylist()
    values = latest["value_first"].to_pylist()
    state = "telemetry_devicestate"
    if connection.vendor == "postgresql":
        sql = (
            f"INSERT INTO {state} (device_id, metric, ts, value) "  # noqa: S608 - our table
            "SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::float8[]) "
            "ON CONFLICT (device_id, metric) DO UPDATE SET ts = EXCLUDED.ts, "
            f"value = EXCLUDED.value WHERE {state}.ts < EXCLUDED.ts"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [ids, metrics, stamps, values])
        return
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"INSERT INTO {state} (device_id, metric, ts, value) VALUES (%s, %s, %s, %s) "  # noqa: S608
        "ON CONFLICT (device_id, metric) DO UPDATE SET ts = excluded.ts, "
        f"value = excluded.value WHERE {state}.ts < excluded.ts"
    )
    rows = [(d, m, adapt(t), v) for d, m, t, v in zip(ids, metrics, stamps, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _last_seen_update(readings: pa.Table, now: dt.datetime) -> None:
    if not len(readings):
        return
    ids = pc.unique(readings["device_id"]).to_pylist()
    for start in range(0, len(ids), 5000):
        Device.objects.filter(id__in=ids[start : start + 5000]).update(last_seen_at=now)


def _dead_letters_create(
    rejections: Sequence[Rejection], *, source: str, received_at: dt.datetime
) -> None:
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(
                received_at=received_at,
                source=source,
                topic=r.topic[:300],
                device_id=r.device_id[:128],
                reason=r.reason,
                message=r.message[:500],
                count=r.count,
                payload=r.snippet,
            )
            for r in rejections
        ],
        batch_size=1000,
    )
