"""Waiting-time estimators for a multi-server queue, after Ibrahim and Whitt.

Pure: no Django. R. Ibrahim and W. Whitt, "Real-time delay estimation based on delay
history" (Manufacturing & Service Operations Management 11(3), 2009) and "Real-time delay
estimation in overloaded multiserver queues with abandonments" (Management Science 55(10),
2009) compare two families:

- **QL** (queue length): a visitor with ``n`` people ahead and ``s`` busy servers of mean
  service time ``m`` waits about ``(n + 1) * m / s``. It uses the state now. That formula
  holds for one pool of identical servers serving one line; an office is not that: a
  counter serves several services, the fair order mixes booked visitors and priorities,
  clerks differ in pace, and a visitor at a counter for twenty minutes is nearer the end
  than one who has just sat down. So QL here *replays* the queue: the counters open now,
  each finishing its current visitor after the rest of a service time drawn given how long
  it has lasted, call the visitors ahead in their order (each counter only the services it
  serves), each taking a service time drawn for that service at that counter, until a
  counter calls the visitor. Many seeded replays give the wait's distribution; the estimate
  is its median, the value with the least expected absolute error.
- **LES** (last to enter service): a new visitor waits about as long as the last visitor who
  entered service waited. It uses only the recent history, so it adapts by itself to
  whatever the state misses (a clerk on a long call, service times drifting).
- **Naive**: the mean wait of the day so far, the baseline an estimator has to beat.

Service times are learned from history per service and counter, shrunk towards the
service's mean and then towards a prior when there are few observations; their spread (the
squared coefficient of variation) is learned as well, and replays draw gamma service times
with that mean and spread.
"""

from __future__ import annotations

import heapq
import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

QL = "ql"
LES = "les"
NAIVE = "naive"
ESTIMATORS = (QL, LES)
REPLAYS = 101
# Tries to draw a service time longer than what has already elapsed before taking the
# distribution's tail (exponential with the gamma's scale, its limit).
RESIDUAL_TRIES = 20
SPREAD_SHRINKAGE = 20.0  # pseudo-observations of an exponential spread (cv2 = 1)


@dataclass(frozen=True)
class ServiceSample:
    service: int
    counter: int
    seconds: float


@dataclass
class ServiceTimes:
    """Mean service time (seconds) per (service, counter), learned from history.

    With ``k`` pseudo-observations of shrinkage, a pair with ``n`` samples and mean ``x``
    gets ``(n x + k p) / (n + k)`` where ``p`` is the service's own shrunk mean, itself
    shrunk towards the service's prior (``priors``, else ``prior``). ``cv2`` is the squared
    coefficient of variation of one visit around its service's mean at its counter."""

    prior: float
    shrinkage: float = 5.0
    priors: Mapping[int, float] = field(default_factory=dict)
    by_pair: dict[tuple[int, int], tuple[int, float]] = field(default_factory=dict)
    by_service: dict[int, tuple[int, float]] = field(default_factory=dict)
    cv2: float = 1.0

    @classmethod
    def learn(
        cls,
        samples: Iterable[ServiceSample],
        *,
        prior: float,
        priors: Mapping[int, float] | None = None,
        shrinkage: float = 5.0,
    ) -> ServiceTimes:
        found = list(samples)
        pair_sums: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0, 0.0])
        service_sums: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
        for sample in found:
            for sums in (pair_sums[(sample.service, sample.counter)], service_sums[sample.service]):
                sums[0] += 1
                sums[1] += sample.seconds
        times = cls(
            prior=prior,
            shrinkage=shrinkage,
            priors=dict(priors or {}),
            by_pair={k: (int(n), total / n) for k, (n, total) in pair_sums.items()},
            by_service={k: (int(n), total / n) for k, (n, total) in service_sums.items()},
        )
        times.cv2 = _spread(found, times)
        return times

    def _shrunk(self, observed: tuple[int, float] | None, towards: float) -> float:
        if observed is None:
            return towards
        n, mean = observed
        return (n * mean + self.shrinkage * towards) / (n + self.shrinkage)

    def mean(
        self, service: int, counter: int | None = None, *, prior: float | None = None
    ) -> float:
        """Seconds one visitor for ``service`` takes (at ``counter`` when given)."""
        if prior is None:
            prior = self.priors.get(service, self.prior)
        of_service = self._shrunk(self.by_service.get(service), prior)
        if counter is None:
            return of_service
        return self._shrunk(self.by_pair.get((service, counter)), of_service)


