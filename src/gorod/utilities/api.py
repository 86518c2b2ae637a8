"""``/api/v1/utilities/``: a resident's meters, readings and bills; an operator's alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from gorod.errors import ApplicationError
from gorod.people.auth import request_user
from gorod.schemas import Key, Pages, errors
from gorod.utilities import selectors, services
from gorod.utilities.models import Alert, Bill, Meter, Reading
from gorod.utilities.reasons import reason_text

router = Router(tags=["utilities"])


class ReadingOut(Schema):
    id: int
    meter_id: int
    period: dt.date
    value: Decimal
    consumption: Decimal | None
    read_on: dt.date
    source: str
    status: str
    reason: str
    reason_text: str
    submitted_at: dt.datetime

    @staticmethod
    def from_model(reading: Reading) -> ReadingOut:
        return ReadingOut(
            id=reading.pk,
            meter_id=reading.meter_id,
            period=reading.period,
            value=reading.value,
            consumption=reading.consumption,
            read_on=reading.read_on,
            source=reading.source,
            status=reading.status,
            reason=reading.reason,
            reason_text=reason_text(reading.reason, reading.reason_params),
            submitted_at=reading.submitted_at,
        )


class MeterOut(Schema):
    id: int
    device_id: str
    resource: str
    resource_label: str
    unit: str
    serial: str
    digits: int
    is_smart: bool
    verified_until: dt.date | None
    this_month: ReadingOut | None = Field(description="the reading in effect for this month")
    last_accepted: ReadingOut | None
    smart_value: Decimal | None = Field(description="a smart meter's latest register value")
    smart_value_at: dt.datetime | None

    @staticmethod
    def from_model(meter: Meter, period: dt.date) -> MeterOut:
        current = selectors.reading_in_effect(meter=meter, period=period)
        last = selectors.last_accepted(meter=meter)
        smart = selectors.smart_latest(meters=[meter] if meter.is_smart else []).get(
            meter.device_id
        )
        return MeterOut(
            id=meter.pk,
            device_id=meter.device_id,
            resource=meter.resource,
            resource_label=meter.get_resource_display(),
            unit=meter.unit,
            serial=meter.serial,
            digits=meter.digits,
            is_smart=meter.is_smart,
            verified_until=meter.verified_until,
            this_month=ReadingOut.from_model(current) if current else None,
            last_accepted=ReadingOut.from_model(last) if last else None,
            smart_value=smart.value if smart else None,
            smart_value_at=smart.at if smart else None,
        )


class WindowOut(Schema):
    period: dt.date
    opens: dt.date
    closes: dt.date
    is_open: bool


class MetersOut(Schema):
    window: WindowOut
    meters: list[MeterOut]


class ReadingIn(Schema):
    meter_id: Key
    value: str | int | float = Field(
        description="the register value; a decimal point or comma, at most three decimals"
    )


class SubmissionIn(Schema):
    readings: list[ReadingIn] = Field(min_length=1, max_length=10)


def _window() -> WindowOut:
    day = selectors.today()
    window = selectors.window_on(day)
    return WindowOut(
        period=window.period, opens=window.opens, closes=window.closes, is_open=window.is_open(day)
    )


@router.get("/meters", response={200: MetersOut, **errors(401, 403)})
def meters(request: HttpRequest) -> MetersOut:
    """Your home's meters with this month's reading and the last accepted one."""
    apartment = selectors.home_of(user=request_user(request))
    window = _window()
    return MetersOut(
        window=window,
        meters=[
            MeterOut.from_model(m, window.period) for m in selectors.meters_of(apartment=apartment)
        ],
    )


@router.get(
    "/meters/{meter_id}/readings", response={200: list[ReadingOut], **errors(401, 403, 404)}
)
def meter_readings(request: HttpRequest, meter_id: Key) -> list[ReadingOut]:
    """Every reading of one of your meters, newest first, refused ones with their reason."""
    meter = selectors.meter_of(user=request_user(request), meter_id=meter_id)
    return [ReadingOut.from_model(r) for r in meter.readings.all()]


@router.post("/readings", response={201: list[ReadingOut], **errors(400, 401, 403, 404, 409)})
def readings_submit(request: HttpRequest, payload: SubmissionIn) -> Status[list[ReadingOut]]:
    """Submit this month's readings of one or more meters, within the window.

    All or nothing: a refused value answers 400 (404 for a meter not in your home, 409
    for a duplicate) with ``field`` = ``meter_<id>`` and the reason; nothing is stored.
    Submitting again within the window corrects the reading."""
    values: dict[int, Any] = {}
    for item in payload.readings:
        if item.meter_id in values:
            raise ApplicationError(
                _("The meter %(id)s appears twice.") % {"id": item.meter_id},
                field=services.field_of(item.meter_id),
            )
        values[item.meter_id] = item.value
    readings = services.readings_submit(user=request_user(request), values=values)
    return Status(201, [ReadingOut.from_model(r) for r in readings])


class BillLineOut(Schema):
    meter_id: int
    resource: str
    resource_label: str
    kind: str
    quantity: Decimal
    price: Decimal
    amount: Decimal


class BillOut(Schema):
    id: int
    period: dt.date
    total: Decimal
    issued_at: dt.datetime
    lines: list[BillLineOut]

    @staticmethod
    def from_model(bill: Bill) -> BillOut:
        return BillOut(
            id=bill.pk,
            period=bill.period,
            total=bill.total,
            issued_at=bill.issued_at,
            lines=[
                BillLineOut(
                    meter_id=line.meter_id,
                    resource=line.resource,
                    resource_label=line.get_resource_display(),
                    kind=line.kind,
                    quantity=line.quantity,
                    price=line.price,
                    amount=line.amount,
                )
                for line in bill.lines.all()
            ],
        )


@router.get("/bills", response={200: list[BillOut], **errors(401, 403)})
def bills(request: HttpRequest) -> list[BillOut]:
    """Your home's monthly bills, newest first."""
    apartment = selectors.home_of(user=request_user(request))
    return [BillOut.from_model(b) for b in selectors.bills_of(apartment=apartment)]


