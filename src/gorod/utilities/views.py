"""Pages: a resident's meters and the monthly submission; an operator's alerts and districts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gorod.errors import ApplicationError
from gorod.people.models import User
from gorod.places.models import District
from gorod.utilities import selectors, services
from gorod.utilities.models import Alert, Forecast, Meter, Reading
from gorod.utilities.reasons import evidence_label, kind_label

ALERTS_PER_PAGE = 50


def _account(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


@dataclass(frozen=True)
class MeterView:
    meter: Meter
    this_month: Reading | None
    last_accepted: Reading | None
    smart_value: selectors.SmartValue | None
    history: list[Reading]
    chart: dict[str, Any]

    @property
    def chart_id(self) -> str:
        return f"chart-{self.meter.pk}"


def _chart(meter: Meter, history: list[Reading]) -> dict[str, Any]:
    return {
        "title": str(meter),
        "unit": meter.unit,
        "labels": [date_format(r.period, "YEAR_MONTH_FORMAT") for r in history],
        "values": [float(r.consumption) if r.consumption is not None else None for r in history],
        "estimated": [r.source == Reading.Source.ESTIMATE for r in history],
        "legend": {"actual": _("by the meter"), "estimated": _("estimated")},
    }


def _meter_views(meters: list[Meter], period: dt.date) -> list[MeterView]:
    smart = selectors.smart_latest(meters=[m for m in meters if m.is_smart])
    views = []
    for meter in meters:
        history = selectors.history(meter=meter)
        views.append(
            MeterView(
                meter=meter,
                this_month=selectors.reading_in_effect(meter=meter, period=period),
                last_accepted=selectors.last_accepted(meter=meter),
                smart_value=smart.get(meter.device_id),
                history=history,
                chart=_chart(meter, history),
            )
        )
    return views


def _home_or_none(user: User) -> Any:
    try:
        return selectors.home_of(user=user)
    except PermissionDenied:
        return None


@login_required
@require_GET
def my_meters(request: HttpRequest) -> HttpResponse:
    """Each meter of the resident's home: this month, the last reading, the history chart."""
    apartment = _home_or_none(_account(request))
    day = selectors.today()
    window = selectors.window_on(day)
    context: dict[str, Any] = {
        "apartment": apartment,
        "window": window,
        "window_open": window.is_open(day),
    }
    if apartment is not None:
        context["meters"] = _meter_views(
            list(selectors.meters_of(apartment=apartment)), window.period
        )
        context["bills"] = list(selectors.bills_of(apartment=apartment)[:6])
    return render(request, "utilities/my_meters.html", context)


