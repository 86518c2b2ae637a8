"""Writes: readings submitted, a month closed (smart values, estimates, bills), alerts.

A resident's submission is all or nothing: every value is checked by the VEE rules
(``gorod.utilities.vee``) and the first refusal names its meter's field and changes
nothing. Closing a month puts every meter through the same rules: a smart meter's register
value is checked like a resident's, a meter without a reading is estimated, and each
apartment gets its bill with actual, estimated and recalculated lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.ledger.services import record
from gorod.people.models import User
from gorod.places.models import Apartment
from gorod.utilities import conf, notices, selectors
from gorod.utilities.models import Alert, Bill, BillLine, Meter, Reading
from gorod.utilities.reasons import ESTIMATE_REASONS, reason_text
from gorod.utilities.vee import (
    Verdict,
    capacity,
    estimate,
    month_index,
    price,
    quantize,
    recalculation,
    validate,
)

MAX_DECIMALS = 3


def field_of(meter_id: int) -> str:
    """The form and API field that carries a meter's value."""
    return f"meter_{meter_id}"


def _parse_value(raw: object, *, meter: Meter) -> Decimal:
    field = field_of(meter.pk)
    text = str(raw).strip().replace(",", ".") if raw is not None else ""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ApplicationError(
            _("The reading of %(meter)s is not a number: %(value)s.")
            % {"meter": meter, "value": text[:20] or "—"},
            field=field,
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise ApplicationError(
            _("The reading of %(meter)s has more than three decimals.") % {"meter": meter},
            field=field,
        )
    return value


def _verdict(
    *, history: selectors.History, value: Decimal, period: dt.date, read_on: dt.date, residents: int
) -> Verdict:
    meter = history.meter
    return validate(
        value,
        digits=meter.digits,
        previous=history.previous_real(period),
        read_on=read_on,
        residents=residents,
        standard_monthly=conf.standards()[meter.resource],
        average_daily=history.average_daily(period),
        limits=conf.limits(),
    )


def _refusal(meter: Meter, verdict: Verdict) -> ApplicationError:
    code = str(verdict.reason or "")
    return ApplicationError(
        _("%(meter)s: %(reason)s") % {"meter": meter, "reason": reason_text(code, verdict.params)},
        field=field_of(meter.pk),
        extra={"meter_id": meter.pk, "reason": code, **verdict.params},
    )


def _check_resubmission(meter: Meter, current: Reading | None, value: Decimal) -> None:
    if current is None:
        return
    if current.source != Reading.Source.CITIZEN:
        raise Conflict(
            _("%(meter)s already has this month's reading from %(source)s.")
            % {"meter": meter, "source": current.get_source_display()},
            field=field_of(meter.pk),
        )
    if current.value == value:
        raise Conflict(
            _("%(meter)s: the reading %(value)s was already submitted this month.")
            % {"meter": meter, "value": value},
            field=field_of(meter.pk),
        )


def readings_submit(
    *, user: User, values: Mapping[int, object], now: dt.datetime | None = None
) -> list[Reading]:
    """A resident submits this month's readings of one or more of their home's meters.

    A second submission for a meter within the window corrects the first (which is kept,
    superseded). All values are accepted together, or the first refusal is raised."""
    try:
        return _readings_submit(user=user, values=values, now=now or timezone.now())
    except IntegrityError as exc:  # another submission for the meter won the race
        raise Conflict(
            _("Another submission of these readings arrived at the same time; try again."),
            field="readings",
        ) from exc


@transaction.atomic
def _readings_submit(
    *, user: User, values: Mapping[int, object], now: dt.datetime
) -> list[Reading]:
    day = timezone.localdate(now)
    window = selectors.window_on(day)
    if not window.is_open(day):
        raise ApplicationError(
            _("Readings are accepted from the %(opens)s to the %(closes)s of each month.")
            % {"opens": window.opens.day, "closes": window.closes.day},
            field="period",
            extra={"opens": window.opens.isoformat(), "closes": window.closes.isoformat()},
        )
    if not values:
        raise ApplicationError(_("Enter at least one reading."), field="readings")
    apartment = selectors.home_of(user=user)
    meters = {
        m.pk: m
        for m in Meter.objects.select_for_update()
        .filter(apartment=apartment, is_active=True, pk__in=list(values))
        .select_related("apartment")
    }
    histories = selectors.histories_of(meters=list(meters.values()), period=window.period)
    residents = selectors.residents_of(apartment=apartment)
    accepted: list[tuple[Meter, Decimal, Verdict, Reading | None]] = []
    for meter_id, raw in values.items():
        meter = meters.get(meter_id)
        if meter is None:
            raise NotFound(
                _("There is no meter %(id)s in your home.") % {"id": meter_id},
                field=field_of(meter_id),
            )
        value = _parse_value(raw, meter=meter)
        history = histories[meter.pk]
        current = history.in_effect(window.period)
        _check_resubmission(meter, current, value)
        verdict = _verdict(
            history=history, value=value, period=window.period, read_on=day, residents=residents
        )
        if not verdict.accepted:
            raise _refusal(meter, verdict)
        accepted.append((meter, value, verdict, current))
    readings = []
    for meter, value, verdict, current in accepted:
        if current is not None:
            current.status = Reading.Status.SUPERSEDED
            current.save(update_fields=["status"])
        readings.append(
            Reading.objects.create(
                meter=meter,
                period=window.period,
                value=value,
                consumption=verdict.consumption,
                read_on=day,
                source=Reading.Source.CITIZEN,
                status=Reading.Status.ACCEPTED,
                submitted_by=user,
                submitted_at=now,
            )
        )
    notices.readings_accepted(user=user, readings=readings)
    return readings


@transaction.atomic
def reading_record(
    *,
    meter: Meter,
    period: dt.date,
    value: Decimal,
    now: dt.datetime | None = None,
    user: User | None = None,
) -> Reading:
    """A reading an operator took (a visit, a paper form) for ``period``, through the same
    VEE rules: a refused value is kept as rejected, with its reason."""
    now = now or timezone.now()
    history = selectors.history_of(meter=meter, period=period)
    if history.in_effect(period) is not None:
        raise Conflict(
            _("%(meter)s already has a reading for this month.") % {"meter": meter},
            field=field_of(meter.pk),
        )
    return _checked_reading(
        history,
        value,
        period=period,
        read_on=timezone.localdate(now),
        now=now,
        source=Reading.Source.OPERATOR,
        residents=selectors.residents_of(apartment=meter.apartment),
        user=user,
    )


@dataclass
class CloseResult:
    period: dt.date
    apartments: int = 0
    smart_accepted: int = 0
    smart_rejected: int = 0
    estimated: int = 0
    bills: int = 0
    recalculated: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "period": self.period.isoformat()}


