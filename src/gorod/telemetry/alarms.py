"""Alarms: run the rules over each device's recent readings, raise, acknowledge and clear.

``alarms_evaluate`` is what the ``gorod alarms evaluate`` loop calls: for every active rule it
reads the devices the rule covers (their latest state in the database, or their recent
readings from the telemetry table when the rule needs history), asks the pure
``rules.evaluate`` for a verdict, raises an alarm for a device that fires and has none open,
and clears the open alarm of a device whose verdict is clear. A verdict of unknown (not
enough data) changes nothing. At most one alarm per rule and device is open at a time: the
database holds that invariant, so two evaluators racing raise one alarm.

A new alarm tells the residents of the device's apartment (in their cabinet) and the utility
operators of its district (in their cabinet, the desk of the back office).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people.models import Citizen, Official, Role, User
from gorod.people.scope import restrict
from gorod.places.models import District
from gorod.telemetry import conf, rules, table
from gorod.telemetry.metrics import METRICS
from gorod.telemetry.models import Alarm, Device, DeviceState, DeviceType, Rule

US_PER_S = rules.US_PER_S
MANUAL = "manual"
RULE_OFF = "rule_off"
NOT_COVERED = "not_covered"
# Day partitions may be local days: read one more on each side, the time filter is exact.
DAY = dt.timedelta(days=1)


@dataclass
class Evaluation:
    """What one pass did: rules run, device-rule pairs judged, alarms raised and cleared,
    and rules skipped for parameters that no longer parse."""

    rules: int = 0
    devices: int = 0
    raised: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _us(moment: dt.datetime) -> int:
    return int(moment.timestamp() * US_PER_S)


def rule_params(*, kind: str, params: dict[str, Any]) -> rules.Params:
    """The typed parameters of a rule, or an ``ApplicationError`` naming the bad one."""
    try:
        return rules.parse(kind, params)
    except rules.RuleError as exc:
        field_name = "kind" if exc.field == "kind" else f"params.{exc.field}"
        raise ApplicationError(
            _("The rule's parameters are not valid: %(detail)s.") % {"detail": exc},
            field=field_name,
        ) from exc


def rule_validate(
    *, name: str, kind: str, metric: str, params: dict[str, Any], severity: str
) -> rules.Params:
    """The typed parameters of a sound rule, or an ``ApplicationError`` naming the bad field."""
    checked = rule_params(kind=kind, params=params)
    if not name.strip():
        raise ApplicationError(_("Give the rule a name."), field="name")
    if metric and metric not in METRICS:
        raise ApplicationError(
            _("Unknown metric: %(metric)s.") % {"metric": metric}, field="metric"
        )
    if not metric and kind != Rule.Kind.SILENCE:
        raise ApplicationError(_("Only a silence rule may leave the metric out."), field="metric")
    if severity not in Rule.Severity.values:
        raise ApplicationError(_("Unknown severity."), field="severity")
    return checked


@transaction.atomic
def rule_create(
    *,
    name: str,
    kind: str,
    metric: str,
    params: dict[str, Any],
    device_type: DeviceType | None = None,
    district: District | None = None,
    severity: str = Rule.Severity.WARNING,
) -> Rule:
    """A new active rule, once its kind, metric and parameters are known to be sound."""
    rule_validate(name=name, kind=kind, metric=metric, params=params, severity=severity)
    return Rule.objects.create(
        name=name.strip(),
        kind=kind,
        metric=metric,
        params=params,
        device_type=device_type,
        district=district,
        severity=severity,
    )


class Covered(NamedTuple):
    """What evaluation needs of a device: read as plain rows, not model instances."""

    pk: str
    created_at: dt.datetime
    last_seen_at: dt.datetime | None


def devices_covered(rule: Rule, *, districts: list[int] | None = None) -> list[Covered]:
    """The active devices a rule applies to: of its type and district, reporting its metric
    (and in ``districts``, when an evaluator takes only some)."""
    types = DeviceType.objects.all()
    if rule.device_type_id is not None:
        types = types.filter(pk=rule.device_type_id)
    type_ids = [t.pk for t in types if not rule.metric or rule.metric in t.metrics]
    devices = Device.objects.filter(is_active=True, device_type_id__in=type_ids)
    if rule.district_id is not None:
        devices = devices.filter(district_id=rule.district_id)
    if districts is not None:
        devices = devices.filter(district_id__in=districts)
    rows = devices.order_by("pk").values_list("pk", "created_at", "last_seen_at")
    return [Covered(*row) for row in rows]


def _latest(rule: Rule, devices: list[Covered]) -> dict[str, rules.Series]:
    """Each device's latest value of the rule's metric (or last contact, for a silence rule
    on the device as a whole), as a one-reading series."""
    if not rule.metric:
        return {
            d.pk: rules.Series.of([_us(d.last_seen_at)], [1.0])
            for d in devices
            if d.last_seen_at is not None
        }
    states = DeviceState.objects.filter(
        device_id__in=[d.pk for d in devices], metric=rule.metric
    ).values_list("device_id", "ts", "value")
    return {device: rules.Series.of([_us(ts)], [value]) for device, ts, value in states}


def readings_between(
    *, device_ids: list[str], metric: str, start: dt.datetime, end: dt.datetime
) -> pa.Table:
    """Readings (device_id, ts, value) of ``metric`` for ``device_ids`` in [start, end],
    each counted once, sorted by device and time."""
    if not device_ids:
        return pa.table({"device_id": [], "ts": [], "value": []})
    with table.connect(conf.table_uri(), storage_options=conf.storage_options()) as con:
        return con.sql(
            "SELECT device_id, epoch_us(ts) AS ts, value FROM readings "
            "WHERE metric = ? AND day BETWEEN ? AND ? AND ts BETWEEN ? AND ? "
            "AND device_id IN (SELECT unnest(?)) ORDER BY device_id, ts",
            params=[metric, start.date() - DAY, end.date() + DAY, start, end, device_ids],
        ).to_arrow_table()


def _history(
    rule: Rule, devices: list[Covered], *, start: dt.datetime, end: dt.datetime
) -> dict[str, rules.Series]:
    """The devices' readings of the rule's metric from ``start`` to ``end``, one series each."""
    found = readings_between(
        device_ids=[d.pk for d in devices], metric=rule.metric, start=start, end=end
    )
    if found.num_rows == 0:
        return {}
    ids = np.asarray(found.column("device_id").to_pylist(), dtype=object)
    ts = found.column("ts").to_numpy().astype(np.int64)
    values = found.column("value").to_numpy().astype(np.float64)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], ids.size]
    return {
        str(ids[a]): rules.Series(ts[a:b], values[a:b])
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
    }


def alarms_evaluate(
    *,
    now: dt.datetime | None = None,
    rule_ids: Iterable[int] | None = None,
    districts: Iterable[int] | None = None,
) -> Evaluation:
    """One pass of every active rule (or of ``rule_ids``) over the devices it covers; with
    ``districts``, over those districts' devices only, so evaluators can share a city."""
    now = now or timezone.now()
    result = Evaluation()
    only = None if districts is None else list(districts)
    in_scope = Alarm.objects.open()
    if only is not None:
        in_scope = in_scope.filter(device__district_id__in=only)
    active = Rule.objects.filter(is_active=True).order_by("pk")
    if rule_ids is not None:
        active = active.filter(pk__in=list(rule_ids))
    else:
        for alarm in in_scope.filter(rule__is_active=False):
            alarm_resolve(alarm=alarm, reason=RULE_OFF, now=now)
            result.cleared.append(alarm.pk)
    for rule in active:
        try:
            params = rules.parse(rule.kind, rule.params)
        except rules.RuleError as exc:
            result.skipped[rule.name] = str(exc)
            continue
        devices = devices_covered(rule, districts=only)
        result.rules += 1
        result.devices += len(devices)
        lookback = rules.history_s(params)
        if not devices:
            series = {}
        elif lookback:
            start = now - dt.timedelta(seconds=lookback)
            series = _history(rule, devices, start=start, end=now)
        else:
            series = _latest(rule, devices)
        open_alarms = {a.device_id: a for a in in_scope.filter(rule=rule)}
        _apply(rule, params, devices, series, open_alarms, now=now, result=result)
    return result