class SubmissionForm(forms.Form):
    """One optional field per meter, ``meter_<id>``; a value with a comma is fine."""

    def __init__(self, *args: Any, meters: list[Meter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meters = meters
        for meter in meters:
            self.fields[services.field_of(meter.pk)] = forms.CharField(
                label=f"{meter.get_resource_display()}, {meter.unit} (№ {meter.serial})",
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def values(self) -> dict[int, object]:
        return {
            meter.pk: self.cleaned_data[services.field_of(meter.pk)]
            for meter in self.meters
            if self.cleaned_data.get(services.field_of(meter.pk), "").strip()
        }


def _bound_to_errors(form: SubmissionForm, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """The month's submission of readings, several meters at once; a resubmission corrects."""
    user = _account(request)
    apartment = _home_or_none(user)
    day = selectors.today()
    window = selectors.window_on(day)
    meters = list(selectors.meters_of(apartment=apartment)) if apartment is not None else []
    form = SubmissionForm(request.POST or None, meters=meters)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                readings = services.readings_submit(user=user, values=form.values())
            except ApplicationError as exc:
                _bound_to_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Readings accepted for %(month)s: %(count)d.")
                    % {
                        "month": date_format(window.period, "YEAR_MONTH_FORMAT"),
                        "count": len(readings),
                    },
                )
                return redirect("utilities:meters")
    current = {m.pk: selectors.reading_in_effect(meter=m, period=window.period) for m in meters}
    rows = [
        (form[services.field_of(m.pk)], m, current[m.pk], selectors.last_accepted(meter=m))
        for m in meters
    ]
    return render(
        request,
        "utilities/submit.html",
        {
            "form": form,
            "rows": rows,
            "window": window,
            "window_open": window.is_open(day),
            "apartment": apartment,
        },
        status=status,
    )


@login_required
@permission_required("utilities.view_alert", raise_exception=True)
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    """The operator's queue: open alerts first, newest first, with the feedback so far."""
    user = _account(request)
    status = request.GET.get("status") or Alert.Status.OPEN
    if status not in Alert.Status.values:
        status = Alert.Status.OPEN
    queue = selectors.alerts_for(user=user, status=status)
    return render(
        request,
        "utilities/alerts.html",
        {
            "alerts": list(queue[:ALERTS_PER_PAGE]),
            "total": queue.count(),
            "status": status,
            "statuses": Alert.Status.choices,
            "feedback": selectors.alert_feedback(user=user),
        },
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Alert.Status.CONFIRMED, _("Confirm: a real problem")),
            (Alert.Status.DISMISSED, _("Dismiss: a false alarm")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _evidence_chart(alert: Alert) -> dict[str, Any] | None:
    """The evidence's series, when the detector gave one: ``{"labels", "values"}`` or
    ``{"series": {"labels", "values"}}``."""
    series = alert.evidence.get("series", alert.evidence)
    labels, values = series.get("labels"), series.get("values")
    if not isinstance(labels, list) or not isinstance(values, list) or len(labels) != len(values):
        return None
    return {
        "labels": [str(label) for label in labels],
        "values": values,
        "title": str(series.get("title") or kind_label(alert.kind)),
        "unit": str(series.get("unit") or ""),
    }


def _evidence_facts(alert: Alert) -> list[tuple[str, str]]:
    return [
        (evidence_label(str(key)), number_format(value) if isinstance(value, float) else str(value))
        for key, value in alert.evidence.items()
        if not isinstance(value, dict | list)
    ]


@login_required
@permission_required("utilities.view_alert", raise_exception=True)
@require_http_methods(["GET", "POST"])
def alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One alert: why, the data behind it, and the operator's decision."""
    user = _account(request)
    found = selectors.alerts_for(user=user).filter(pk=alert_id).first()
    if found is None:
        raise Http404(_("No such alert in your district."))
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.alert_decide(
                    alert_id=found.pk,
                    user=user,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Your decision is recorded."))
                return redirect("utilities:alerts")
    chart = _evidence_chart(found)
    return render(
        request,
        "utilities/alert.html",
        {
            "alert": found,
            "form": form,
            "chart": chart,
            "evidence_rows": list(zip(chart["labels"], chart["values"], strict=True))
            if chart
            else [],
            "facts": _evidence_facts(found),
            "can_decide": user.has_perm("utilities.change_alert"),
        },
        status=status,
    )


def _forecast_chart(forecast: Forecast) -> dict[str, Any]:
    history, ahead = forecast.history, forecast.forecast
    return {
        "id": f"forecast-{forecast.pk}",
        "title": forecast.district.name,
        "unit": _("m³ a day"),
        "labels": history.get("days", []) + ahead.get("days", []),
        "history": history.get("m3", []),
        "yhat": ahead.get("yhat", []),
        "lo": ahead.get("lo", []),
        "hi": ahead.get("hi", []),
        "legend": {
            "history": _("measured"),
            "yhat": _("forecast"),
            "band": _("%(level)s%% interval") % {"level": ahead.get("level", "")},
        },
    }


@login_required
@permission_required("utilities.view_alert", raise_exception=True)
@require_GET
def districts(request: HttpRequest) -> HttpResponse:
    """The month per district: submissions by source, estimates, refusals, open alerts, on
    a map of the districts."""
    user = _account(request)
    period = selectors.period_of(selectors.today())
    rows = selectors.submission_stats(user=user, period=period)
    boundaries = District.objects.filter(pk__in=[r.district_id for r in rows]).values(
        "pk", "name", "boundary"
    )
    by_pk = {r.district_id: r for r in rows}
    features = [
        {
            "type": "Feature",
            "geometry": d["boundary"],
            "properties": {
                "name": d["name"],
                **{k: v for k, v in by_pk[d["pk"]].__dict__.items() if isinstance(v, int)},
            },
        }
        for d in boundaries
        if d["boundary"]
    ]
    forecasts = selectors.latest_forecasts(district_ids=[r.district_id for r in rows])
    return render(
        request,
        "utilities/districts.html",
        {
            "forecasts": [(f, _forecast_chart(f)) for f in forecasts],
            "rows": rows,
            "period": period,
            "map": {"type": "FeatureCollection", "features": features} if features else None,
            "feedback": selectors.alert_feedback(user=user),
        },
    )