def _checked_reading(
    history: selectors.History,
    value: Decimal,
    *,
    period: dt.date,
    read_on: dt.date,
    now: dt.datetime,
    source: str,
    residents: int,
    user: User | None = None,
) -> Reading:
    """A reading from a meter or an operator, kept whether the VEE rules accept it or not."""
    verdict = _verdict(
        history=history, value=value, period=period, read_on=read_on, residents=residents
    )
    return Reading.objects.create(
        meter=history.meter,
        period=period,
        value=value,
        consumption=verdict.consumption,
        read_on=read_on,
        source=source,
        status=Reading.Status.ACCEPTED if verdict.accepted else Reading.Status.REJECTED,
        submitted_by=user,
        submitted_at=now,
        reason=str(verdict.reason or ""),
        reason_params=verdict.params,
    )


def _estimated_reading(
    history: selectors.History,
    *,
    period: dt.date,
    read_on: dt.date,
    residents: int,
    now: dt.datetime,
) -> Reading:
    meter = history.meter
    result = estimate(
        points=history.real_points(period),
        period=month_index(period),
        digits=meter.digits,
        residents=residents,
        standard_monthly=conf.standards()[meter.resource],
        estimated_in_a_row=len(history.estimated_in_a_row(period)),
        limits=conf.limits(),
    )
    value = quantize((history.last_value(period) + result.consumption) % capacity(meter.digits))
    return Reading.objects.create(
        meter=meter,
        period=period,
        value=value,
        consumption=result.consumption,
        read_on=read_on,
        source=Reading.Source.ESTIMATE,
        status=Reading.Status.ESTIMATED,
        submitted_at=now,
        reason=ESTIMATE_REASONS[result.method],
        reason_params={"months": str(result.months), "residents": str(max(residents, 1))},
    )


