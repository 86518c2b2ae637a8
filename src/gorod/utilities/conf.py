"""Utilities settings: each read from ``settings.GOROD_UTILITIES_<NAME>`` with a default.

Defaults are Moscow's: the consumption standards per person per month (hot and cold
water from the city's standard of 11.68 m³; heat and electricity illustrative) and
illustrative tariffs in roubles; a city sets its own in the settings or, for tariffs,
in the back office (a ``Tariff`` row wins over the setting).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from gorod.utilities.vee import Limits


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, f"GOROD_UTILITIES_{name}", default)


def standards() -> dict[str, Decimal]:
    """Consumption standard per registered resident per month, by resource."""
    default = {
        "water_cold": "6.935",
        "water_hot": "4.745",
        "heat": "0.300",
        "power_t1": "100",
        "power_t2": "50",
    }
    return {k: Decimal(v) for k, v in _setting("STANDARDS", default).items()}


def default_tariffs() -> dict[str, Decimal]:
    """Price per unit (m³, Gcal, kWh) in roubles, by resource."""
    default = {
        "water_cold": "57.23",
        "water_hot": "318.51",
        "heat": "3300.00",
        "power_t1": "9.10",
        "power_t2": "3.63",
    }
    return {k: Decimal(v) for k, v in _setting("TARIFFS", default).items()}


def limits() -> Limits:
    return Limits(
        standard_factor=Decimal(_setting("STANDARD_FACTOR", "3")),
        spike_factor=Decimal(_setting("SPIKE_FACTOR", "5")),
    )


def window_days() -> tuple[int, int]:
    """The days of the month (inclusive) when residents submit readings (Decree 354)."""
    first, last = _setting("WINDOW_DAYS", (15, 25))
    return int(first), int(last)
