"""Reads: a resident's meters and readings, the VEE inputs, tariffs, alerts and statistics."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import NotFound
from gorod.people.models import Citizen, User
from gorod.people.scope import restrict
from gorod.places.models import Apartment
from gorod.portal.models import Notification
from gorod.telemetry.models import DeviceState
from gorod.utilities import conf
from gorod.utilities.models import (
    RESOURCE_METRIC,
    Alert,
    Bill,
    Forecast,
    Meter,
    Reading,
    Resource,
    Tariff,
)
from gorod.utilities.reasons import kind_label
from gorod.utilities.vee import (
    DAYS_PER_MONTH,
    Previous,
    average_monthly,
    month_index,
    month_start,
    quantize,
)

IN_EFFECT = (Reading.Status.ACCEPTED, Reading.Status.ESTIMATED)
ALERT_DISTRICT = "meter__apartment__building__district"
VEE_WINDOW_MONTHS = 6
# How each source of a reading in effect counts in the month's statistics.
STATS_KEY = {
    "citizen": "submitted",
    "operator": "submitted",
    "smart": "smart",
    "estimate": "estimated",
}


def home_of(*, user: User) -> Apartment:
    """The apartment of the resident behind ``user``; refused for anyone without one."""
    citizen = Citizen.objects.filter(user=user).select_related("apartment").first()
    if citizen is None or citizen.apartment is None:
        raise PermissionDenied(_("Your account is not linked to a registered address."))
    return citizen.apartment


def meters_of(*, apartment: Apartment) -> QuerySet[Meter]:
    return Meter.objects.filter(apartment=apartment, is_active=True).select_related("device")


def meter_of(*, user: User, meter_id: int) -> Meter:
    """One meter of the resident's home; 404 for any other."""
    meter = meters_of(apartment=home_of(user=user)).filter(pk=meter_id).first()
    if meter is None:
        raise NotFound(
            _("There is no meter %(id)s in your home.") % {"id": meter_id}, field="meter_id"
        )
    return meter


def last_accepted(*, meter: Meter) -> Reading | None:
    return (
        Reading.objects.filter(meter=meter, status=Reading.Status.ACCEPTED)
        .order_by("-period", "-submitted_at")
        .first()
    )


def residents_of(*, apartment: Apartment) -> int:
    return Citizen.objects.filter(apartment=apartment).count()


def period_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


@dataclass(frozen=True)
class History:
    """A meter's readings in effect up to a month (ascending), read once: what the VEE
    rules, the estimate and the bill ask about the meter's past."""

    meter: Meter
    readings: list[Reading]

    def in_effect(self, period: dt.date) -> Reading | None:
        return next((r for r in self.readings if r.period == period), None)

    def _before(self, period: dt.date) -> list[Reading]:
        return [r for r in self.readings if r.period < period]

    def previous_real(self, period: dt.date) -> Previous:
        """The last accepted real reading before ``period``, or the installation value."""
        real = [r for r in self._before(period) if r.status == Reading.Status.ACCEPTED]
        if not real:
            return Previous(self.meter.initial_value, self.meter.installed_on)
        return Previous(real[-1].value, real[-1].read_on)

    def real_points(self, period: dt.date) -> list[tuple[int, Decimal]]:
        """The real register values ``(month index, value)`` in the VEE window before
        ``period``, the installation value first when that falls in the window."""
        start, end = month_index(period) - VEE_WINDOW_MONTHS, month_index(period)
        points: list[tuple[int, Decimal]] = []
        installed = month_index(self.meter.installed_on)
        if start <= installed < end:
            points.append((installed, self.meter.initial_value))
        points.extend(
            (month_index(r.period), r.value)
            for r in self._before(period)
            if r.status == Reading.Status.ACCEPTED and month_index(r.period) >= start
        )
        return points

    def average_daily(self, period: dt.date) -> Decimal | None:
        average = average_monthly(self.real_points(period), digits=self.meter.digits)
        return None if average is None else average[0] / DAYS_PER_MONTH

    def estimated_in_a_row(self, period: dt.date) -> list[Reading]:
        """The estimated readings just before ``period``, since the last real one."""
        found: list[Reading] = []
        for reading in reversed(self._before(period)):
            if reading.status != Reading.Status.ESTIMATED:
                break
            found.append(reading)
        return found

    def last_value(self, period: dt.date) -> Decimal:
        """The register value in effect before ``period`` (real or estimated)."""
        before = self._before(period)
        return before[-1].value if before else self.meter.initial_value