def _apply(
    rule: Rule,
    params: rules.Params,
    devices: list[Covered],
    series: dict[str, rules.Series],
    open_alarms: dict[str, Alarm],
    *,
    now: dt.datetime,
    result: Evaluation,
) -> None:
    now_us = _us(now)
    empty = rules.Series.empty()
    for device in devices:
        verdict = rules.evaluate(
            params,
            series.get(device.pk, empty),
            now_us=now_us,
            active_since_us=_us(device.created_at),
        )
        alarm = open_alarms.get(device.pk)
        if verdict.status is rules.Status.FIRING and alarm is None:
            found = Device.objects.get(pk=device.pk)
            raised = alarm_raise(rule=rule, device=found, verdict=verdict, now=now)
            if raised is not None:
                result.raised.append(raised.pk)
        elif verdict.status is rules.Status.CLEAR and alarm is not None:
            alarm_resolve(alarm=alarm, reason=verdict.reason.value, now=now)
            result.cleared.append(alarm.pk)
    covered = {device.pk for device in devices}
    for device_id, alarm in open_alarms.items():
        if device_id not in covered:  # deactivated, or no longer of the rule's type or district
            alarm_resolve(alarm=alarm, reason=NOT_COVERED, now=now)
            result.cleared.append(alarm.pk)


