"""Daily forecasts (damped ETS) and their backtest; bad series are refused by name."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gorod.utilities.forecasting import SeriesError, backtest, forecast_daily


def weekly(days: int = 120, *, seed: int = 1, series: str = "b-1") -> pd.DataFrame:
    """Weekends use 20% more, the level drifts down slowly, a little noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2026-01-05", periods=days, freq="D")  # a Monday
    level = 40.0 - 0.03 * np.arange(days)
    y = level * np.where(ds.dayofweek >= 5, 1.2, 1.0) + rng.normal(0, 0.4, days)
    return pd.DataFrame({"unique_id": series, "ds": ds, "y": y})


def test_a_forecast_follows_the_week_with_an_interval() -> None:
    predicted = forecast_daily(weekly(), horizon=14)
    assert list(predicted.columns) == ["unique_id", "ds", "yhat", "lo", "hi"]
    assert len(predicted) == 14
    assert predicted["ds"].iloc[0] == pd.Timestamp("2026-05-05")
    assert (predicted["lo"] <= predicted["yhat"]).all()
    assert (predicted["yhat"] <= predicted["hi"]).all()
    weekend = predicted[predicted["ds"].dt.dayofweek >= 5]["yhat"].mean()
    weekday = predicted[predicted["ds"].dt.dayofweek < 5]["yhat"].mean()
    assert weekend > 1.1 * weekday


def test_a_polars_frame_of_several_series_with_a_zero_day() -> None:
    with_zero = weekly(series="b-2", seed=2)
    with_zero.loc[3, "y"] = 0.0  # additive forms for this one
    frame = pl.from_pandas(pd.concat([weekly(), with_zero]))
    predicted = forecast_daily(frame, horizon=7)
    assert sorted(predicted["unique_id"].unique()) == ["b-1", "b-2"]
    assert len(predicted) == 14


def test_the_backtest_beats_the_seasonal_naive_on_a_drifting_series() -> None:
    result = backtest(pd.concat([weekly(seed=s, series=f"b-{s}") for s in range(3)]))
    assert result.series == 3
    assert result.mase_model < result.mase_naive
    assert set(result.as_dict()) >= {"mase_model", "mase_seasonal_naive", "improvement"}


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (weekly().drop(columns="y"), "column y: is missing"),
        (weekly().assign(y="lots"), "column y"),
        (weekly().drop(index=10), "days are missing"),
        (pd.concat([weekly(), weekly().head(1)]), "appears twice"),
        (weekly(days=10), "needs at least 21 days"),
    ],
    ids=["no-y", "text", "gap", "duplicate", "short"],
)
def test_a_bad_series_is_refused_by_name(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(SeriesError, match=message):
        forecast_daily(frame)


def test_the_command_forecasts_a_file_and_backtests_it(tmp_path: Path) -> None:
    pd.concat([weekly(), weekly(seed=2, series="b-2")]).to_csv(tmp_path / "d.csv", index=False)
    out = StringIO()
    call_command(
        "utilities",
        *("forecast", "--backtest", "--json", "--input", str(tmp_path / "d.csv")),
        *("--output", str(tmp_path / "f.csv"), "--horizon", "30"),
        stdout=out,
    )
    figures = json.loads(out.getvalue().split("\n2 series")[0])
    assert figures["input"]["series"] == 2
    written = pd.read_csv(tmp_path / "f.csv")
    assert len(written) == 60
    assert list(written.columns) == ["unique_id", "ds", "yhat", "lo", "hi"]


def test_the_command_backtests_a_simulated_city() -> None:
    out = StringIO()
    call_command(
        "utilities",
        *("forecast", "--backtest", "--devices", "500", "--days", "100", "--horizon", "14"),
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("building: 3 series, 3 windows of 14 days; MASE ETS")
    assert lines[1].startswith("district: 1 series")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "missing.csv", "--output", "f.csv"], "no such file"),
        (["--input", "d.csv"], "--output"),
        (["--input", "d.csv", "--output", "f.csv", "--horizon", "0"], "--horizon"),
        (["--input", "bad.csv", "--output", "f.csv"], "column y: is missing"),
    ],
    ids=["missing", "no-output", "horizon", "bad-file"],
)
def test_bad_input_is_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    weekly().to_csv(tmp_path / "d.csv", index=False)
    weekly().drop(columns="y").to_csv(tmp_path / "bad.csv", index=False)
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("utilities", "forecast", *args)
    assert refused.value.returncode == 2
    assert message in str(refused.value)
    assert not (tmp_path / "f.csv").exists()


@pytest.mark.django_db
def test_the_command_forecasts_from_the_telemetry_table(tmp_path: Path) -> None:
    from django.test import override_settings

    from gorod.telemetry.ingest import registry
    from tests.places.factories import ApartmentFactory, BuildingFactory

    building = BuildingFactory.create()
    for _ in range(12):
        ApartmentFactory.create(building=building)
    with override_settings(GOROD_TELEMETRY_TABLE=str(tmp_path / "table")):
        registry.clear()
        call_command(
            "simulate",
            *("--devices", "12", "--days", "26", "--via", "table", "--provision"),
            stdout=StringIO(),
        )
        out = StringIO()
        call_command(
            "utilities",
            *("forecast", "--from-table", "--level", "building", "--history", "23"),
            *("--output", str(tmp_path / "f.csv"), "--horizon", "7"),
            stdout=out,
        )
        registry.clear()
    written = pd.read_csv(tmp_path / "f.csv")
    assert written["unique_id"].tolist() == [f"building-{building.pk}"] * 7
    assert (written["yhat"] > 0).all()