def _spread(samples: Sequence[ServiceSample], times: ServiceTimes) -> float:
    """The squared coefficient of variation of the samples around their pairs' means,
    shrunk towards an exponential's 1 when there are few."""
    squares = 0.0
    for sample in samples:
        mean = times.mean(sample.service, sample.counter)
        squares += (sample.seconds / mean - 1) ** 2 if mean > 0 else 0.0
    return (squares + SPREAD_SHRINKAGE) / (len(samples) + SPREAD_SHRINKAGE)


@dataclass(frozen=True)
class Desk:
    """An open counter as the estimator sees it: the services it serves and, when a visitor
    is at it, their service and how long they have been there (seconds)."""

    key: int
    services: frozenset[int]
    busy_with: int | None = None
    busy_for: float = 0.0


def _draw(rng: random.Random, mean: float, shape: float) -> float:
    return rng.gammavariate(shape, mean / shape)


def _rest(rng: random.Random, mean: float, shape: float, elapsed: float) -> float:
    """The rest of a service time of ``mean`` that has lasted ``elapsed`` already."""
    for _try in range(RESIDUAL_TRIES):
        total = _draw(rng, mean, shape)
        if total > elapsed:
            return total - elapsed
    return rng.expovariate(shape / mean)


def _replay(
    rng: random.Random,
    *,
    ahead: Sequence[int],
    service: int,
    desks: Sequence[Desk],
    times: ServiceTimes,
    shape: float,
) -> float | None:
    """One replay: seconds until a counter calls the visitor for ``service`` behind
    ``ahead`` (services, in call order); None when no counter serves it."""
    free: list[tuple[float, int]] = []
    for desk in desks:
        at = 0.0
        if desk.busy_with is not None:
            mean = times.mean(desk.busy_with, desk.key)
            at = _rest(rng, mean, shape, desk.busy_for)
        free.append((at, desk.key))
    heapq.heapify(free)
    by_key = {desk.key: desk for desk in desks}
    line = [*ahead, service]
    taken = [False] * len(line)
    while free:
        at, key = heapq.heappop(free)
        serves = by_key[key].services
        index = next((i for i, s in enumerate(line) if not taken[i] and s in serves), None)
        if index is None:
            continue  # nobody left in this line for it: it serves those behind
        if index == len(line) - 1:
            return at
        taken[index] = True
        heapq.heappush(free, (at + _draw(rng, times.mean(line[index], key), shape), key))
    return None


def ql_estimate(
    *,
    ahead: Sequence[int],
    service: int,
    desks: Sequence[Desk],
    times: ServiceTimes,
    seed: int = 0,
    replays: int = REPLAYS,
) -> float | None:
    """Seconds to wait behind ``ahead`` (the services of the visitors before this one in
    the call order) at the counters ``desks`` open now: the median of seeded replays.

    None when no open counter serves ``service``: no estimate."""
    if not any(service in desk.services for desk in desks):
        return None
    shape = 1 / max(times.cv2, 1e-4)
    rng = random.Random(seed)  # noqa: S311  (a replay, not a secret)
    waits = [
        found
        for _n in range(replays)
        if (
            found := _replay(
                rng, ahead=ahead, service=service, desks=desks, times=times, shape=shape
            )
        )
        is not None
    ]
    return statistics.median(waits) if waits else None


def les_estimate(*, last_delay: float | None, waited: float = 0.0) -> float | None:
    """Seconds still to wait: the last visitor to enter service waited ``last_delay``; a
    visitor who has already waited ``waited`` is told the rest of it. None without history."""
    if last_delay is None:
        return None
    return max(0.0, last_delay - waited)


def naive_estimate(*, waits_today: Sequence[float], waited: float = 0.0) -> float:
    """The baseline: the mean wait of the visitors called so far today (none: no wait)."""
    if not waits_today:
        return 0.0
    return max(0.0, sum(waits_today) / len(waits_today) - waited)


def mean_absolute_error(pairs: Iterable[tuple[float, float]]) -> float | None:
    """MAE of (predicted, actual) pairs; None when there are none."""
    errors = [abs(predicted - actual) for predicted, actual in pairs]
    return sum(errors) / len(errors) if errors else None