def _bill_line(
    bill: Bill, history: selectors.History, reading: Reading, tariffs: Mapping[str, Decimal]
) -> BillLine:
    """The line for a meter's month; a real reading after estimates bills the difference
    between what it shows and what the estimates billed, and retires those estimates."""
    meter = history.meter
    kind = BillLine.Kind.ACTUAL
    quantity = reading.consumption or Decimal(0)
    if reading.status == Reading.Status.ESTIMATED:
        kind = BillLine.Kind.ESTIMATED
    else:
        estimates = history.estimated_in_a_row(reading.period)
        if estimates:
            kind = BillLine.Kind.RECALCULATED
            quantity = recalculation(
                actual=quantity, estimated=[e.consumption or Decimal(0) for e in estimates]
            )
            Reading.objects.filter(pk__in=[e.pk for e in estimates]).update(
                status=Reading.Status.SUPERSEDED
            )
    tariff = tariffs[meter.resource]
    return BillLine(
        bill=bill,
        meter=meter,
        resource=meter.resource,
        kind=kind,
        quantity=quantity,
        price=tariff,
        amount=price(quantity, tariff),
    )


@transaction.atomic
def apartment_close(
    *,
    apartment: Apartment,
    period: dt.date,
    smart_values: Mapping[str, Decimal],
    result: CloseResult,
    now: dt.datetime,
    tariffs: Mapping[str, Decimal] | None = None,
) -> Bill | None:
    """Close one apartment's month: smart values, estimates, then the bill (once)."""
    read_on = selectors.window_on(period).closes
    residents = selectors.residents_of(apartment=apartment)
    meters = list(Meter.objects.select_for_update().filter(apartment=apartment, is_active=True))
    histories = selectors.histories_of(meters=meters, period=period)
    in_effect: dict[int, Reading] = {}
    for meter in meters:
        history = histories[meter.pk]
        reading = history.in_effect(period)
        if reading is None and meter.is_smart and meter.device_id in smart_values:
            smart = _checked_reading(
                history,
                smart_values[meter.device_id],
                period=period,
                read_on=read_on,
                now=now,
                source=Reading.Source.SMART,
                residents=residents,
            )
            if smart.status == Reading.Status.ACCEPTED:
                result.smart_accepted += 1
                reading = smart
            else:
                result.smart_rejected += 1
        if reading is None:
            reading = _estimated_reading(
                history, period=period, read_on=read_on, residents=residents, now=now
            )
            result.estimated += 1
        in_effect[meter.pk] = reading
    result.apartments += 1
    if not in_effect or Bill.objects.filter(apartment=apartment, period=period).exists():
        return None
    prices = tariffs if tariffs is not None else selectors.tariffs_for(period=period)
    bill = Bill.objects.create(apartment=apartment, period=period, total=Decimal(0))
    lines = BillLine.objects.bulk_create(
        [_bill_line(bill, histories[pk], reading, prices) for pk, reading in in_effect.items()]
    )
    result.recalculated += sum(line.kind == BillLine.Kind.RECALCULATED for line in lines)
    bill.total = sum((line.amount for line in lines), Decimal(0))
    bill.save(update_fields=["total"])
    result.bills += 1
    notices.bill_issued(bill=bill)
    return bill


