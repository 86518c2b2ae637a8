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
  is its median, the value with the least expected absolute error. Priority visitors who
  have not come yet but will go ahead (their turn is their arrival less a head start) are
  drawn into each replay as Poisson arrivals at the rates the office has seen.
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

import bisect
import heapq
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

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

    @classmethod
    def from_sums(
        cls,
        sums: Mapping[tuple[int, int], tuple[int, float, float]],
        *,
        prior: float,
        priors: Mapping[int, float] | None = None,
        shrinkage: float = 5.0,
    ) -> ServiceTimes:
        """The same model as ``learn`` from each (service, counter) pair's count, sum and
        sum of squares of seconds, as one aggregate query gives them: the spread's sum of
        squares around a pair's mean ``m`` is ``squares / m² − 2 · total / m + n``."""
        service_sums: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
        for (service, _counter), (n, total, _squares) in sums.items():
            service_sums[service][0] += n
            service_sums[service][1] += total
        times = cls(
            prior=prior,
            shrinkage=shrinkage,
            priors=dict(priors or {}),
            by_pair={k: (int(n), total / n) for k, (n, total, _squares) in sums.items() if n},
            by_service={k: (int(n), total / n) for k, (n, total) in service_sums.items() if n},
        )
        squares = 0.0
        count = 0
        for (service, counter), (n, total, of_squares) in sums.items():
            count += n
            mean = times.mean(service, counter)
            if mean > 0:
                squares += of_squares / mean**2 - 2 * total / mean + n
        times.cv2 = (squares + SPREAD_SHRINKAGE) / (count + SPREAD_SHRINKAGE)
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


def _rests(
    generator: np.random.Generator, *, replays: int, mean: float, shape: float, elapsed: float
) -> np.ndarray:
    """For each replay, the rest of a gamma service time of ``mean`` that has lasted
    ``elapsed`` already: the first of a few draws longer than that, or, when none is, the
    distribution's tail (exponential with the gamma's scale, its limit)."""
    lasted = elapsed / mean
    totals = generator.standard_gamma(shape, size=(replays, RESIDUAL_TRIES)) / shape
    longer = totals > lasted
    first = np.where(longer.any(axis=1), totals[np.arange(replays), longer.argmax(axis=1)], np.nan)
    tail = lasted + generator.exponential(1 / shape, size=replays)
    return (np.where(np.isnan(first), tail, first) - lasted) * mean


