"""Alarms: rules over stored readings raise and clear them; operators acknowledge and clear."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from gorod.errors import ApplicationError, Conflict
from gorod.people.models import Role
from gorod.portal.models import Notification
from gorod.telemetry.alarms import (
    alarm_acknowledge,
    alarm_clear,
    alarms_evaluate,
    reason_text,
    rule_create,
)
from gorod.telemetry.models import Alarm, Device, Rule
from tests.people.factories import CitizenFactory, district_official
from tests.places.factories import ApartmentFactory, DistrictFactory
from tests.telemetry.alarm_data import HOUR, LEAK, NOW, rule, send
from tests.telemetry.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def evaluate(*rules: Rule, hours_later: int = 0) -> tuple[list[int], list[int]]:
    done = alarms_evaluate(now=NOW + hours_later * HOUR, rule_ids=[r.pk for r in rules])
    return done.raised, done.cleared


def test_a_day_of_unbroken_flow_raises_a_leak_alarm_with_its_evidence() -> None:
    device = DeviceFactory.create()
    leak = rule("persistence", "flow_lph", LEAK, severity=Rule.Severity.CRITICAL)
    send(device, "flow_lph", [0.0] + [12.0] * 25)
    raised, cleared = evaluate(leak)
    alarm = Alarm.objects.get()
    assert raised == [alarm.pk] and cleared == []
    assert alarm.status == Alarm.Status.ACTIVE
    assert alarm.device == device and alarm.rule == leak
    assert alarm.reason == "persists"
    assert alarm.evidence["held_s"] == 24 * 3600
    assert alarm.evidence["values"] == [12.0] * 25
    with translation.override("en"):
        assert "held for 24 hours" in reason_text(alarm.reason, alarm.evidence)


def test_the_leak_alarm_clears_itself_once_the_flow_stops() -> None:
    device = DeviceFactory.create()
    leak = rule("persistence", "flow_lph", LEAK)
    send(device, "flow_lph", [0.0] + [12.0] * 25)
    evaluate(leak)
    send(device, "flow_lph", [0.0], end=NOW + HOUR)
    raised, cleared = evaluate(leak, hours_later=1)
    alarm = Alarm.objects.get()
    assert raised == [] and cleared == [alarm.pk]
    assert alarm.status == Alarm.Status.CLEARED
    assert alarm.cleared_by is None
    assert alarm.clear_reason == "not_persisting"


def test_a_firing_rule_keeps_one_alarm_open_per_device() -> None:
    device = DeviceFactory.create()
    leak = rule("persistence", "flow_lph", LEAK)
    send(device, "flow_lph", [5.0] * 30)
    evaluate(leak)
    assert evaluate(leak, hours_later=0) == ([], [])
    assert Alarm.objects.count() == 1


def test_the_database_refuses_a_second_open_alarm_for_a_rule_and_device() -> None:
    device = DeviceFactory.create()
    tamper = rule("flag", "tamper", {})
    Alarm.objects.create(rule=tamper, device=device, raised_at=NOW, reason="flag_set")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alarm.objects.create(rule=tamper, device=device, raised_at=NOW, reason="flag_set")
    Alarm.objects.update(status=Alarm.Status.CLEARED, cleared_at=NOW)
    Alarm.objects.create(rule=tamper, device=device, raised_at=NOW, reason="flag_set")
    assert Alarm.objects.count() == 2


@pytest.mark.parametrize(
    ("kind", "metric", "params", "firing", "calm"),
    [
        ("threshold", "battery_pct", {"op": "below", "value": 20}, [40, 15], [15, 80]),
        ("flag", "tamper", {"value": 1}, [0, 1], [1, 0]),
        ("rate", "water_cold_m3", {"op": "above", "per_hour": 0.4}, [1.0, 1.9], [1.9, 1.95]),
        (
            "persistence",
            "water_cold_m3",
            {**LEAK, "on": "increase"},
            [float(i) for i in range(26)],
            [25.0],
        ),
    ],
    ids=["threshold", "flag", "rate", "persistence-on-increase"],
)
def test_each_kind_raises_and_then_clears(
    kind: str, metric: str, params: dict[str, object], firing: list[float], calm: list[float]
) -> None:
    device = DeviceFactory.create()
    checked = rule(kind, metric, params)
    send(device, metric, firing)
    assert len(evaluate(checked)[0]) == 1
    send(device, metric, calm, end=NOW + len(calm) * HOUR)
    assert len(evaluate(checked, hours_later=len(calm))[1]) == 1
    assert Alarm.objects.get().status == Alarm.Status.CLEARED


def test_silence_raises_for_a_quiet_device_and_clears_when_it_reports() -> None:
    device = DeviceFactory.create()
    Device.objects.filter(pk=device.pk).update(created_at=NOW - 24 * HOUR)
    quiet = rule("silence", "", {"after_s": 6 * 3600})
    send(device, "flow_lph", [1.0])
    assert evaluate(quiet, hours_later=5) == ([], [])
    raised, _ = evaluate(quiet, hours_later=7)
    assert len(raised) == 1
    assert Alarm.objects.get().reason == "silent"
    send(device, "flow_lph", [1.0], end=NOW + 8 * HOUR)
    assert len(evaluate(quiet, hours_later=8)[1]) == 1


def test_a_rule_covers_only_its_district_and_device_type() -> None:
    here, elsewhere = DistrictFactory.create(), DistrictFactory.create()
    local = DeviceFactory.create(apartment=ApartmentFactory.create(building__district=here))
    far = DeviceFactory.create(apartment=ApartmentFactory.create(building__district=elsewhere))
    tamper = rule("flag", "tamper", {}, district=here)
    for device in (local, far):
        send(device, "tamper", [1.0])
    evaluate(tamper)
    assert list(Alarm.objects.values_list("device_id", flat=True)) == [local.pk]
    other_type = rule("flag", "pm25_ugm3", {"value": 1}, name="air")
    assert alarms_evaluate(now=NOW, rule_ids=[other_type.pk]).devices == 0


def test_a_new_alarm_tells_the_residents_and_the_district_operators() -> None:
    resident = CitizenFactory.create()
    neighbour = CitizenFactory.create(apartment__building=resident.apartment.building)
    device = DeviceFactory.create(apartment=resident.apartment)
    district = device.district
    operator = district_official(Role.UTILITY_OPERATOR, district=district)
    other_operator = district_official(Role.UTILITY_OPERATOR, district=DistrictFactory.create())
    send(device, "tamper", [1.0])
    evaluate(rule("flag", "tamper", {}, name="Вскрытие счётчика"))
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {resident.user_id, operator.user_id}
    assert neighbour.user_id not in told and other_operator.user_id not in told
    note = Notification.objects.get(user=operator.user)
    assert note.kind == "telemetry.alarm"
    assert "Вскрытие счётчика" in note.title
    assert note.link.endswith(f"/telemetry/alarms/{Alarm.objects.get().pk}/")
    assert Notification.objects.get(user=resident.user).link == reverse("utilities:meters")


def test_acknowledge_then_clear_and_the_rule_may_raise_it_again() -> None:
    device = DeviceFactory.create()
    operator = district_official(Role.UTILITY_OPERATOR, district=device.district)
    tamper = rule("flag", "tamper", {})
    send(device, "tamper", [1.0])
    evaluate(tamper)
    alarm = Alarm.objects.get()
    alarm = alarm_acknowledge(alarm=alarm, user=operator.user)
    assert alarm.status == Alarm.Status.ACKNOWLEDGED
    assert alarm.acknowledged_by == operator.user
    assert alarm.acknowledged_at is not None
    with pytest.raises(Conflict) as again:
        alarm_acknowledge(alarm=alarm, user=operator.user)
    assert again.value.field == "status"
    alarm = alarm_clear(alarm=alarm, user=operator.user, note="Пломба восстановлена")
    assert alarm.status == Alarm.Status.CLEARED
    assert alarm.cleared_by == operator.user
    assert alarm.note == "Пломба восстановлена"
    with pytest.raises(Conflict):
        alarm_clear(alarm=alarm, user=operator.user)
    with pytest.raises(Conflict):
        alarm_acknowledge(alarm=alarm, user=operator.user)
    assert len(evaluate(tamper)[0]) == 1
    assert Alarm.objects.open().count() == 1


def test_a_long_note_is_refused_and_changes_nothing() -> None:
    device = DeviceFactory.create()
    operator = district_official(Role.UTILITY_OPERATOR, district=device.district)
    send(device, "tamper", [1.0])
    evaluate(rule("flag", "tamper", {}))
    with pytest.raises(ApplicationError) as error:
        alarm_clear(alarm=Alarm.objects.get(), user=operator.user, note="x" * 501)
    assert error.value.field == "note"
    assert Alarm.objects.get().status == Alarm.Status.ACTIVE


def test_a_rule_with_bad_parameters_is_refused_naming_the_parameter() -> None:
    with pytest.raises(ApplicationError) as error:
        rule_create(name="leak", kind="persistence", metric="flow_lph", params={"value": 0})
    assert error.value.field == "params.duration_s"
    with pytest.raises(ApplicationError) as unknown:
        rule_create(name="x", kind="threshold", metric="smell", params={"value": 1})
    assert unknown.value.field == "metric"
    assert not Rule.objects.filter(name__in=["leak", "x"]).exists()


def test_the_command_evaluates_once_and_refuses_a_bad_interval(
    capsys: pytest.CaptureFixture[str],
) -> None:
    device = DeviceFactory.create()
    send(device, "tamper", [1.0])
    Rule.objects.exclude(kind="flag").update(is_active=False)
    rule("flag", "tamper", {}, name="tamper-only")
    with translation.override("en"):
        call_command("alarms", "evaluate", "--once")
    assert "1 raised, 0 cleared" in capsys.readouterr().out
    assert Alarm.objects.filter(rule__name="tamper-only").count() == 1
    with pytest.raises(CommandError) as error:
        call_command("alarms", "evaluate", "--every", "0")
    assert error.value.returncode == 2


def test_switching_a_rule_off_or_deactivating_a_device_clears_its_alarms() -> None:
    kept, retired = DeviceFactory.create(), DeviceFactory.create()
    tamper = rule("flag", "tamper", {})
    noise = rule("flag", "tamper", {}, name="second opinion")
    for device in (kept, retired):
        send(device, "tamper", [1.0])
    Rule.objects.exclude(pk__in=[tamper.pk, noise.pk]).update(is_active=False)
    alarms_evaluate(now=NOW)
    assert Alarm.objects.open().count() == 4
    Device.objects.filter(pk=retired.pk).update(is_active=False)
    Rule.objects.filter(pk=noise.pk).update(is_active=False)
    alarms_evaluate(now=NOW)
    still_open = Alarm.objects.open().get()
    assert (still_open.rule, still_open.device) == (tamper, kept)
    reasons = dict(
        Alarm.objects.filter(status=Alarm.Status.CLEARED).values_list("rule_id", "clear_reason")
    )
    assert set(reasons.values()) == {"rule_off", "not_covered"}


def test_evaluators_share_a_city_by_district() -> None:
    here, there = DeviceFactory.create(), DeviceFactory.create()
    tamper = rule("flag", "tamper", {})
    for device in (here, there):
        send(device, "tamper", [1.0])
    alarms_evaluate(now=NOW, rule_ids=[tamper.pk], districts=[here.district_id])
    assert list(Alarm.objects.values_list("device_id", flat=True)) == [here.pk]
    send(here, "tamper", [0.0], end=NOW + HOUR)
    # another district's pass neither clears this alarm nor counts this device
    done = alarms_evaluate(now=NOW + HOUR, rule_ids=[tamper.pk], districts=[there.district_id])
    assert done.cleared == [] and done.devices == 1
    assert Alarm.objects.get(device=here).status == Alarm.Status.ACTIVE


def test_the_command_refuses_an_unknown_district() -> None:
    with pytest.raises(CommandError) as error:
        call_command("alarms", "evaluate", "--district", "987654")
    assert error.value.returncode == 2
    assert not Alarm.objects.exists()