def period_close(
    *,
    period: dt.date,
    smart_values: Mapping[str, Decimal] | None = None,
    apartments: QuerySet[Apartment] | None = None,
    now: dt.datetime | None = None,
    uri: str | None = None,
) -> CloseResult:
    """Close a month for every apartment with meters (or the given ones): idempotent, one
    transaction per apartment, so a second run only fills what the first did not. Smart
    meters' values are their registers at the window's end, from the telemetry table
    (``uri``, default the configured one), unless ``smart_values`` gives them."""
    if period.day != 1:
        raise ApplicationError(_("A month is given by its first day."), field="period")
    now = now or timezone.now()
    if selectors.window_on(period).closes >= timezone.localdate(now):
        raise ApplicationError(
            _("The month %(month)s cannot be closed before its submission window ends.")
            % {"month": date_format(period, "YEAR_MONTH_FORMAT")},
            field="period",
        )
    if smart_values is None:
        smart_values = selectors.smart_register_values(period=period, uri=uri)
    homes = apartments if apartments is not None else Apartment.objects.all()
    tariffs = selectors.tariffs_for(period=period)
    result = CloseResult(period)
    for apartment in homes.filter(meters__is_active=True).distinct().order_by("pk"):
        try:
            apartment_close(
                apartment=apartment,
                period=period,
                smart_values=smart_values,
                result=result,
                now=now,
                tariffs=tariffs,
            )
        except IntegrityError:  # a concurrent run closed this apartment first
            result.skipped += 1
    return result


def alert_raise(
    *,
    meter: Meter,
    kind: str,
    day: dt.date,
    reason: str,
    evidence: Mapping[str, Any],
    score: float,
) -> tuple[Alert, bool]:
    """Store a detector's finding once per meter, kind and day; True when it is new."""
    return Alert.objects.get_or_create(
        meter=meter,
        kind=kind,
        day=day,
        defaults={"reason": reason, "evidence": dict(evidence), "score": score},
    )


DECISIONS = (Alert.Status.CONFIRMED, Alert.Status.DISMISSED)


@transaction.atomic
def alert_decide(*, alert_id: int, user: User, decision: str, comment: str = "") -> Alert:
    """An operator confirms an alert or dismisses it as a false alarm, with a comment."""
    if decision not in DECISIONS:
        raise ApplicationError(
            _("Choose confirm or dismiss."), field="decision", extra={"choices": list(DECISIONS)}
        )
    if not user.has_perm("utilities.change_alert"):
        raise PermissionDenied(_("Only a utility operator decides on alerts."))
    comment = comment.strip()
    if len(comment) > 2000:
        raise ApplicationError(_("The comment is longer than 2000 characters."), field="comment")
    alert = selectors.alerts_for(user=user).select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("No such alert in your district."), field="alert_id")
    if alert.status != Alert.Status.OPEN:
        raise Conflict(
            _("This alert was already decided: %(status)s.")
            % {"status": alert.get_status_display()},
            field="decision",
        )
    alert.status = decision
    alert.comment = comment
    alert.decided_by = user
    alert.decided_at = timezone.now()
    alert.save(update_fields=["status", "comment", "decided_by", "decided_at"])
    record(
        actor=user,
        action="utilities.alert.decide",
        subject=None,
        purpose="anomaly investigation",
        detail={"alert": alert.pk, "kind": alert.kind, "decision": decision},
    )
    if decision == Alert.Status.CONFIRMED:
        notices.leak_confirmed(alert=alert)
    return alert


@dataclass
class RemindResult:
    period: dt.date
    window_open: bool
    reminded: int = 0


def residents_remind(*, now: dt.datetime | None = None) -> RemindResult:
    """Tell the residents whose home has meters without this month's reading that the
    window is open; each at most once a month. Outside the window, nobody."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    window = selectors.window_on(day)
    result = RemindResult(window.period, window.is_open(day))
    if not result.window_open:
        return result
    for citizen, user in selectors.residents_to_remind(period=window.period):
        with transaction.atomic():
            notices.window_open(
                citizen=citizen, user=user, period=window.period, closes=window.closes
            )
        result.reminded += 1
    return result