def histories_of(*, meters: list[Meter], period: dt.date) -> dict[int, History]:
    """Each meter's history up to ``period``, in one query."""
    by_meter: dict[int, list[Reading]] = {m.pk: [] for m in meters}
    rows = Reading.objects.filter(meter__in=meters, period__lte=period, status__in=IN_EFFECT)
    for reading in rows.order_by("meter", "period"):
        by_meter[reading.meter_id].append(reading)
    return {m.pk: History(m, by_meter[m.pk]) for m in meters}


def history_of(*, meter: Meter, period: dt.date) -> History:
    return histories_of(meters=[meter], period=period)[meter.pk]


def reading_in_effect(*, meter: Meter, period: dt.date) -> Reading | None:
    return Reading.objects.filter(meter=meter, period=period, status__in=IN_EFFECT).first()


def tariffs_for(*, period: dt.date) -> dict[str, Decimal]:
    """Every resource's price per unit in force on the first of ``period``."""
    prices = conf.default_tariffs()
    rows = Tariff.objects.filter(valid_from__lte=period).order_by("resource", "valid_from")
    for row in rows:
        prices[row.resource] = row.price  # the latest one wins
    return prices


REMINDER = "utilities.reminder"


def residents_to_remind(*, period: dt.date) -> list[tuple[Citizen, User]]:
    """Residents with an account whose home has an active manual meter without a reading in
    effect for ``period``, and who were not reminded since the month began."""
    missing = Meter.objects.filter(is_active=True, is_smart=False).exclude(
        readings__period=period, readings__status__in=IN_EFFECT
    )
    reminded = Notification.objects.filter(
        kind=REMINDER,
        created_at__gte=dt.datetime.combine(
            period, dt.time(), tzinfo=timezone.get_current_timezone()
        ),
    ).values("user")
    citizens = (
        Citizen.objects.filter(apartment__meters__in=missing, user__isnull=False)
        .exclude(user__in=reminded)
        .select_related("user")
        .distinct()
        .order_by("pk")
    )
    return [(c, c.user) for c in citizens if c.user is not None]


@dataclass(frozen=True)
class SmartValue:
    value: Decimal
    at: dt.datetime


def smart_latest(*, meters: list[Meter]) -> dict[str, SmartValue]:
    """The latest register value each smart meter sent, by device id (from the telemetry
    latest state)."""
    wanted = Q()
    for meter in meters:
        wanted |= Q(device_id=meter.device_id, metric=RESOURCE_METRIC[Resource(meter.resource)])
    if not meters:
        return {}
    return {
        state.device_id: SmartValue(quantize(Decimal(str(state.value))), state.ts)
        for state in DeviceState.objects.filter(wanted)
    }


def smart_register_values(*, period: dt.date, uri: str | None = None) -> dict[str, Decimal]:
    """Each active smart meter's register value at the end of ``period``'s submission window,
    by device id: the last value it sent that month before the window closed, from the
    telemetry table. A value sent after the window (the meter's latest state by the time
    the month is closed) does not leak into the closed month; a meter silent all month has
    none (and is estimated)."""
    from gorod.telemetry import conf as telemetry_conf
    from gorod.telemetry import table

    meters = list(Meter.objects.filter(is_active=True, is_smart=True))
    if not meters:
        return {}
    local = timezone.get_current_timezone()
    start = dt.datetime.combine(period, dt.time(), tzinfo=local)
    end = dt.datetime.combine(window_on(period).closes + dt.timedelta(days=1), dt.time(), local)
    wanted = [(m.device_id, RESOURCE_METRIC[Resource(m.resource)]) for m in meters]
    with table.connect(
        uri or telemetry_conf.table_uri(), storage_options=telemetry_conf.storage_options()
    ) as con:
        rows = con.execute(
            "SELECT device_id, metric, arg_max(value, ts) FROM readings "
            "WHERE ts >= ? AND ts < ? AND device_id IN (SELECT unnest(?)) GROUP BY 1, 2",
            [start, end, sorted({device for device, _ in wanted})],
        ).fetchall()
    found = {(device, metric): value for device, metric, value in rows}
    return {
        device: quantize(Decimal(str(found[device, metric])))
        for device, metric in wanted
        if (device, metric) in found
    }


@dataclass(frozen=True)
class Window:
    period: dt.date
    opens: dt.date
    closes: dt.date

    def is_open(self, day: dt.date) -> bool:
        return self.opens <= day <= self.closes


def window_on(day: dt.date) -> Window:
    """The submission window of ``day``'s month."""
    first, last = conf.window_days()
    length = calendar.monthrange(day.year, day.month)[1]
    return Window(
        period_of(day), day.replace(day=min(first, length)), day.replace(day=min(last, length))
    )


def today() -> dt.date:
    return timezone.localdate()


