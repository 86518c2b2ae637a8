"""A seeded city fleet that produces realistic telemetry, with injected anomalies and the truth.

Pure: NumPy and pyarrow, no Django. The fleet is mostly apartment meters (cold and hot
water, heat, electricity with a day and a night tariff), with some building heat meters and
air sensors. Every quantity is drawn per hour, for all devices at once:

- water: use events per resident come as a Poisson process whose rate follows a daily
  profile in Moscow time (morning and evening peaks, almost nothing at night, so most night
  hours read zero), a weekly one (weekends start later and use a little more) and a season
  (less in summer); each event draws a volume; some households are away for a week or two;
- heat follows the outdoor temperature (a seasonal sinusoid with a daily swing) in the
  heating season; electricity follows the household and the evening peak;
- meters report cumulative totals (m³ with litre resolution, kWh, Gcal) at the end of each
  hour; air sensors report PM2.5, noise and temperature as gauges.

Anomalies are injected into water meters with their ground truth (:class:`Event`):
``leak`` (a continuous flow of a few to tens of litres an hour on top of normal use, from a
start time), ``burst`` (0.4 to 1.5 m³ an hour for a few hours: a burst pipe), ``stuck`` (the total
stops increasing), ``repeat`` (the meter repeats one hourly volume), ``reverse`` (the total
runs backwards: a meter mounted the wrong way round or wound back) and ``magnet`` (a magnet
slows the meter to a tenth and sets the tamper flag).

:meth:`Simulator.day_batches` yields one pyarrow ``RecordBatch`` per day (columns
``device_id, metric, ts, value``), so any number of days stays within one day's memory;
:meth:`Simulator.hourly_consumption` yields the water meters' hours in the detector's input
format (``meter_id, time, consume_litres, total_litres, apartment_id``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

MOSCOW = dt.timezone(dt.timedelta(hours=3), "MSK")
HOUR = dt.timedelta(hours=1)
HOURS_PER_DAY = 24

# Mean use events per resident in each hour of the day (Moscow time); about 15 a day.
WATER_EVENTS = np.array(
    [0.05, 0.02, 0.01, 0.01, 0.01, 0.03, 0.35, 1.40, 1.60, 0.90, 0.55, 0.50,
     0.60, 0.60, 0.50, 0.50, 0.60, 0.80, 1.20, 1.40, 1.30, 1.00, 0.60, 0.20],
)  # fmt: skip
WEEKEND_SHIFT = 2  # hours the morning starts later on a weekend
WEEKEND_FACTOR = 1.1
LITRES_PER_EVENT = {"water_cold": 8.0, "water_hot": 5.5}
POWER_KWH = np.array(
    [0.25, 0.20, 0.18, 0.18, 0.18, 0.20, 0.35, 0.50, 0.45, 0.30, 0.25, 0.25,
     0.28, 0.28, 0.25, 0.25, 0.30, 0.45, 0.65, 0.80, 0.80, 0.70, 0.50, 0.35],
)  # fmt: skip
DAY_TARIFF_HOURS = np.arange(24)[(np.arange(24) >= 7) & (np.arange(24) < 23)]
RESIDENTS = np.array([1, 2, 3, 4, 5])
RESIDENT_SHARES = np.array([0.25, 0.30, 0.25, 0.15, 0.05])
AWAY_SHARE = 0.08  # households away for one spell in the period
HEATING_BASE_C = 18.0
APARTMENT_GCAL_PER_DEGREE_HOUR = 0.000045
APARTMENTS_PER_BUILDING = 60


class DeviceKind(StrEnum):
    WATER_COLD = "water_cold"
    WATER_HOT = "water_hot"
    HEAT = "heat"
    POWER = "power"
    BUILDING_HEAT = "building_heat"
    AIR = "air"


# What each kind reports: metric names as in the telemetry metrics registry.
METRICS: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.WATER_COLD: ("water_cold_m3",),
    DeviceKind.WATER_HOT: ("water_hot_m3",),
    DeviceKind.HEAT: ("heat_gcal",),
    DeviceKind.POWER: ("power_kwh_t1", "power_kwh_t2"),
    DeviceKind.BUILDING_HEAT: ("heat_gcal",),
    DeviceKind.AIR: ("pm25_ugm3", "noise_db", "temperature_c"),
}
PREFIX = {
    DeviceKind.WATER_COLD: "wc",
    DeviceKind.WATER_HOT: "wh",
    DeviceKind.HEAT: "hm",
    DeviceKind.POWER: "em",
    DeviceKind.BUILDING_HEAT: "bh",
    DeviceKind.AIR: "aq",
}
WATER_KINDS = (DeviceKind.WATER_COLD, DeviceKind.WATER_HOT)


class Anomaly(StrEnum):
    LEAK = "leak"
    BURST = "burst"
    STUCK = "stuck"
    REPEAT = "repeat"
    REVERSE = "reverse"
    MAGNET = "magnet"


FAULTS = (Anomaly.STUCK, Anomaly.REPEAT, Anomaly.REVERSE, Anomaly.BURST, Anomaly.MAGNET)


@dataclass(frozen=True)
class Fleet:
    """The devices, one entry per device in every array; apartments group their meters."""

    device_ids: list[str]
    kinds: list[DeviceKind]
    apartment: Ints  # index of the apartment, -1 for building devices
    building: Ints
    residents: Ints  # of the device's apartment (0 for building devices)

    def __len__(self) -> int:
        return len(self.device_ids)

    def of_kind(self, *kinds: DeviceKind) -> Ints:
        return np.flatnonzero(np.isin(np.array(self.kinds, dtype=object), kinds))


@dataclass(frozen=True)
class Event:
    """One injected anomaly: the ground truth a detector is scored against."""

    device_id: str
    kind: Anomaly
    start: dt.datetime
    end: dt.datetime  # exclusive


def fleet_make(devices: int, *, seed: int, prefix: str = "") -> Fleet:
    """``devices`` devices: apartments with three or four meters, then after every 60
    apartments their building's heat meter (and an air sensor every other building).
    Device ids are ``<prefix><kind>-<number>``."""
    if devices < 1:
        raise ValueError("a fleet needs at least one device")
    rng = np.random.default_rng([seed, 1])
    kinds: list[DeviceKind] = []
    apartment: list[int] = []
    building: list[int] = []
    flat = 0
    while len(kinds) < devices:
        house = flat // APARTMENTS_PER_BUILDING
        for kind in (DeviceKind.WATER_COLD, DeviceKind.WATER_HOT, DeviceKind.POWER):
            kinds.append(kind)
            apartment.append(flat)
            building.append(house)
        if flat % 3 == 0:  # a third of the apartments have their own heat meter
            kinds.append(DeviceKind.HEAT)
            apartment.append(flat)
            building.append(house)
        if flat % APARTMENTS_PER_BUILDING == APARTMENTS_PER_BUILDING - 1:
            kinds.append(DeviceKind.BUILDING_HEAT)
            apartment.append(-1)
            building.append(house)
            if house % 2 == 0:
                kinds.append(DeviceKind.AIR)
                apartment.append(-1)
                building.append(house)
        flat += 1
    kinds, apartment, building = kinds[:devices], apartment[:devices], building[:devices]
    flats = rng.choice(RESIDENTS, size=flat, p=RESIDENT_SHARES)
    numbers: dict[DeviceKind, int] = {}
    ids = []
    for kind in kinds:
        numbers[kind] = numbers.get(kind, 0) + 1
        ids.append(f"{prefix}{PREFIX[kind]}-{numbers[kind]:07d}")
    apartments = np.array(apartment, dtype=np.int64)
    return Fleet(
        device_ids=ids,
        kinds=kinds,
        apartment=apartments,
        building=np.array(building, dtype=np.int64),
        residents=np.where(apartments >= 0, flats[np.maximum(apartments, 0)], 0),
    )


def events_inject(
    fleet: Fleet,
    *,
    start: dt.datetime,
    days: int,
    leaks: int,
    faults: int,
    seed: int,
    kinds: Sequence[Anomaly] = FAULTS,
) -> list[Event]:
    """Pick distinct water meters for ``leaks`` leaks and ``faults`` faults (the fault kinds
    in turn); every anomaly starts after the first week so detectors have some history."""
    water = fleet.of_kind(*WATER_KINDS)
    if leaks + faults > len(water):
        raise ValueError(
            f"{leaks + faults} anomalies need as many water meters; the fleet has {len(water)}"
        )
    if (leaks or faults) and days < 10:
        raise ValueError("anomalies need at least 10 simulated days")
    rng = np.random.default_rng([seed, 2])
    chosen = rng.choice(water, size=leaks + faults, replace=False)
    plan = [Anomaly.LEAK] * leaks + [kinds[i % len(kinds)] for i in range(faults)]
    hours = days * HOURS_PER_DAY
    events = []
    for index, kind in zip(chosen, plan, strict=True):
        first = int(rng.integers(7 * HOURS_PER_DAY, max(hours - 3 * HOURS_PER_DAY, 7 * 24 + 1)))
        if kind is Anomaly.BURST:
            length = int(rng.integers(2, 9))
        else:  # until repaired: from three days to the end of the period
            length = int(rng.integers(3 * HOURS_PER_DAY, 30 * HOURS_PER_DAY))
        last = min(first + length, hours)
        events.append(
            Event(
                device_id=fleet.device_ids[int(index)],
                kind=kind,
                start=start + first * HOUR,
                end=start + last * HOUR,
            )
        )
    return sorted(events, key=lambda e: (e.start, e.device_id))


def outdoor_temperature(hours_utc: Floats) -> Floats:
    """Moscow's outdoor temperature (°C) at epoch hours: −6.5 in mid-January, +19 in mid-July,
    coldest at 5 in the morning."""
    day_of_year = (hours_utc / 24.0) % 365.25
    seasonal = 6.25 - 12.75 * np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
    local_hour = (hours_utc + 3) % 24
    return seasonal + 3.5 * np.cos(2 * np.pi * (local_hour - 15) / 24)


class Simulator:
    """Draws the fleet's readings hour by hour from ``start`` (UTC, on the hour)."""

    def __init__(
        self, fleet: Fleet, *, start: dt.datetime, seed: int, events: Sequence[Event] = ()
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.fleet = fleet
        self.start = start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        self.events = list(events)
        self._rng = np.random.default_rng([seed, 3])
        n = len(fleet)
        kinds = np.array(fleet.kinds, dtype=object)
        self._water = np.flatnonzero(np.isin(kinds, WATER_KINDS))
        self._litres_per_event = np.array(
            [LITRES_PER_EVENT.get(fleet.kinds[i], 0.0) for i in self._water]
        ) * self._rng.lognormal(0.0, 0.25, size=len(self._water))
        self._residents = fleet.residents.astype(np.float64)
        self._thrift = self._rng.lognormal(0.0, 0.3, size=n)  # each household's own habits
        self._totals = np.round(self._rng.uniform(0, 400_000, size=n))  # litres, kWh×1000...
        self._totals[~np.isin(np.arange(n), self._water)] = 0.0
        self._power = np.zeros((n, 2))
        self._heat = self._rng.uniform(0, 50, size=n)
        self._away = self._away_spells(n)
        self._hour = 0  # hours drawn since start
        self._by_device = {fid: i for i, fid in enumerate(fleet.device_ids)}
        self._ids = pa.array(fleet.device_ids, pa.string())
        self._repeat = np.zeros(n)

    def _away_spells(self, n: int) -> tuple[Ints, Ints]:
        """A first and last hour (relative to start) of a spell away, per apartment device."""
        away = self._rng.random(n) < AWAY_SHARE
        first = self._rng.integers(0, 365 * HOURS_PER_DAY, size=n)
        length = self._rng.integers(5, 15, size=n) * HOURS_PER_DAY
        # Every device of an apartment shares its household's spell.
        flats = self.fleet.apartment
        order = np.maximum(flats, 0)
        spell_first = np.where(away[order], first[order], -1)
        return spell_first, np.where(away[order], first[order] + length[order], -1)

    # --- one step ------------------------------------------------------------------------

    def _water_litres(self, hours: Ints) -> Floats:
        """True consumption of the water meters, litres, shape (water meters, len(hours))."""
        epoch = (hours + self._hour_epoch()).astype(np.float64)
        local = ((hours + self._hour_epoch() + 3) % 24).astype(np.int64)
        weekday = ((hours + self._hour_epoch() + 3) // 24 + 3) % 7  # 1970-01-01 was a Thursday
        weekend = weekday >= 5
        profile = np.where(
            weekend,
            WATER_EVENTS[(local - WEEKEND_SHIFT) % 24] * WEEKEND_FACTOR,
            WATER_EVENTS[local],
        )
        season = 1.0 - 0.12 * np.cos(2 * np.pi * ((epoch / 24.0) % 365.25 - 15) / 365.25 + np.pi)
        water = self._water
        rate = (self._residents[water] * self._thrift[water])[:, None] * (profile * season)[None, :]
        first, last = self._away
        present = ~((hours[None, :] >= first[water, None]) & (hours[None, :] < last[water, None]))
        events = self._rng.poisson(rate * present)
        volume = self._rng.gamma(np.maximum(events, 1) * 2.0, 0.5, size=events.shape)
        return np.where(events > 0, volume * self._litres_per_event[:, None], 0.0)

    def _hour_epoch(self) -> int:
        return int(self.start.timestamp()) // 3600

    def _inject(self, hours: Ints, litres: Floats) -> tuple[Floats, Bools]:
        """Apply the events to the water meters' hours; returns reported litres, tamper."""
        reported = litres.copy()
        tamper = np.zeros(litres.shape, dtype=np.bool_)
        position = {int(d): k for k, d in enumerate(self._water)}
        for event in self.events:
            row = position[self._by_device[event.device_id]]
            first = int((event.start - self.start) / HOUR)
            last = int((event.end - self.start) / HOUR)
            cols = (hours >= first) & (hours < last)
            if not cols.any():
                continue
            span = int(cols.sum())
            kind = event.kind
            if kind is Anomaly.LEAK:
                rate = 3.0 + 37.0 * (int.from_bytes(event.device_id.encode()[-3:], "big") % 97) / 96
                noise = self._rng.normal(1.0, 0.15, size=span).clip(0.3)
                reported[row, cols] += rate * noise
            elif kind is Anomaly.BURST:
                reported[row, cols] += self._rng.uniform(400.0, 1500.0, size=span)
            elif kind is Anomaly.STUCK:
                reported[row, cols] = 0.0
            elif kind is Anomaly.REPEAT:
                if self._repeat[row] == 0.0:
                    self._repeat[row] = float(self._rng.integers(4, 30))
                reported[row, cols] = self._repeat[row]
            elif kind is Anomaly.REVERSE:
                reported[row, cols] = -reported[row, cols]
            else:  # magnet
                reported[row, cols] *= 0.1
                tamper[row, cols] = True
        return reported, tamper

    def _advance(self, count: int) -> tuple[Ints, dict[str, tuple[Ints, Floats]], Floats]:
        """Draw ``count`` hours; returns the hours (relative), metric → (devices, values
        shape (devices, count)), and the water meters' reported litres per hour."""
        hours = np.arange(self._hour, self._hour + count, dtype=np.int64)
        self._hour += count
        out: dict[str, tuple[Ints, Floats]] = {}
        litres, tamper = self._inject(hours, self._water_litres(hours))
        litres = np.round(litres)  # meters count whole litres
        water = self._water
        totals = self._totals[water, None] + np.cumsum(litres, axis=1)
        self._totals[water] = totals[:, -1]
        kinds = np.array(self.fleet.kinds, dtype=object)
        for kind in WATER_KINDS:
            mask = kinds[water] == kind
            out[METRICS[kind][0]] = (water[mask], totals[mask] / 1000.0)
        if tamper.any():
            out["tamper"] = (water, tamper.astype(np.float64))
        self._other(hours, kinds, out)
        self._hourly_litres = litres
        self._hourly_totals = totals
        return hours, out, litres

    def _other(
        self, hours: Ints, kinds: npt.NDArray[np.object_], out: dict[str, tuple[Ints, Floats]]
    ) -> None:
        epoch = (hours + self._hour_epoch()).astype(np.float64)
        local = ((hours + self._hour_epoch() + 3) % 24).astype(np.int64)
        outdoor = outdoor_temperature(epoch)
        power = np.flatnonzero(kinds == DeviceKind.POWER)
        if len(power):
            use = (self._residents[power] ** 0.6 * self._thrift[power])[:, None] * POWER_KWH[local]
            use = use * self._rng.gamma(4.0, 0.25, size=use.shape)
            day = np.isin(local, DAY_TARIFF_HOURS)
            t1 = self._power[power, 0, None] + np.cumsum(use * day, axis=1)
            t2 = self._power[power, 1, None] + np.cumsum(use * ~day, axis=1)
            self._power[power, 0], self._power[power, 1] = t1[:, -1], t2[:, -1]
            out["power_kwh_t1"], out["power_kwh_t2"] = (power, t1), (power, t2)
        heat = np.flatnonzero((kinds == DeviceKind.HEAT) | (kinds == DeviceKind.BUILDING_HEAT))
        if len(heat):
            scale = np.where(kinds[heat] == DeviceKind.BUILDING_HEAT, APARTMENTS_PER_BUILDING, 1.0)
            degrees = np.maximum(HEATING_BASE_C - outdoor, 0.0)[None, :]
            gcal = scale[:, None] * APARTMENT_GCAL_PER_DEGREE_HOUR * degrees
            gcal = gcal * self._rng.normal(1.0, 0.05, size=gcal.shape).clip(0.5)
            totals = self._heat[heat, None] + np.cumsum(gcal, axis=1)
            self._heat[heat] = totals[:, -1]
            out["heat_gcal"] = (heat, np.round(totals, 6))
        air = np.flatnonzero(kinds == DeviceKind.AIR)
        if len(air):
            rush = np.isin(local, (7, 8, 9, 17, 18, 19)).astype(np.float64)
            shape = (len(air), len(hours))
            pm25 = self._rng.lognormal(np.log(9.0 + 8.0 * rush), 0.35, size=shape)
            noise = 42.0 + 18.0 * ((local >= 7) & (local < 23)) + 5.0 * rush
            out["pm25_ugm3"] = (air, np.round(pm25, 1))
            out["noise_db"] = (air, np.round(noise + self._rng.normal(0, 3, size=shape), 1))
            temperature = outdoor + self._rng.normal(0, 0.7, size=shape)
            out["temperature_c"] = (air, np.round(temperature, 1))

    # --- outputs -------------------------------------------------------------------------

    def _batch(self, hours: Ints, readings: dict[str, tuple[Ints, Floats]]) -> pa.RecordBatch:
        ends = (hours + 1 + self._hour_epoch()) * 3600 * 1_000_000
        ids, metrics, stamps, values = [], [], [], []
        for metric, (devices, matrix) in readings.items():
            if metric == "tamper":  # the flag is only sent while it is raised
                rows, cols = np.nonzero(matrix)
                owners, flat, stamp = devices[rows], np.ones(len(rows)), ends[cols]
            else:
                owners = np.repeat(devices, len(hours))
                flat, stamp = matrix.ravel(), np.tile(ends, matrix.shape[0])
            ids.append(owners)
            metrics.append(np.full(len(owners), metric, dtype=object))
            stamps.append(stamp)
            values.append(flat)
        device_index = pa.array(np.concatenate(ids) if ids else np.zeros(0, np.int64))
        return pa.RecordBatch.from_arrays(
            [
                self._ids.take(device_index),
                pa.array(np.concatenate(metrics) if metrics else [], pa.string()),
                pa.array(np.concatenate(stamps) if stamps else [], pa.timestamp("us", tz="UTC")),
                pa.array(np.concatenate(values) if values else [], pa.float64()),
            ],
            names=["device_id", "metric", "ts", "value"],
        )

    def day_batches(self, days: int) -> Iterator[pa.RecordBatch]:
        """One batch per simulated day: every metric of every device at the end of each hour."""
        for _ in range(days):
            hours, readings, _litres = self._advance(HOURS_PER_DAY)
            yield self._batch(hours, readings)

    def hourly_consumption(self, days: int) -> Iterator[pa.RecordBatch]:
        """The water meters' hours, a batch per day: ``meter_id, time`` (the hour's start,
        UTC), ``consume_litres``, ``total_litres`` (the register at the hour's end) and
        ``apartment_id`` (the apartment's index in the fleet)."""
        for _ in range(days):
            yield self._hourly_batch(*self._advance(HOURS_PER_DAY))

    def both(self, days: int) -> Iterator[tuple[pa.RecordBatch, pa.RecordBatch]]:
        """The readings and the hourly consumption of the same draws, a pair per day."""
        for _ in range(days):
            hours, readings, litres = self._advance(HOURS_PER_DAY)
            yield self._batch(hours, readings), self._hourly_batch(hours, readings, litres)

    @property
    def water_kinds(self) -> tuple[DeviceKind, ...]:
        return WATER_KINDS

    def water_hours(self, days: int) -> tuple[Floats, Floats]:
        """The water meters' reported litres and register totals (litres) hour by hour, as
        two arrays (water meter, hour): for detectors and benchmarks, no Arrow in between."""
        litres, totals = [], []
        for _ in range(days):
            _hours, _readings, drawn = self._advance(HOURS_PER_DAY)
            litres.append(drawn)
            totals.append(self._hourly_totals)
        return np.concatenate(litres, axis=1), np.concatenate(totals, axis=1)

    def step(self, hours: int = 1) -> pa.RecordBatch:
        """The next ``hours`` hours of readings (the live stream draws one at a time)."""
        drawn, readings, _litres = self._advance(hours)
        return self._batch(drawn, readings)

    def _hourly_batch(
        self, hours: Ints, _readings: dict[str, tuple[Ints, Floats]], litres: Floats
    ) -> pa.RecordBatch:
        starts = (hours + self._hour_epoch()) * 3600 * 1_000_000
        water = self._water
        return pa.RecordBatch.from_arrays(
            [
                self._ids.take(pa.array(np.repeat(water, len(hours)))),
                pa.array(np.tile(starts, len(water)), pa.timestamp("us", tz="UTC")),
                pa.array(litres.ravel()),
                pa.array(self._hourly_totals.ravel()),
                pa.array(np.repeat(self.fleet.apartment[water], len(hours))).cast(pa.string()),
            ],
            names=["meter_id", "time", "consume_litres", "total_litres", "apartment_id"],
        )


def truth_table(events: Sequence[Event]) -> pa.Table:
    """The ground truth as a table: ``device_id, kind, start, end`` (end exclusive)."""
    return pa.table(
        {
            "device_id": pa.array([e.device_id for e in events], pa.string()),
            "kind": pa.array([str(e.kind) for e in events], pa.string()),
            "start": pa.array([e.start for e in events], pa.timestamp("us", tz="UTC")),
            "end": pa.array([e.end for e in events], pa.timestamp("us", tz="UTC")),
        }
    )


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight in Moscow of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=MOSCOW).astimezone(dt.UTC)


def readings_per_day(fleet: Fleet) -> int:
    return sum(len(METRICS[k]) for k in fleet.kinds) * HOURS_PER_DAY


__all__ = [
    "Anomaly",
    "DeviceKind",
    "Event",
    "Fleet",
    "Simulator",
    "events_inject",
    "fleet_make",
    "start_of_day",
    "truth_table",
]
