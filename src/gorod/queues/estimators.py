"""Waiting-time estimators for a multi-server queue, after Ibrahim and Whitt.

Pure: no Django. R. Ibrahim and W. Whitt, "Real-time delay estimation based on delay
history" (Manufacturing & Service Operations Management 11(3), 2009) and "Real-time delay
estimation in overloaded multiserver queues with abandonments" (Management Science 55(10),
2009) compare two families:

- **QL** (queue length): with ``s`` busy servers of mean service time ``m``, a visitor with
  ``n`` people ahead in the queue waits about ``(n + 1) * m / s``. It uses the state now.
- **LES** (last to enter service): a new visitor waits about as long as the last visitor who
  entered service waited. It uses only the recent history, so it adapts by itself to
  whatever the state misses (a clerk on a long call, service times drifting).

Service times are learned from history per service and counter, shrunk towards the
service's mean and then towards a prior when there are few observations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

QL = "ql"
LES = "les"
ESTIMATORS = (QL, LES)


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
    shrunk towards ``prior``."""

    prior: float
    shrinkage: float = 5.0
    by_pair: dict[tuple[int, int], tuple[int, float]] = field(default_factory=dict)
    by_service: dict[int, tuple[int, float]] = field(default_factory=dict)

    @classmethod
    def learn(
        cls, samples: Iterable[ServiceSample], *, prior: float, shrinkage: float = 5.0
    ) -> ServiceTimes:
        pair_sums: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0, 0.0])
        service_sums: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
        for sample in samples:
            for sums in (pair_sums[(sample.service, sample.counter)], service_sums[sample.service]):
                sums[0] += 1
                sums[1] += sample.seconds
        return cls(
            prior=prior,
            shrinkage=shrinkage,
            by_pair={k: (int(n), total / n) for k, (n, total) in pair_sums.items()},
            by_service={k: (int(n), total / n) for k, (n, total) in service_sums.items()},
        )

    def _shrunk(self, observed: tuple[int, float] | None, towards: float) -> float:
        if observed is None:
            return towards
        n, mean = observed
        return (n * mean + self.shrinkage * towards) / (n + self.shrinkage)

    def mean(
        self, service: int, counter: int | None = None, *, prior: float | None = None
    ) -> float:
        """Seconds one visitor for ``service`` takes (at ``counter`` when given)."""
        of_service = self._shrunk(
            self.by_service.get(service), self.prior if prior is None else prior
        )
        if counter is None:
            return of_service
        return self._shrunk(self.by_pair.get((service, counter)), of_service)

    def pool_mean(
        self, service: int, counters: Iterable[int], *, prior: float | None = None
    ) -> float:
        """The mean over the counters that serve ``service`` (the pool a visitor waits for)."""
        means = [self.mean(service, c, prior=prior) for c in counters]
        return sum(means) / len(means) if means else self.mean(service, prior=prior)


def ql_estimate(*, ahead: int, servers: int, mean_service: float, free_servers: int = 0) -> float:
    """Seconds to wait with ``ahead`` visitors in front and ``servers`` counters open.

    A free counter with nobody ahead means no wait; no counter open means no estimate
    (infinite)."""
    if servers <= 0:
        return float("inf")
    if free_servers > ahead:
        return 0.0
    return (ahead + 1) * mean_service / servers


def les_estimate(*, last_delay: float | None, waited: float = 0.0) -> float | None:
    """Seconds still to wait: the last visitor to enter service waited ``last_delay``; a
    visitor who has already waited ``waited`` is told the rest of it. None without history."""
    if last_delay is None:
        return None
    return max(0.0, last_delay - waited)


def estimate(
    method: str,
    *,
    ahead: int,
    servers: int,
    mean_service: float,
    free_servers: int = 0,
    last_delay: float | None = None,
    waited: float = 0.0,
) -> float:
    """Seconds still to wait by ``method`` (QL or LES); LES falls back to QL without history.

    QL for a visitor who already waits is the time for the people ahead to be served."""
    if method == LES:
        found = les_estimate(last_delay=last_delay, waited=waited)
        if found is not None:
            return found
    return ql_estimate(
        ahead=ahead, servers=servers, mean_service=mean_service, free_servers=free_servers
    )


def mean_absolute_error(pairs: Iterable[tuple[float, float]]) -> float | None:
    """MAE of (predicted, actual) pairs; None when there are none."""
    errors = [abs(predicted - actual) for predicted, actual in pairs]
    return sum(errors) / len(errors) if errors else None
