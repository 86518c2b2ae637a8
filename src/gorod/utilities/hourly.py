"""Hourly consumption files: read and check them, and run the detectors over them in chunks.

Pure: pyarrow and NumPy, no Django. The input has columns ``meter_id, time,
consume_litres`` and optionally ``total_litres`` and ``apartment_id`` (meters of one
apartment vouch for each other: see ``anomalies.detect``), one row per meter and hour; ``time`` is
the start of the hour in ISO 8601, with an offset (``2026-01-01T00:00:00+03:00``, ``...Z``)
or without one, then read as Moscow time. Within a meter the hours must rise strictly
(a file sorted by meter then time, or by time then meter, is fine); a duplicate or an
earlier hour, a time off the hour, a missing column or a value that is not a number is a
:class:`HourlyError` naming the line and the column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gorod.utilities.anomalies import DEFAULT, LABEL, Grid, Reason, Thresholds, detect

REQUIRED = ("meter_id", "time", "consume_litres")
OPTIONAL = ("total_litres", "apartment_id")
US_PER_HOUR = 3_600_000_000
CHUNK_METERS = 500  # 500 meter-years of hours (17 MB a float32 array) keep caches warm


class HourlyError(ValueError):
    def __init__(self, message: str, *, line: int | None = None, column: str | None = None):
        where = ", ".join(
            part
            for part in (f"line {line}" if line else "", f"column {column}" if column else "")
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.line, self.column = line, column


def _line(row: int) -> int:
    return row + 2  # the header is line 1


def times_parse(column: pa.Array) -> npt.NDArray[np.int64]:
    """ISO 8601 strings (or timestamps) as microseconds since the epoch, UTC."""
    return np.asarray(_times(column).cast(pa.int64()).to_numpy(zero_copy_only=False))


def _times(column: pa.Array) -> pa.Array:
    utc = pa.timestamp("us", tz="UTC")
    try:
        return column.cast(utc)
    except pa.ArrowInvalid:
        pass
    try:
        naive = column.cast(pa.timestamp("us"))
        return pc.assume_timezone(naive, "Europe/Moscow").cast(utc)
    except pa.ArrowInvalid:
        pass
    for row, value in enumerate(column.to_pylist()):
        for kind in (utc, pa.timestamp("us")):
            try:
                pa.array([value]).cast(kind)
                break
            except pa.ArrowInvalid:
                continue
        else:
            raise HourlyError(f"{value!r} is not an ISO 8601 time", line=_line(row), column="time")
    raise HourlyError("mixes times with and without a UTC offset", column="time")


def _numbers(table: pa.Table, name: str) -> npt.NDArray[np.float64]:
    column = table.column(name).combine_chunks()
    try:
        values = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for row, value in enumerate(column.to_pylist()):
            try:
                float(value)
            except (TypeError, ValueError):
                raise HourlyError(
                    f"{value!r} is not a number", line=_line(row), column=name
                ) from None
        raise HourlyError("is not numeric", column=name) from None
    numbers = values.to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if bad.size:
        raise HourlyError("is empty or not a finite number", line=_line(int(bad[0])), column=name)
    return np.asarray(numbers, dtype=np.float64)


@dataclass(frozen=True)
class Hourly:
    """A checked file: per row the meter's index, the epoch hour and the figures."""

    meters: list[str]
    meter: npt.NDArray[np.int64]
    hour: npt.NDArray[np.int64]
    litres: npt.NDArray[np.float64]
    totals: npt.NDArray[np.float64] | None
    times: pa.Array  # as written, echoed in the output
    apartment: npt.NDArray[np.int64] | None = None  # per meter (index), when the file says

    def __len__(self) -> int:
        return len(self.meter)


def hourly_read(path: Path | str) -> Hourly:
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={"meter_id": pa.string(), "time": pa.string()},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise HourlyError(f"not a readable CSV file: {exc}") from exc
    return hourly_check(table)


def hourly_check(table: pa.Table) -> Hourly:
    for name in REQUIRED:
        if name not in table.column_names:
            raise HourlyError("is missing", column=name)
    if table.column("meter_id").null_count:
        raise HourlyError("is empty", column="meter_id")
    meter_ids = table.column("meter_id").combine_chunks()
    blank = np.flatnonzero(pc.equal(pc.utf8_trim_whitespace(meter_ids), "").to_numpy(False))
    if blank.size:
        raise HourlyError("is empty", line=_line(int(blank[0])), column="meter_id")
    written = table.column("time").combine_chunks()
    micros = times_parse(written)
    off = np.flatnonzero(micros % US_PER_HOUR)
    if off.size:
        raise HourlyError("is not on the hour", line=_line(int(off[0])), column="time")
    hour = micros // US_PER_HOUR
    litres = _numbers(table, "consume_litres")
    totals = _numbers(table, "total_litres") if "total_litres" in table.column_names else None
    encoded = meter_ids.dictionary_encode()
    meter = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.lexsort((np.arange(len(meter)), meter))  # by meter, keeping the file's order
    same = meter[order][1:] == meter[order][:-1]
    back = np.flatnonzero(same & (hour[order][1:] <= hour[order][:-1]))
    if back.size:
        row = int(order[back[0] + 1])
        problem = "repeats" if hour[row] == hour[order[back[0]]] else "goes back to"
        raise HourlyError(
            f"{problem} an hour of meter {meter_ids[row].as_py()}", line=_line(row), column="time"
        )
    return Hourly(
        meters=encoded.dictionary.to_pylist(),
        meter=meter,
        hour=hour,
        litres=litres,
        totals=totals,
        times=written,
        apartment=_apartments(table, meter, len(encoded.dictionary)),
    )


