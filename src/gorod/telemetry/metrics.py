"""The metrics a city device may report: name → unit, kind and the sane range of a value.

Pure: no Django import. ``cumulative`` metrics are meter registers that only grow (until the
register rolls over or the meter is replaced); ``gauge`` metrics are instantaneous values;
``flag`` metrics are 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["cumulative", "gauge", "flag"]


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    kind: Kind
    minimum: float
    maximum: float


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("water_cold_m3", "m³", "cumulative", 0.0, 1e8),
        Metric("water_hot_m3", "m³", "cumulative", 0.0, 1e8),
        Metric("heat_gcal", "Gcal", "cumulative", 0.0, 1e8),
        Metric("power_kwh_t1", "kWh", "cumulative", 0.0, 1e9),
        Metric("power_kwh_t2", "kWh", "cumulative", 0.0, 1e9),
        Metric("flow_lph", "l/h", "gauge", 0.0, 1e6),
        Metric("battery_pct", "%", "gauge", 0.0, 100.0),
        Metric("tamper", "", "flag", 0.0, 1.0),
        Metric("pm25_ugm3", "µg/m³", "gauge", 0.0, 2000.0),
        Metric("noise_db", "dB", "gauge", 0.0, 200.0),
        Metric("temperature_c", "°C", "gauge", -80.0, 200.0),
    )
}

CUMULATIVE = frozenset(name for name, m in METRICS.items() if m.kind == "cumulative")


def metric_names() -> list[str]:
    return sorted(METRICS)