def alarm_raise(
    *, rule: Rule, device: Device, verdict: rules.Verdict, now: dt.datetime
) -> Alarm | None:
    """A new active alarm and its notifications; None when one is already open (a race)."""
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                rule=rule,
                device=device,
                raised_at=now,
                reason=verdict.reason.value,
                evidence=verdict.evidence,
            )
            _notify(alarm)
    except IntegrityError:
        return None
    return alarm


@transaction.atomic
def alarm_resolve(*, alarm: Alarm, reason: str, now: dt.datetime) -> Alarm:
    """Clear an open alarm because its rule no longer fires, was switched off, or no longer
    covers the device (no person acted); ``reason`` says which."""
    locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
    if locked.status == Alarm.Status.CLEARED:
        return locked
    locked.status = Alarm.Status.CLEARED
    locked.cleared_at = now
    locked.clear_reason = reason
    locked.save(update_fields=["status", "cleared_at", "clear_reason"])
    return locked


def alarms_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Alarm]:
    """Alarms of the devices in ``user``'s district (all of them for city-wide roles)."""
    return restrict(Alarm.objects.select_related("rule"), user, district="device__district")


def alarm_get(*, alarm_id: int, user: AbstractBaseUser | AnonymousUser) -> Alarm:
    """The alarm, or NotFound when it does not exist or lies outside ``user``'s scope."""
    found = alarms_for(user).select_related("device").filter(pk=alarm_id).first()
    if found is None:
        raise NotFound(_("No such alarm in your scope."), field="alarm_id")
    return found


def _locked(alarm: Alarm) -> Alarm:
    return Alarm.objects.select_for_update().select_related("rule", "device").get(pk=alarm.pk)


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, user: User) -> Alarm:
    """An operator has seen the alarm and is on it; it stays open until cleared."""
    locked = _locked(alarm)
    if locked.status != Alarm.Status.ACTIVE:
        raise Conflict(
            _("Only an active alarm can be acknowledged; this one is %(status)s.")
            % {"status": locked.get_status_display()},
            field="status",
        )
    locked.status = Alarm.Status.ACKNOWLEDGED
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = user
    locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    return locked


@transaction.atomic
def alarm_clear(*, alarm: Alarm, user: User, note: str = "") -> Alarm:
    """An operator closes the alarm (fixed, or a false alarm); the rule may raise it again."""
    locked = _locked(alarm)
    if locked.status == Alarm.Status.CLEARED:
        raise Conflict(_("This alarm is already cleared."), field="status")
    if len(note) > 500:
        raise ApplicationError(_("The note is longer than 500 characters."), field="note")
    locked.status = Alarm.Status.CLEARED
    locked.cleared_at = timezone.now()
    locked.cleared_by = user
    locked.clear_reason = MANUAL
    locked.note = note
    locked.save(update_fields=["status", "cleared_at", "cleared_by", "clear_reason", "note"])
    return locked


