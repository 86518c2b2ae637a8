"""Each detector on a small hand-made series, and the rule that no verdict looks ahead."""

from __future__ import annotations

import numpy as np
import pytest

from gorod.utilities import anomalies
from gorod.utilities.anomalies import Grid, Reason

# Column 0 is midnight in Moscow (21:00 UTC the day before).
GRID = Grid(first_hour=(20_454 * 24) - 3)
DAYS = 21


def household(days: int = DAYS, seed: int = 1) -> np.ndarray:
    """One ordinary household: use in the morning and evening, quiet nights."""
    rng = np.random.default_rng(seed)
    hours = np.tile(np.arange(24), days)
    active = (hours >= 7) & (hours < 23)
    use = np.where(active & (rng.random(hours.size) < 0.7), rng.integers(5, 40, hours.size), 0)
    return use.astype(np.float64)[None, :]


def test_an_ordinary_household_raises_nothing() -> None:
    assert (anomalies.detect(household(), GRID) == Reason.NONE).all()


def test_continuous_flow_needs_26_dry_less_hours() -> None:
    litres = household()
    litres[0, 10 * 24 :] += 3.0  # a leak from the morning of day 10
    flagged = anomalies.continuous_flow(litres)[0]
    first = int(np.flatnonzero(flagged)[0])
    assert first == 10 * 24 + 25
    assert flagged[first:].all()


def test_night_flow_is_flagged_after_three_flowing_nights() -> None:
    litres = household()
    night = np.zeros((DAYS, 24))
    night[10:, 2:5] = 4.0
    flagged = anomalies.night_flow(litres + night.ravel()[None, :], GRID)[0]
    assert int(np.flatnonzero(flagged)[0]) == 12 * 24 + 5  # 05:00 of the third night


def test_repeat_is_twelve_equal_hours() -> None:
    litres = household()
    litres[0, 240:260] = 7.0
    flagged = anomalies.repeat(litres)[0]
    assert int(np.flatnonzero(flagged)[0]) == 240 + 11
    assert flagged[259 : 259 + 24].all()  # held for a day after


def test_stuck_after_two_still_days_of_a_meter_that_was_used() -> None:
    litres = household()
    litres[0, 240:] = 0.0
    still_since = int(np.flatnonzero(litres[0])[-1]) + 1
    flagged = anomalies.stuck(litres, GRID)[0]
    assert int(np.flatnonzero(flagged)[0]) == still_since + 47
    never_used = np.zeros((1, DAYS * 24))
    assert not anomalies.stuck(never_used, GRID).any()


def test_decreasing_totals_are_flagged_at_once() -> None:
    litres = household()
    totals = np.cumsum(litres, axis=1)
    totals[0, 300:] -= 50.0
    flagged = anomalies.decreasing(litres, totals)[0]
    assert int(np.flatnonzero(flagged)[0]) == 300
    assert flagged[300:324].all()
    assert not flagged[324:].any()


def test_a_burst_is_far_above_the_profile() -> None:
    litres = household()
    litres[0, 15 * 24 + 14] = 900.0
    flagged = anomalies.above_profile(litres, GRID)[0]
    assert np.flatnonzero(flagged).tolist() == [15 * 24 + 14]


def test_a_slowed_meter_is_flagged_while_it_still_moves() -> None:
    litres = household()
    slowed = litres.copy()
    slowed[0, 12 * 24 :] = np.ceil(slowed[0, 12 * 24 :] * 0.1)
    assert anomalies.slowed(slowed, GRID)[0, 16 * 24 :].all()
    assert not anomalies.slowed(litres, GRID).any()


def test_the_highest_priority_reason_names_the_hour() -> None:
    litres = household()
    litres[0, 240:] = 7.0  # repeats, and so also flows continuously
    reasons = anomalies.detect(litres, GRID)[0]
    assert set(reasons[240 + 30 :].tolist()) == {Reason.REPEAT}


@pytest.mark.parametrize("cut", [200, 333, 450])
def test_no_verdict_looks_ahead(cut: int) -> None:
    litres = household(seed=3)
    litres[0, 250:] += 5.0
    litres[0, 400] = 1000.0
    whole = anomalies.detect(litres, GRID)
    assert (anomalies.detect(litres[:, :cut], GRID) == whole[:, :cut]).all()


def test_alert_events_carry_their_evidence() -> None:
    litres = household()
    litres[0, 240:] += 6.0
    events = anomalies.alert_events(litres, anomalies.detect(litres, GRID))
    assert [e.reason for e in events][:1] == [Reason.CONTINUOUS_FLOW]
    leak = events[0]
    assert leak.kind == "leak"
    assert leak.evidence["min_hour_litres_last_24h"] >= 6.0
    assert leak.evidence["hours"] == leak.last - leak.first + 1


def test_the_odd_meter_out_has_the_highest_outlier_score() -> None:
    litres = np.vstack([household(days=28, seed=s)[0] for s in range(40)])
    litres[7] += 12.0  # flows all day and night
    features = anomalies.monthly_features(litres, GRID)
    assert features.shape == (40, len(anomalies.FEATURES))
    scores = anomalies.outlier_scores(features, seed=1)
    assert int(np.argmax(scores)) == 7


def test_a_still_meter_is_stuck_only_while_its_apartment_uses_water() -> None:
    cold, hot = household(seed=1), household(seed=2)
    cold[0, 240:] = 0.0  # the cold meter stops; hot water still flows: stuck
    away = np.vstack([household(seed=3), household(seed=4)])
    away[:, 240:] = 0.0  # both stop: the household is away
    litres = np.vstack([cold, hot, away])
    apartments = np.array([1, 1, 2, 2])
    reasons = anomalies.detect(litres, GRID, apartments=apartments)
    assert (reasons[0] == Reason.STUCK).any()
    assert not (reasons[2:] == Reason.STUCK).any()
    alone = anomalies.detect(litres, GRID)  # without apartments, the empty flat looks stuck
    assert (alone[2:] == Reason.STUCK).any()


def test_a_household_leaving_is_not_a_stuck_meter() -> None:
    """Its last use on one meter may come many hours after the other's: the household is at
    home only while the other meter uses water in each half of the still spell."""
    cold, hot = household(seed=5), household(seed=6)
    cold[0, 240:] = 0.0
    hot[0, 240:] = 0.0
    hot[0, 252] = 10.0  # a last wash at noon, half a day after the cold meter's last use
    litres = np.vstack([cold, hot])
    for detector in (anomalies.detect, anomalies.detect_reference):
        reasons = detector(litres, GRID, apartments=np.array([1, 1]))
        assert not (reasons == Reason.STUCK).any()
    assert (anomalies.detect(litres, GRID) == Reason.STUCK).any()  # each meter alone: stuck