class AlertOut(Schema):
    id: int
    meter_id: int
    district: str
    address: str
    kind: str
    kind_label: str
    day: dt.date
    reason: str
    reason_text: str
    evidence: dict[str, Any]
    score: float
    status: str
    decided_at: dt.datetime | None
    comment: str

    @staticmethod
    def resolve_district(alert: Alert) -> str:
        return alert.meter.apartment.building.district.name

    @staticmethod
    def resolve_address(alert: Alert) -> str:
        return str(alert.meter.apartment)

    @staticmethod
    def resolve_reason_text(alert: Alert) -> str:
        return alert.explanation


@router.get("/alerts", response={200: list[AlertOut], **errors(400, 401, 403, 422)})
@paginate(Pages)
def alerts(request: HttpRequest, status: str | None = None) -> QuerySet[Alert]:
    """Alerts of the AI detectors in your district, newest first, each with its evidence;
    ``status`` is open, confirmed or dismissed."""
    if status is not None and status not in Alert.Status.values:
        raise ApplicationError(
            _("Unknown alert status: %(status)s.") % {"status": status[:20]}, field="status"
        )
    return selectors.alerts_for(user=request_user(request), status=status)


class DecisionIn(Schema):
    decision: str = Field(description="confirmed or dismissed", pattern="^(confirmed|dismissed)$")
    comment: str = Field("", max_length=2000)


@router.post(
    "/alerts/{alert_id}/decision", response={200: AlertOut, **errors(400, 401, 403, 404, 409)}
)
def alert_decide(request: HttpRequest, alert_id: Key, payload: DecisionIn) -> Alert:
    """Confirm an alert or dismiss it as a false alarm; the feedback is kept and reported."""
    return services.alert_decide(
        alert_id=alert_id,
        user=request_user(request),
        decision=payload.decision,
        comment=payload.comment,
    )


class FeedbackOut(Schema):
    kind: str
    open: int
    confirmed: int
    dismissed: int
    false_alarm_rate: float | None


@router.get("/alerts/feedback", response={200: list[FeedbackOut], **errors(401, 403)})
def alert_feedback(request: HttpRequest) -> list[FeedbackOut]:
    """Per kind of alert: open, confirmed and dismissed counts and the false-alarm rate."""
    return [
        FeedbackOut(
            kind=f.kind,
            open=f.open,
            confirmed=f.confirmed,
            dismissed=f.dismissed,
            false_alarm_rate=f.false_alarm_rate,
        )
        for f in selectors.alert_feedback(user=request_user(request))
    ]


Month = Annotated[str, Field(pattern=r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


@router.get("/statistics", response={200: list[selectors.DistrictMonth], **errors(401, 403, 422)})
def statistics(request: HttpRequest, month: Month | None = None) -> list[selectors.DistrictMonth]:
    """Per district you may see: meters and the month's readings by source."""
    period = (
        dt.date.fromisoformat(f"{month}-01") if month else selectors.period_of(selectors.today())
    )
    return selectors.submission_stats(user=request_user(request), period=period)