def recipients(device: Device) -> tuple[list[User], list[User]]:
    """Residents of the device's apartment, and utility operators of its district."""
    residents: list[User] = []
    if device.apartment_id is not None:
        residents = [
            c.user
            for c in Citizen.objects.filter(
                apartment_id=device.apartment_id, user__isnull=False, user__is_active=True
            ).select_related("user")
            if c.user is not None
        ]
    operators = [
        o.user
        for o in Official.objects.filter(
            role=Role.UTILITY_OPERATOR, district_id=device.district_id, user__is_active=True
        ).select_related("user")
    ]
    return residents, operators


def _notify(alarm: Alarm) -> None:
    from gorod.portal.notifications import notify

    residents, operators = recipients(alarm.device)
    title = _("%(rule)s: device %(device)s") % {"rule": alarm.rule.name, "device": alarm.device.pk}
    body = reason_text(alarm.reason, alarm.evidence)
    try:
        home = reverse("utilities:meters")  # the resident's meters, where the utilities app is on
    except NoReverseMatch:
        home = ""
    for user in residents:
        notify(user=user, kind="telemetry.alarm", title=title, body=body, link=home)
    link = reverse("telemetry:alarm", args=[alarm.pk])
    for user in operators:
        notify(user=user, kind="telemetry.alarm", title=title, body=body, link=link)


def number(value: Any) -> str:
    """A figure in the current language's notation, to six significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    rounded = float(f"{value:.6g}")
    return str(number_format(int(rounded) if rounded.is_integer() else rounded))


def _hours(seconds: Any) -> str:
    return number(round(float(seconds) / 3600, 1)) if isinstance(seconds, int | float) else "?"


def reason_text(reason: str, evidence: dict[str, Any]) -> str:
    """The reason of an alarm (or of its clearing) as a sentence in the current language."""
    values = evidence.get("values") or []
    latest = number(values[-1]) if values else "?"
    limit = number(evidence.get("limit", "?"))
    per_hour = number(round(evidence.get("per_hour", 0.0), 3))
    texts = {
        rules.Reason.ABOVE: _("The latest value %(latest)s is above %(limit)s."),
        rules.Reason.BELOW: _("The latest value %(latest)s is below %(limit)s."),
        rules.Reason.WITHIN: _("The latest value %(latest)s is within the limit %(limit)s."),
        rules.Reason.BETWEEN: _("The latest value %(latest)s is between the two limits."),
        rules.Reason.RATE_ABOVE: _("The value changes by %(per_hour)s an hour, above %(limit)s."),
        rules.Reason.RATE_BELOW: _("The value changes by %(per_hour)s an hour, below %(limit)s."),
        rules.Reason.RATE_WITHIN: _("The value changes by %(per_hour)s an hour, within %(limit)s."),
        rules.Reason.PERSISTS: _(
            "The condition (beyond %(limit)s) has held for %(held)s hours without a break."
        ),
        rules.Reason.NOT_PERSISTING: _("The condition no longer holds without a break."),
        rules.Reason.SILENT: _("No readings for %(silent)s hours."),
        rules.Reason.REPORTING: _("The device reports again."),
        rules.Reason.FLAG_SET: _("The device raised the flag."),
        rules.Reason.FLAG_UNSET: _("The flag is no longer raised."),
        rules.Reason.NO_DATA: _("No data."),
        rules.Reason.TOO_FEW: _("Too few readings to judge."),
        MANUAL: _("Cleared by an operator."),
        RULE_OFF: _("The rule was switched off."),
        NOT_COVERED: _("The rule no longer covers the device (deactivated or moved)."),
    }
    text = texts.get(reason, reason)
    return str(text) % {
        "latest": latest,
        "limit": limit,
        "per_hour": per_hour,
        "held": _hours(evidence.get("held_s")),
        "silent": _hours(evidence.get("silent_s")),
    }
