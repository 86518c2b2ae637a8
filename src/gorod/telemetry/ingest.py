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
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from deltalake.exceptions import DeltaError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
class Chunk:
    """The readings of one message, read but not validated yet."""

    device_ids: pa.Array  # string, one per reading
    metrics: pa.Array  # string
    ts: pa.Array  # int64 epoch microseconds, null where the time could not be read
    values: np.ndarray[Any, np.dtype[np.float64]]
    topic: str = ""
    gateway_id: str | None = None
    snippet: Callable[[int], str] = lambda row: ""

    def __len__(self) -> int:
        return len(self.device_ids)


class Batch:
    """Valid readings (``READINGS_SCHEMA``) and what was refused.

    Readings parsed from messages are validated when first looked at, all chunks of a batch
    at once, so merging the batches of many messages (a worker's micro-batch) costs one
    validation, not one per message.
    """

    def __init__(
        self,
        readings: pa.Table | None = None,
        rejections: list[Rejection] | None = None,
        *,
        chunks: list[Chunk] | None = None,
    ) -> None:
        self._readings = READINGS_SCHEMA.empty_table() if readings is None else readings
        self._rejections = list(rejections or [])
        self._chunks = [c for c in chunks or [] if len(c)]

    def _resolve(self) -> None:
        if not self._chunks:
            return
        chunks, self._chunks = self._chunks, []
        readings, rejections = _validate(chunks)
        if len(self._readings):
            readings = pa.concat_tables([self._readings, readings])
        self._readings = readings
        self._rejections.extend(rejections)

    @property
    def readings(self) -> pa.Table:
        self._resolve()
        return self._readings

    @property
    def rejections(self) -> list[Rejection]:
        self._resolve()
        return self._rejections

    @property
    def rejected(self) -> int:
        return sum(r.count for r in self.rejections)

    @classmethod
    def refused(cls, rejection: Rejection) -> Batch:
        return cls(rejections=[rejection])

    @classmethod
    def merge(cls, batches: Iterable[Batch]) -> Batch:
        parts = list(batches)
        tables = [b._readings for b in parts if len(b._readings)]
        return cls(
            readings=pa.concat_tables(tables) if tables else None,
            rejections=[r for b in parts for r in b._rejections],
            chunks=[c for b in parts for c in b._chunks],
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

    QUERY_CHUNK = 2000

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
    return _parse_items(pa.repeat(pa.scalar(device_id), len(readings)), readings, topic=topic)


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
    ids: list[str] = []
    items: list[Any] = []
    rejections: list[Rejection] = []
    for device_id, readings in devices.items():
        if not isinstance(readings, list):
            rejections.append(
                Rejection(BAD_SHAPE, "expected a list of readings", device_id, topic, "")
            )
            continue
        ids.extend([device_id] * len(readings))
        items.extend(readings)
    batch = _parse_items(pa.array(ids, pa.string()), items, topic=topic, gateway_id=gateway_id)
    batch._rejections[:0] = rejections
    return batch


_MS_LIMIT = 1e14
"""Epoch milliseconds beyond this (the year 5138) are not a time."""


def _ms_to_us(millis: np.ndarray[Any, np.dtype[np.float64]]) -> pa.Array:
    """Epoch milliseconds → epoch microseconds, null where not a usable number."""
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(millis) & (np.abs(millis) <= _MS_LIMIT)
    micros = np.round(np.where(usable, millis, 0.0) * 1000).astype(np.int64)
    return pa.array(micros, pa.int64(), mask=~usable)


def _iso_us(texts: list[str]) -> pa.Array:
    """ISO 8601 times with a zone as epoch microseconds (null where not one)."""
    try:
        parsed = pc.cast(pa.array(texts, pa.string()), pa.timestamp("us", tz="UTC"))
        return parsed.cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out: list[int | None] = []
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for text in texts:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            out.append(None)
            continue
        out.append(None if moment.tzinfo is None else (moment - epoch) // _MICROSECOND)
    return pa.array(out, pa.int64())


_MICROSECOND = dt.timedelta(microseconds=1)
_NUMBER = {int, float}


def _stamps(stamps: list[Any]) -> pa.Array | None:
    """Times all of one kind (texts, or numbers) as epoch µs; None for a mixture."""
    kinds = set(map(type, stamps))
    if kinds <= {str}:
        return _iso_us(stamps)
    if kinds <= _NUMBER:
        try:
            return _ms_to_us(np.asarray(stamps, dtype=np.float64))
        except OverflowError:
            return None
    return None


def _fast_columns(items: list[Any]) -> tuple[pa.Array, pa.Array, Any] | None:
    """(metrics, ts, values) of well-formed readings, read column by column; None if any
    reading is not well formed (then :func:`_slow_columns` finds which)."""
    try:
        metrics = [item["metric"] for item in items]
        stamps = [item["ts"] for item in items]
        values = [item["value"] for item in items]
    except (KeyError, TypeError, IndexError):
        return None
    if not set(map(type, metrics)) <= {str} or not set(map(type, values)) <= _NUMBER:
        return None
    ts = _stamps(stamps)
    if ts is None:
        return None
    try:
        numbers = np.asarray(values, dtype=np.float64)
    except OverflowError:
        return None
    return pa.array(metrics, pa.string()), ts, numbers


def _well_formed(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    metric, ts, value = item.get("metric"), item.get("ts"), item.get("value")
    if type(metric) is not str or type(value) not in _NUMBER:
        return False
    if type(ts) is not str and type(ts) not in _NUMBER:
        return False
    # Integers beyond 64 bits are not meter values or times.
    return all(type(x) is not int or abs(x) < 2**63 for x in (value, ts))


def _parse_items(
    device_ids: pa.Array, items: list[Any], *, topic: str, gateway_id: str | None = None
) -> Batch:
    """JSON readings (with the device id of each) → a chunk to validate, and the items that
    are not readings at all (``bad_type``)."""
    rejections: list[Rejection] = []
    columns = _fast_columns(items)
    if columns is None:
        good = [_well_formed(item) for item in items]
        bad: dict[str, list[Any]] = {}
        for device_id, item, ok in zip(device_ids.to_pylist(), items, good, strict=True):
            if not ok:
                bad.setdefault(device_id, []).append(item)
        rejections = [
            Rejection(
                BAD_TYPE,
                'a reading is {"metric": text, "ts": ISO 8601 text or epoch ms, "value": number}',
                device_id,
                topic,
                _snippet(found[0]),
                len(found),
            )
            for device_id, found in bad.items()
        ]
        keep = [i for i, ok in enumerate(good) if ok]
        items = [items[i] for i in keep]
        device_ids = device_ids.take(pa.array(keep, pa.int64()))
        metrics = pa.array([item["metric"] for item in items], pa.string())
        stamps = [item["ts"] for item in items]
        texts = [i for i, t in enumerate(stamps) if type(t) is str]
        ts_values: list[int | None] = [
            None if type(t) is str else _ms_to_us(np.array([float(t)]))[0].as_py() for t in stamps
        ]
        for position, micros in zip(
            texts, _iso_us([stamps[i] for i in texts]).to_pylist(), strict=True
        ):
            ts_values[position] = micros
        ts = pa.array(ts_values, pa.int64())
        values = np.asarray([float(item["value"]) for item in items], dtype=np.float64)
    else:
        metrics, ts, values = columns
    chunk = Chunk(
        device_ids=device_ids,
        metrics=metrics,
        ts=ts,
        values=values,
        topic=topic,
        gateway_id=gateway_id,
        snippet=lambda row: _snippet(items[row]),
    )
    return Batch(rejections=rejections, chunks=[chunk])


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
        ids = pa.repeat(pa.scalar(device_id), n)
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
    values = np.asarray(
        data["value"].cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    metrics = _column(data, "metric", pa.string())
    ts_array = ts.combine_chunks() if isinstance(ts, pa.ChunkedArray) else ts
    chunk = Chunk(
        device_ids=ids,
        metrics=metrics,
        ts=ts_array,
        values=values,
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
    return Batch(chunks=[chunk])


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


def _validate(
    chunks: Sequence[Chunk], *, now: dt.datetime | None = None
) -> tuple[pa.Table, list[Rejection]]:
    """Check every reading of ``chunks`` at once; the first failing check (``REASONS``
    order) is a reading's reason. Returns the valid readings and the rejections."""
    device_ids = pa.concat_arrays([c.device_ids.cast(pa.string()) for c in chunks])
    metrics = pa.concat_arrays([c.metrics for c in chunks])
    ts = pa.concat_arrays([c.ts for c in chunks])
    values = np.concatenate([c.values for c in chunks])
    sizes = np.array([len(c) for c in chunks])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offsets[-1])

    unique = pc.unique(device_ids)
    index = pc.index_in(device_ids, value_set=unique).to_numpy(zero_copy_only=False)
    names = unique.to_pylist()
    gateway_ids = sorted({c.gateway_id for c in chunks if c.gateway_id})
    entries = registry.lookup(names + gateway_ids)
    per_device = [entries[d] for d in names]
    known = np.array([e is not None for e in per_device])
    active = np.array([e is not None and e.is_active for e in per_device])
    linked = _linked(chunks, offsets, index, per_device, entries)
    district = np.array([e.district_id if e else 0 for e in per_device], dtype=np.int32)
    building = np.array([e.building_id or 0 if e else 0 for e in per_device], dtype=np.int64)
    has_building = np.array([e is not None and e.building_id is not None for e in per_device])

    metric_index = pc.index_in(metrics, value_set=_METRIC_ARRAY).fill_null(-1).to_numpy()
    known_metric = metric_index >= 0
    allowed_matrix = np.array(
        [[e is not None and m in e.metrics for m in _METRIC_NAMES] for e in per_device]
    ).reshape(len(per_device), len(_METRIC_NAMES))
    safe_metric = np.where(known_metric, metric_index, 0)
    allowed = known_metric & allowed_matrix[index, safe_metric]

    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        in_range = (values >= _METRIC_MIN[safe_metric]) & (values <= _METRIC_MAX[safe_metric])
    ts_valid = ~np.asarray(ts.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    micros = ts.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    moment = now or timezone.now()
    latest_us = int(moment.timestamp() * 1_000_000) + conf.max_future_seconds() * 1_000_000

    checks = [
        (BAD_TIME, ~ts_valid),
        (UNKNOWN_DEVICE, ~known[index]),
        (INACTIVE_DEVICE, ~active[index]),
        (NOT_LINKED, ~linked),
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
                    names=names,
                    chunks=chunks,
                    offsets=offsets,
                )
            )
            refused |= newly
    keep = None if not refused.any() else np.nonzero(~refused)[0]
    columns = {"device_id": device_ids, "metric": metrics}
    if keep is not None:
        take = pa.array(keep, pa.int64())
        columns = {name: column.take(take) for name, column in columns.items()}
        micros, values, index = micros[keep], values[keep], index[keep]
    readings = pa.table(
        {
            **columns,
            "ts": pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "value": pa.array(values, pa.float64()),
            "district_id": pa.array(district[index], pa.int32()),
            "building_id": pa.array(building[index], pa.int64(), mask=~has_building[index]),
        },
        schema=READINGS_SCHEMA,
    )
    return readings, rejections


def _linked(
    chunks: Sequence[Chunk],
    offsets: np.ndarray[Any, np.dtype[np.int64]],
    index: np.ndarray[Any, np.dtype[np.int64]],
    per_device: list[Registered | None],
    entries: dict[str, Registered | None],
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per reading: sent by the device itself, or by an active gateway it is linked to."""
    linked = np.ones(int(offsets[-1]), dtype=bool)
    if not any(c.gateway_id for c in chunks):
        return linked
    device_gateway = np.array([e.gateway_id if e else None for e in per_device], dtype=object)
    for chunk, start, end in zip(chunks, offsets[:-1], offsets[1:], strict=True):
        if chunk.gateway_id is None:
            continue
        gateway = entries.get(chunk.gateway_id)
        usable = gateway is not None and gateway.is_active and gateway.is_gateway
        linked[start:end] = usable & (device_gateway[index[start:end]] == chunk.gateway_id)
    return linked


def _group(
    *,
    reason: str,
    mask: np.ndarray[Any, np.dtype[np.bool_]],
    index: np.ndarray[Any, np.dtype[np.int64]],
    names: list[str],
    chunks: Sequence[Chunk],
    offsets: np.ndarray[Any, np.dtype[np.int64]],
) -> list[Rejection]:
    """One rejection per chunk (message) and device, with the first item as the snippet."""
    rows = np.nonzero(mask)[0]
    chunk_of = np.searchsorted(offsets, rows, side="right") - 1
    keys = chunk_of.astype(np.int64) * (len(names) + 1) + index[rows]
    _groups, first, counts = np.unique(keys, return_index=True, return_counts=True)
    out = []
    for start, count in zip(first, counts, strict=True):
        row = int(rows[start])
        chunk = chunks[int(chunk_of[start])]
        out.append(
            Rejection(
                reason,
                _ROW_MESSAGES[reason],
                names[int(index[row])],
                chunk.topic,
                chunk.snippet(row - int(offsets[int(chunk_of[start])])),
                int(count),
            )
        )
    return out


# --- storing ----------------------------------------------------------------------------


def _codes(column: pa.Array | pa.ChunkedArray) -> np.ndarray[Any, np.dtype[np.int64]]:
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def sort_and_deduplicate(readings: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The readings sorted by device, metric and time with each (device, metric, ts) once,
    and the newest reading of each (device, metric)."""
    if len(readings) == 0:
        return readings, readings
    devices, metrics = _codes(readings["device_id"]), _codes(readings["metric"])
    key = devices * (int(metrics.max()) + 1) + metrics
    ts = np.asarray(readings["ts"].cast(pa.int64()).to_numpy(), dtype=np.int64)
    order = np.lexsort((ts, key))
    key, ts = key[order], ts[order]
    same_key = key[1:] == key[:-1]
    first_copy = np.ones(len(order), dtype=bool)
    first_copy[1:] = ~(same_key & (ts[1:] == ts[:-1]))
    newest = np.ones(len(order), dtype=bool)
    newest[:-1] = ~same_key
    return readings.take(order[first_copy]), readings.take(order[newest])


logger = logging.getLogger(__name__)


def store(batch: Batch, *, source: str, received_at: dt.datetime | None = None) -> StoreResult:
    """Write ``batch`` durably; return only once the table and the database have committed.

    Order: the readings are appended to the table first, then the latest states, the
    devices' ``last_seen_at`` and the dead letters are committed in one transaction. If the
    second step fails, the caller retries the whole batch: the readings appended twice are
    duplicates, which every query counts once. If the table cannot be written (an object
    store down or misconfigured), nothing is changed and ``table.Unavailable`` says so.
    """
    now = received_at or timezone.now()
    readings, latest = sort_and_deduplicate(batch.readings)
    duplicates = len(batch.readings) - len(readings)
    try:
        table.append(conf.table_uri(), readings, storage_options=conf.storage_options())
    except (OSError, DeltaError) as exc:
        logger.warning("the telemetry table %s cannot be written: %s", conf.table_uri(), exc)
        raise table.Unavailable(
            _("The telemetry table cannot be written now; nothing was stored. Send again later.")
        ) from exc
    with transaction.atomic():
        _states_upsert(latest)
        _last_seen_update(latest, now)
        _dead_letters_create(batch.rejections, source=source, received_at=now)
    return StoreResult(accepted=len(readings), rejected=batch.rejected, duplicates=duplicates)


def _states_upsert(latest: pa.Table) -> None:
    if not len(latest):
        return
    ids = latest["device_id"].to_pylist()
    metrics = latest["metric"].to_pylist()
    stamps = latest["ts"].to_pylist()
    values = latest["value"].to_pylist()
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


LAST_SEEN_CHUNK = 500


def _last_seen_update(latest: pa.Table, now: dt.datetime) -> None:
    ids = pc.unique(latest["device_id"]).to_pylist() if len(latest) else []
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), LAST_SEEN_CHUNK):
            part = ids[start : start + LAST_SEEN_CHUNK]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"UPDATE telemetry_device SET last_seen_at = %s WHERE id IN ({marks})",  # noqa: S608
                [stamp, *part],
            )


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