@dataclass(frozen=True)
class Arrivals:
    """Priority visitors expected from now on: ``pieces`` are (seconds from now when the
    piece begins, visitors per hour per service), in order, each lasting until the next; a
    priority visitor's turn is ``head_start`` seconds before their arrival, so one who comes
    within that of a visitor's turn goes ahead of them."""

    pieces: Sequence[tuple[float, Mapping[int, float]]]
    head_start: float

    @classmethod
    def hourly(
        cls,
        rates: Mapping[int, Mapping[int, float]],
        *,
        now: float,
        head_start: float,
        until: float,
        since: float = 0.0,
    ) -> Arrivals:
        """From ``rates`` per hour of the day (0-23, then visitors per hour per service),
        from ``since`` to ``until`` seconds after the moment ``now`` seconds after midnight
        (``since`` below 0: visitors who come before then are there at 0)."""
        pieces: list[tuple[float, Mapping[int, float]]] = []
        start = since
        while start < until:
            hour = int((now + start) // 3600)
            pieces.append((start, rates.get(hour % 24, {}) if hour < 24 else {}))
            start = (hour + 1) * 3600 - now
        return cls(pieces, head_start)

    def draw(
        self,
        generator: np.random.Generator,
        *,
        replays: int,
        until: float,
        services: Iterable[int],
    ) -> list[list[tuple[float, int]]]:
        """For each replay, the (seconds from now, service) of the priority visitors who
        come before ``until`` for ``services``, in order of arrival. Nothing is drawn when
        none is expected, so the generator is left as it was."""
        wanted = sorted(set(services))
        found: list[list[tuple[float, int]]] = [[] for _ in range(replays)]
        ends = [start for start, _rates in self.pieces[1:]] + [until]
        for (start, rates), end in zip(self.pieces, ends[: len(self.pieces)], strict=True):
            length = min(end, until) - start
            for service in wanted:
                expected = rates.get(service, 0.0) * length / 3600
                if length <= 0 or expected <= 0:
                    continue
                counts = generator.poisson(expected, size=replays)
                moments = (start + generator.random(int(counts.sum())) * length).tolist()
                for replay, count in enumerate(counts.tolist()):
                    found[replay].extend((moments.pop(), service) for _ in range(count))
        for comers in found:
            comers.sort()
        return found


@dataclass(frozen=True)
class _Line:
    """The line and the counters, prepared once for many replays: each service's visitors
    (positions in the call order), each counter's services in the line or expected, the
    means, and the visitors' turns (seconds from now) to place priority arrivals among."""

    positions: dict[int, list[int]]
    serves: dict[int, list[int]]
    means: dict[tuple[int, int], float]
    last: int
    turns: list[float]

    @classmethod
    def of(
        cls,
        ahead: Sequence[int],
        service: int,
        desks: Sequence[Desk],
        times: ServiceTimes,
        *,
        turns: Sequence[float] = (),
        expected: Iterable[int] = (),
    ) -> _Line:
        positions: dict[int, list[int]] = defaultdict(list)
        for index, wanted in enumerate([*ahead, service]):
            positions[wanted].append(index)
        for wanted in expected:
            positions.setdefault(wanted, [])
        serves = {d.key: [s for s in positions if s in d.services] for d in desks}
        means = {(s, d.key): times.mean(s, d.key) for d in desks for s in serves[d.key]}
        for desk in desks:
            if desk.busy_with is not None:
                means[(desk.busy_with, desk.key)] = times.mean(desk.busy_with, desk.key)
        return cls(dict(positions), serves, means, len(ahead), list(turns))

    def placed(
        self, arrivals: Sequence[tuple[float, int]], head_start: float
    ) -> dict[int, list[tuple[float, float]]]:
        """Each service's priority arrivals as (arrival, place in the call order): a place
        between the positions of the visitors whose turns surround the arrival's turn
        (after those with the same turn, who took their tickets first), the earlier
        arrival first."""
        placed: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for rank, (moment, wanted) in enumerate(arrivals, start=1):
            before = bisect.bisect_right(self.turns, moment - head_start)
            placed[wanted].append((moment, before - 0.5 + 0.25 * rank / (len(arrivals) + 1)))
        return placed


def _replay(
    line: _Line,
    starts: list[tuple[float, int]],
    units: list[float],
    coming: Mapping[int, list[tuple[float, float]]] | None = None,
) -> float | None:
    """One replay: seconds until a counter calls the last visitor of ``line``; None when no
    counter serves them. ``starts`` are when each counter is free first, ``units`` the
    service times (as multiples of the mean) the visitors take, in the order they are
    called; ``coming``, each service's priority visitors yet to arrive (arrival, place in
    the order; see ``_Line.placed``). A service's visitors are called in their order, so
    each service keeps a head; a free counter calls the earliest head among its services,
    of those who have come by then, or waits for the next to come."""
    free = list(starts)
    heapq.heapify(free)
    heads = dict.fromkeys(line.positions, 0)
    coming = coming or {}
    arrived = dict.fromkeys(coming, 0)
    drawn = 0
    while free:
        at, key = heapq.heappop(free)
        best: tuple[float, int, bool] | None = None
        soonest: float | None = None
        for wanted in line.serves[key]:
            queue, head = line.positions[wanted], heads[wanted]
            if head < len(queue) and (best is None or queue[head] < best[0]):
                best = (queue[head], wanted, False)
            if wanted in coming and arrived[wanted] < len(coming[wanted]):
                moment, place = coming[wanted][arrived[wanted]]
                if moment > at:
                    soonest = moment if soonest is None else min(soonest, moment)
                elif best is None or place < best[0]:
                    best = (place, wanted, True)
        if best is None:
            if soonest is not None:  # nobody here for it yet: it waits for who is coming
                heapq.heappush(free, (soonest, key))
            continue  # nobody left in this line for it: it serves those behind
        place, wanted, priority = best
        if place == line.last:
            return at
        if priority:
            arrived[wanted] += 1
        else:
            heads[wanted] += 1
        heapq.heappush(free, (at + units[drawn] * line.means[(wanted, key)], key))
        drawn += 1
    return None


def ql_estimate(
    *,
    ahead: Sequence[int],
    service: int,
    desks: Sequence[Desk],
    times: ServiceTimes,
    seed: int = 0,
    replays: int = REPLAYS,
    turns: Sequence[float] = (),
    arrivals: Arrivals | None = None,
) -> float | None:
    """Seconds to wait behind ``ahead`` (the services of the visitors before this one in
    the call order) at the counters ``desks`` open now: the median of seeded replays.

    With ``arrivals`` (and ``turns``: seconds from now of the turns of the visitors ahead
    and of this one, in order), each replay also draws the priority visitors who will come
    and go ahead of this visitor or of those before them; without any expected, the
    replays are those without ``arrivals``. None when no open counter serves ``service``:
    no estimate."""
    if not any(service in desk.services for desk in desks):
        return None
    shape = 1 / max(times.cv2, 1e-4)
    served: set[int] = set().union(*(desk.services for desk in desks))
    expected = sorted(
        {s for _start, rates in (arrivals.pieces if arrivals else ()) for s in rates} & served
    )
    line = _Line.of(ahead, service, desks, times, turns=turns, expected=expected)
    generator = np.random.default_rng(seed)
    units = (generator.standard_gamma(shape, size=(replays, len(ahead))) / shape).tolist()
    first_free = np.zeros((replays, len(desks)))
    for column, desk in enumerate(desks):
        if desk.busy_with is not None:
            mean = line.means[(desk.busy_with, desk.key)]
            first_free[:, column] = _rests(
                generator, replays=replays, mean=mean, shape=shape, elapsed=desk.busy_for
            )
    coming: list[dict[int, list[tuple[float, float]]]] = [{} for _ in range(replays)]
    if arrivals is not None and expected:
        if len(turns) != len(ahead) + 1:
            raise ValueError("turns: one for each visitor ahead and one for this visitor")
        until = turns[-1] + arrivals.head_start  # a priority visitor later comes after them
        drawn = arrivals.draw(generator, replays=replays, until=until, services=expected)
        extra = max((len(row) for row in drawn), default=0)
        more = (generator.standard_gamma(shape, size=(replays, extra)) / shape).tolist()
        for row, comers in enumerate(drawn):
            coming[row] = line.placed(comers, arrivals.head_start)
            units[row].extend(more[row])
    keys = [desk.key for desk in desks]
    waits = [
        found
        for row, drawn_units, soon in zip(first_free.tolist(), units, coming, strict=True)
        if (found := _replay(line, list(zip(row, keys, strict=True)), drawn_units, soon))
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