def _apartments(
    table: pa.Table, meter: npt.NDArray[np.int64], meters: int
) -> npt.NDArray[np.int64] | None:
    """The apartment of each meter (an index), from the optional ``apartment_id`` column;
    a meter in two apartments is an error."""
    if "apartment_id" not in table.column_names:
        return None
    column = table.column("apartment_id").combine_chunks().cast(pa.string())
    labels = column.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)
    labels[column.is_null().to_numpy(zero_copy_only=False)] = -1
    apartment = np.full(meters, -2, dtype=np.int64)
    apartment[meter[::-1]] = labels[::-1]  # the first row of a meter says
    moved = np.flatnonzero(apartment[meter] != labels)
    if moved.size:
        raise HourlyError(
            "names another apartment for the same meter",
            line=_line(int(moved[0])),
            column="apartment_id",
        )
    return apartment


@dataclass(frozen=True)
class Chunk:
    """Some meters' rows laid on a grid: input row ``rows[i]`` sits at ``(row[i], col[i])``."""

    rows: npt.NDArray[np.int64]
    row: npt.NDArray[np.int64]
    col: npt.NDArray[np.int64]
    grid: Grid
    litres: npt.NDArray[Any]  # NaN where a meter has no row
    totals: npt.NDArray[Any] | None
    apartments: npt.NDArray[np.int64] | None


def chunks(hourly: Hourly, *, chunk_meters: int = CHUNK_METERS) -> Iterator[Chunk]:
    """Chunks of meters; a grid spans its chunk's first to last hour."""
    # Meters of one apartment go to the same chunk, so they can vouch for each other.
    rank = np.empty(len(hourly.meters), dtype=np.int64)
    keys = hourly.apartment if hourly.apartment is not None else np.zeros(len(hourly.meters))
    rank[np.lexsort((np.arange(len(hourly.meters)), keys))] = np.arange(len(hourly.meters))
    ranked = rank[hourly.meter]
    order = np.argsort(ranked, kind="stable")
    bounds = np.searchsorted(ranked[order], np.arange(0, len(hourly.meters) + 1))
    for low in range(0, len(hourly.meters), chunk_meters):
        high = min(low + chunk_meters, len(hourly.meters))
        rows = order[bounds[low] : bounds[high]]
        first = int(hourly.hour[rows].min())
        width = int(hourly.hour[rows].max()) - first + 1
        r, c = ranked[rows] - low, hourly.hour[rows] - first
        litres = np.full((high - low, width), np.nan, dtype=np.float32)
        litres[r, c] = hourly.litres[rows]
        totals = None
        if hourly.totals is not None:
            totals = np.full((high - low, width), np.nan)
            totals[r, c] = hourly.totals[rows]
        apartments = None
        if hourly.apartment is not None:
            apartments = np.full(high - low, -1, dtype=np.int64)
            apartments[r] = hourly.apartment[hourly.meter[rows]]
        yield Chunk(rows, r, c, Grid(first_hour=first), litres, totals, apartments)


def hourly_detect(
    hourly: Hourly, *, thresholds: Thresholds = DEFAULT, chunk_meters: int = CHUNK_METERS
) -> npt.NDArray[np.int8]:
    """The reason code of each input row (0: no alert), in the file's order."""
    out = np.zeros(len(hourly), dtype=np.int8)
    for chunk in chunks(hourly, chunk_meters=chunk_meters):
        reasons = detect(
            chunk.litres,
            chunk.grid,
            totals=chunk.totals,
            thresholds=thresholds,
            apartments=chunk.apartments,
        )
        out[chunk.rows] = reasons[chunk.row, chunk.col]
    return out


def alerts_write(path: Path | str, hourly: Hourly, reasons: npt.NDArray[np.int8]) -> None:
    labels = np.array(["", *(LABEL[Reason(code)] for code in range(1, len(Reason)))], dtype=object)
    table = pa.table(
        {
            "meter_id": pa.array(hourly.meters, pa.string()).take(pa.array(hourly.meter)),
            "time": hourly.times,
            "alert": pa.array((reasons > 0).astype(np.int8)),
            "reason": pa.array(labels[reasons], pa.string()),
        }
    )
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
