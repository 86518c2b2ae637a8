"""The booking benchmark's bookkeeping: which slots clients still try, and its figures."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from gorod.scheduling import benchdata
from gorod.scheduling.bench import (
    SERVERS,
    Board,
    Stats,
    _cpu_seconds,
    _databases,
    _postgres_cpu_seconds,
    run,
)
from gorod.scheduling.models import Booking, Slot


def test_the_window_skips_taken_slots_in_order() -> None:
    board = Board([(1, 9), (2, 9), (3, 8), (4, 8)])
    board.taken.update({1, 3})
    assert board.window(2) == [(2, 9), (4, 8)]
    board.taken.update({2, 4})
    assert board.window(2) == []


def test_percentiles_are_in_milliseconds() -> None:
    stats = Stats(latencies=[0.001 * n for n in range(1, 101)])
    assert stats.percentile(50) == 51.0
    assert stats.percentile(99) == 100.0


def test_postgresql_without_a_database_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ValueError, match="DATABASE_URL"):
        _databases("postgresql")
    assert _databases("auto") == ["sqlite"]


def test_cpu_time_is_read_for_a_process_and_its_children() -> None:
    assert _cpu_seconds(os.getpid()) > 0


@pytest.mark.parametrize("modes", ["", "chosen,fastest", " , "])
def test_an_unknown_way_of_asking_is_refused(modes: str) -> None:
    options = dict.fromkeys(("clients", "services", "days", "citizens", "window", "workers"), 1)
    with pytest.raises(ValueError, match="--modes"):
        run(**options, threads=1, modes=modes, databases="sqlite", server="granian", history=0)


def test_an_unknown_web_server_is_refused() -> None:
    options = dict.fromkeys(("clients", "services", "days", "citizens", "window", "workers"), 1)
    with pytest.raises(ValueError, match="--server"):
        run(**options, threads=1, modes="earliest", databases="sqlite", server="uwsgi", history=0)


def test_the_database_servers_cpu_is_read_when_it_runs_here() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the suite runs on SQLite: no PostgreSQL server to read")
    seconds = _postgres_cpu_seconds()
    assert seconds is not None
    assert seconds > 0


@pytest.mark.parametrize("server", SERVERS)
def test_a_short_run_books_every_request_once_over_http(server: str) -> None:
    """The whole benchmark, small: a real web server, its own fresh database of the suite's
    kind, four clients asking for the first available time."""
    database = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    figures = run(
        clients=4,
        services=2,
        days=1,
        citizens=2,
        window=4,
        workers=1,
        threads=2,
        seconds=1.5,
        databases=database,
        modes="earliest",
        seed=7,
        server=server,
        history=1,  # yesterday's visits, all fulfilled: not counted as the run's bookings
    )
    run_figures = figures[database]["earliest"]
    assert figures["server"] == f"{server} 1 workers x 2 threads"
    assert run_figures["bookings"] > 0
    assert run_figures["other_statuses"] == {}  # every answer a 201, 409 or 400
    assert run_figures["double_bookings"] == 0
    assert run_figures["active_bookings_match_201s"] is True
    assert run_figures["client_cpu_ms_per_request"] > 0
    if database == "postgresql":
        assert run_figures["database_cpu_ms_per_booking"] > 0
    else:
        assert run_figures["database_cpu_ms_per_booking"] is None


@pytest.mark.django_db
def test_the_benchmarks_office_has_a_history_of_fulfilled_visits() -> None:
    """As a live office has: past slots all taken and fulfilled, the free ones to come."""
    made = benchdata.build(services=2, days=1, citizens=3, seed=5, history=2)
    now = timezone.now()
    past = Slot.objects.filter(start__lt=now)
    assert past.count() == 2 * 2 * 48  # two counters, two days, 8:00 to 20:00
    assert set(past.values_list("status", flat=True)) == {Slot.Status.BUSY}
    visits = Booking.objects.filter(slot__in=past)
    assert visits.count() == past.count()
    assert set(visits.values_list("status", flat=True)) == {Booking.Status.FULFILLED}
    offered = Slot.objects.filter(pk__in=[pk for pk, _service in made["slots"]])
    assert offered.count() == len(made["slots"]) == 2 * 48
    assert not offered.filter(start__lt=now).exists()
    assert set(offered.values_list("status", flat=True)) == {Slot.Status.FREE}
