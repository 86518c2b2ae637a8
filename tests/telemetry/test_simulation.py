"""The simulator: seeded, well-formed readings, realistic water use, injected anomalies."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from gorod.telemetry.simulation import (
    Anomaly,
    DeviceKind,
    Event,
    Simulator,
    events_inject,
    fleet_make,
    start_of_day,
    truth_table,
)

START = start_of_day(dt.date(2026, 3, 1))


def _hourly(devices: int, days: int, events: list[Event] | None = None, seed: int = 7) -> pa.Table:
    fleet = fleet_make(devices, seed=seed)
    simulator = Simulator(fleet, start=START, seed=seed, events=events or [])
    return pa.Table.from_batches(list(simulator.hourly_consumption(days)))


def _meter(table: pa.Table, meter: str) -> dict[str, np.ndarray]:
    rows = table.filter(pa.compute.equal(table.column("meter_id"), meter))
    return {name: rows.column(name).to_numpy() for name in ("consume_litres", "total_litres")}


def test_fleet_has_apartment_meters_then_building_devices() -> None:
    fleet = fleet_make(300, seed=1)
    assert len(fleet) == 300
    assert fleet.kinds[:3] == [DeviceKind.WATER_COLD, DeviceKind.WATER_HOT, DeviceKind.POWER]
    assert DeviceKind.BUILDING_HEAT in fleet.kinds
    assert DeviceKind.AIR in fleet.kinds
    assert len(set(fleet.device_ids)) == 300
    assert set(fleet.residents[fleet.apartment >= 0]) <= {1, 2, 3, 4, 5}


def test_the_same_seed_gives_the_same_readings() -> None:
    def draw(seed: int) -> pa.RecordBatch:
        return next(Simulator(fleet_make(50, seed=seed), start=START, seed=seed).day_batches(1))

    assert draw(3).equals(draw(3))
    assert not draw(3).equals(draw(4))


def test_a_day_batch_has_every_metric_of_every_device_each_hour() -> None:
    fleet = fleet_make(200, seed=1)
    batch = next(Simulator(fleet, start=START, seed=1).day_batches(1))
    assert batch.schema.names == ["device_id", "metric", "ts", "value"]
    assert batch.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    per_device = {"water_cold": 1, "water_hot": 1, "heat": 1, "power": 2, "building_heat": 1}
    per_device["air"] = 3
    assert batch.num_rows == 24 * sum(per_device[str(kind)] for kind in fleet.kinds)
    stamps = batch.column("ts").to_pylist()
    assert min(stamps) == START + dt.timedelta(hours=1)  # a meter reports at the hour's end
    assert max(stamps) == START + dt.timedelta(hours=24)
    assert np.isfinite(batch.column("value").to_numpy()).all()


def test_healthy_water_use_is_intermittent_and_totals_never_fall() -> None:
    table = _hourly(300, 14)
    litres = table.column("consume_litres").to_numpy()
    hours = (pa.compute.hour(table.column("time")).to_numpy() + 3) % 24
    assert (litres >= 0).all()
    assert (litres[(hours >= 2) & (hours < 5)] == 0).mean() > 0.9  # nights are quiet
    assert (litres[(hours >= 7) & (hours < 9)] > 0).mean() > 0.5  # mornings are not
    daily = litres.sum() / (table.column("meter_id").unique().__len__() * 14)
    assert 50 < daily < 400  # litres per meter per day, cold and hot together
    first = _meter(table, "wc-0000001")
    assert (np.diff(first["total_litres"]) == first["consume_litres"][1:]).all()


def test_injected_anomalies_shape_the_meters_readings() -> None:
    fleet = fleet_make(60, seed=2)
    day = dt.timedelta(days=1)
    events = [
        Event("wc-0000001", Anomaly.LEAK, START + 8 * day, START + 12 * day),
        Event("wc-0000002", Anomaly.STUCK, START + 8 * day, START + 12 * day),
        Event("wc-0000003", Anomaly.REVERSE, START + 8 * day, START + 12 * day),
        Event("wc-0000004", Anomaly.REPEAT, START + 8 * day, START + 12 * day),
        Event("wh-0000001", Anomaly.MAGNET, START + 8 * day, START + 12 * day),
    ]
    simulator = Simulator(fleet, start=START, seed=2, events=events)
    readings, hourly = zip(*simulator.both(12), strict=True)
    table = pa.Table.from_batches(hourly)
    inside = slice(8 * 24, 12 * 24)
    assert (_meter(table, "wc-0000001")["consume_litres"][inside] > 0).all()
    assert (_meter(table, "wc-0000002")["consume_litres"][inside] == 0).all()
    assert (_meter(table, "wc-0000003")["consume_litres"][inside] <= 0).all()
    assert len(set(_meter(table, "wc-0000004")["consume_litres"][inside])) == 1
    tamper = pa.Table.from_batches(readings).filter(
        pa.compute.equal(pa.Table.from_batches(readings).column("metric"), "tamper")
    )
    assert set(tamper.column("device_id").to_pylist()) == {"wh-0000001"}
    assert tamper.num_rows == 4 * 24


def test_events_are_injected_into_distinct_water_meters_after_a_week() -> None:
    fleet = fleet_make(500, seed=3)
    events = events_inject(fleet, start=START, days=60, leaks=10, faults=10, seed=3)
    assert len({e.device_id for e in events}) == 20
    assert sum(e.kind is Anomaly.LEAK for e in events) == 10
    assert all(e.start >= START + dt.timedelta(days=7) for e in events)
    assert all(e.device_id[:2] in {"wc", "wh"} for e in events)
    assert truth_table(events).num_rows == 20


def test_too_many_anomalies_for_the_fleet_is_refused() -> None:
    with pytest.raises(ValueError, match="water meters"):
        events_inject(fleet_make(10, seed=1), start=START, days=30, leaks=10, faults=0, seed=1)