def history(*, meter: Meter, months: int = 12) -> list[Reading]:
    """The readings that made each month of the last ``months`` (oldest first): the one in
    effect, or an estimate a real reading later replaced."""
    since = month_start(month_index(today()) - months + 1)
    rows = Reading.objects.filter(meter=meter, period__gte=since).filter(
        Q(status__in=IN_EFFECT) | Q(source=Reading.Source.ESTIMATE)
    )
    by_period: dict[dt.date, Reading] = {}
    for reading in rows.order_by("period", "submitted_at"):
        if reading.period not in by_period or reading.status in IN_EFFECT:
            by_period[reading.period] = reading
    return [by_period[p] for p in sorted(by_period)]


def bills_of(*, apartment: Apartment) -> QuerySet[Bill]:
    return Bill.objects.filter(apartment=apartment).prefetch_related("lines__meter")


def alerts_for(
    *, user: AbstractBaseUser | AnonymousUser, status: str | None = None
) -> QuerySet[Alert]:
    """The alerts ``user`` may see: an operator's district, the whole city for city roles."""
    alerts = Alert.objects.select_related("meter__apartment__building__district")
    if status:
        alerts = alerts.filter(status=status)
    return restrict(alerts, user, district=ALERT_DISTRICT)


@dataclass(frozen=True)
class Feedback:
    kind: str
    open: int
    confirmed: int
    dismissed: int

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def decided(self) -> int:
        return self.confirmed + self.dismissed

    @property
    def false_alarm_rate(self) -> float | None:
        return None if self.decided == 0 else self.dismissed / self.decided


def alert_feedback(*, user: AbstractBaseUser | AnonymousUser) -> list[Feedback]:
    """Per kind of alert: how many are open, confirmed and dismissed as false alarms."""
    counts: Counter[tuple[str, str]] = Counter()
    rows = alerts_for(user=user).values("kind", "status").annotate(n=Count("pk"))
    for row in rows:
        counts[row["kind"], row["status"]] = row["n"]
    kinds = sorted({kind for kind, _status in counts})
    return [
        Feedback(
            kind,
            counts[kind, Alert.Status.OPEN],
            counts[kind, Alert.Status.CONFIRMED],
            counts[kind, Alert.Status.DISMISSED],
        )
        for kind in kinds
    ]


@dataclass(frozen=True)
class DistrictMonth:
    district_id: int
    district: str
    meters: int
    submitted: int
    smart: int
    estimated: int
    rejected: int
    open_alerts: int


def submission_stats(
    *, user: AbstractBaseUser | AnonymousUser, period: dt.date
) -> list[DistrictMonth]:
    """Per district the user may see: meters, and the month's readings by how they came."""
    meters = restrict(
        Meter.objects.filter(is_active=True), user, district="apartment__building__district"
    )
    per_district = {
        row["apartment__building__district"]: row
        for row in meters.values(
            "apartment__building__district", "apartment__building__district__name"
        ).annotate(n=Count("pk"))
    }
    readings = Reading.objects.filter(period=period, meter__in=meters)
    counts: Counter[tuple[int, str]] = Counter()
    rows = readings.values("meter__apartment__building__district", "source", "status")
    for row in rows.annotate(n=Count("pk")):
        if row["status"] == Reading.Status.REJECTED:
            key = "rejected"
        elif row["status"] in IN_EFFECT:
            key = STATS_KEY[row["source"]]
        else:
            continue
        counts[row["meter__apartment__building__district"], key] += row["n"]
    open_alerts = Counter(
        dict(
            alerts_for(user=user, status=Alert.Status.OPEN)
            .values_list(ALERT_DISTRICT)
            .annotate(n=Count("pk"))
            .values_list(ALERT_DISTRICT, "n")
        )
    )
    return [
        DistrictMonth(
            district_id=pk,
            district=row["apartment__building__district__name"],
            meters=row["n"],
            submitted=counts[pk, "submitted"],
            smart=counts[pk, "smart"],
            estimated=counts[pk, "estimated"],
            rejected=counts[pk, "rejected"],
            open_alerts=open_alerts[pk],
        )
        for pk, row in sorted(
            per_district.items(), key=lambda item: item[1]["apartment__building__district__name"]
        )
    ]


def latest_forecasts(*, district_ids: list[int]) -> list[Forecast]:
    """The newest forecast of each of the districts that has one."""
    newest: dict[int, Forecast] = {}
    for forecast in Forecast.objects.filter(district_id__in=district_ids).select_related(
        "district"
    ):
        if forecast.district_id not in newest:
            newest[forecast.district_id] = forecast
    return sorted(newest.values(), key=lambda f: f.district.name)
