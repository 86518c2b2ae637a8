"""``gorod queues simulate`` and the demo's queues."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from gorod.people.models import Role
from gorod.places.models import Institution
from gorod.queues import services
from gorod.queues.demo import demo_prepare
from gorod.queues.models import Counter, QueueService, Shift, Ticket
from tests.people.factories import OfficialFactory
from tests.places.factories import ApartmentFactory, InstitutionFactory
from tests.queues.factories import ALL_DAY, Hall, at

pytestmark = pytest.mark.django_db


def simulate(*args: str) -> str:
    out = io.StringIO()
    call_command("queues", "simulate", *args, stdout=out)
    return out.getvalue()


def test_simulate_reports_both_estimators_errors_and_the_baseline(hall: Hall) -> None:
    figures = json.loads(
        simulate("--office", str(hall.office.pk), "--date", "2026-03-02", "--days", "2", "--json")
    )
    assert figures["arrivals"] > 0 and figures["days"] == 2
    errors = figures["mae_minutes"]
    assert set(errors) == {"ql", "les", "naive"} and all(e >= 0 for e in errors.values())
    assert figures["better"] == min(("ql", "les"), key=errors.__getitem__)
    text = simulate("--office", str(hall.office.pk), "--date", "2026-03-02")
    assert "QL" in text and "LES" in text and "NAIVE" in text


@pytest.mark.parametrize(
    ("args", "named"),
    [
        pytest.param(["--office", "999999", "--date", "2026-03-02"], "--office", id="office"),
        pytest.param(["--date", "02.03.2026"], "--date", id="date"),
        pytest.param(["--date", "2026-03-09"], "--date", id="holiday"),
        pytest.param(["--date", "2026-03-02", "--days", "0"], "--days", id="days"),
    ],
)
def test_bad_input_is_exit_2_naming_the_option(hall: Hall, args: list[str], named: str) -> None:
    if "--office" not in args:
        args = ["--office", str(hall.office.pk), *args]
    with pytest.raises(CommandError) as caught:
        simulate(*args)
    assert caught.value.returncode == 2
    assert str(caught.value).startswith(named)


def test_the_demo_sets_up_offices_with_history_once() -> None:
    home = ApartmentFactory.create().building.district
    office = InstitutionFactory.create(
        kind=Institution.Kind.REGISTRY_OFFICE, district=home, opening_hours=ALL_DAY
    )
    InstitutionFactory.create(kind=Institution.Kind.SERVICE_CENTRE, district=home)
    OfficialFactory.create(role=Role.REGISTRY_CLERK, institution=office)
    out = io.StringIO()
    demo_prepare(seed=1, stdout=out)
    assert Counter.objects.filter(office=office).count() == 4
    assert QueueService.objects.filter(institution_kind="registry_office").count() == 6
    assert Ticket.objects.filter(office=office).count() > 100
    assert Shift.objects.filter(counter__office=office).count() == 1
    counted = Ticket.objects.count()
    demo_prepare(seed=1, stdout=io.StringIO())
    assert Ticket.objects.count() == counted


def test_close_cancels_what_past_days_left_open(hall: Hall) -> None:
    serving = services.ticket_issue(office=hall.office, service=hall.b, now=at(0))
    left = services.ticket_issue(office=hall.office, service=hall.a, now=at(1))
    services.call_next(counter=hall.one, clerk=hall.clerk, now=at(2))
    services.ticket_start(ticket=serving, counter=hall.one, clerk=hall.clerk, now=at(3))
    today = services.ticket_issue(office=hall.office, service=hall.a, now=at(24 * 60))
    out = io.StringIO()
    call_command("queues", "close", "--before", "2026-03-03", stdout=out)
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {left.pk: "cancelled", serving.pk: "serving", today.pk: "waiting"}
    assert out.getvalue().strip().endswith(": 1")
    with pytest.raises(CommandError) as caught:
        call_command("queues", "close", "--before", "yesterday")
    assert caught.value.returncode == 2 and str(caught.value).startswith("--before")


def test_bench_times_the_ticket_status_and_leaves_nothing_behind() -> None:
    out = io.StringIO()
    call_command(
        "queues", "bench", "--days", "2", "--per-day", "15", "--waiting", "3",
        "--requests", "2", "--json", stdout=out,
    )  # fmt: skip
    figures = json.loads(out.getvalue())
    assert figures["history_tickets"] == 30 and figures["waiting"] == 3
    for name in ("ticket_status_page", "ticket_api", "service_times"):
        assert figures[name]["mean_ms"] > 0 and figures[name]["queries_per_request"] >= 1
    assert not Institution.objects.exists() and not Ticket.objects.exists()
    assert not QueueService.objects.exists()


def test_bench_refuses_figures_out_of_range() -> None:
    with pytest.raises(CommandError) as caught:
        call_command("queues", "bench", "--requests", "0")
    assert caught.value.returncode == 2 and str(caught.value).startswith("--requests")
