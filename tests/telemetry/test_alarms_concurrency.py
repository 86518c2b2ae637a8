"""Evaluators and operators racing on real PostgreSQL connections: one alarm, one winner."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from gorod.errors import Conflict
from gorod.people.models import Role
from gorod.telemetry.alarms import alarm_acknowledge, alarms_evaluate
from gorod.telemetry.models import Alarm
from tests.people.factories import district_official
from tests.telemetry.alarm_data import NOW, rule, send
from tests.telemetry.factories import DeviceFactory

pytestmark = pytest.mark.django_db(transaction=True)

RIVALS = 4


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is real on PostgreSQL")


def race(attempt: Callable[[], str]) -> list[str]:
    barrier = threading.Barrier(RIVALS)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            outcomes.append(attempt())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(RIVALS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_evaluators_racing_raise_one_alarm() -> None:
    device = DeviceFactory.create()
    tamper = rule("flag", "tamper", {})
    send(device, "tamper", [1.0])
    outcomes = race(lambda: str(len(alarms_evaluate(now=NOW, rule_ids=[tamper.pk]).raised)))
    assert sorted(outcomes) == ["0"] * (RIVALS - 1) + ["1"]
    assert Alarm.objects.filter(rule=tamper, device=device).count() == 1


def test_operators_racing_to_acknowledge_have_one_winner() -> None:
    device = DeviceFactory.create()
    operator = district_official(Role.UTILITY_OPERATOR, district=device.district).user
    tamper = rule("flag", "tamper", {})
    send(device, "tamper", [1.0])
    alarms_evaluate(now=NOW, rule_ids=[tamper.pk])
    alarm = Alarm.objects.get()

    def acknowledge() -> str:
        try:
            alarm_acknowledge(alarm=alarm, user=operator)
        except Conflict:
            return "late"
        return "won"

    assert sorted(race(acknowledge)) == ["late"] * (RIVALS - 1) + ["won"]
    assert Alarm.objects.get().status == Alarm.Status.ACKNOWLEDGED
