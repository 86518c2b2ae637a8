"""Official pages: devices, one device with its charts, alarms, dead letters, ingestion status.

Every page is for officials with the matching model permission, and shows only what their
scope allows: a utility operator sees their district, city-wide roles see everything. A
device or alarm outside the scope is a 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from gorod.errors import ApplicationError, NotFound
from gorod.people.models import Scope, User
from gorod.people.scope import official_for, restrict
from gorod.telemetry import alarms as alarm_services
from gorod.telemetry import charts
from gorod.telemetry.metrics import METRICS
from gorod.telemetry.models import Alarm, DeadLetter, Device, DeviceState, IngestStat

PER_PAGE = 50
SILENT_AFTER = dt.timedelta(hours=6)
CHART_DAYS = 7
STATUS_WINDOW = dt.timedelta(hours=1)
MAX_QUERY = 100


def _official(request: HttpRequest, permission: str) -> User:
    user = request.user
    if not isinstance(user, User) or not user.has_perm(permission):
        raise PermissionDenied(_("This page is for the city's utility operators."))
    return user


def devices_in_scope(user: User) -> QuerySet[Device]:
    return restrict(Device.objects.all(), user, district="district")


def _page(request: HttpRequest, items: QuerySet[Any]) -> Page[Any]:
    return Paginator(items, PER_PAGE).get_page(request.GET.get("page"))


def _device_status(device: Device, now: dt.datetime) -> str:
    if not device.is_active:
        return "inactive"
    if device.last_seen_at is None or now - device.last_seen_at > SILENT_AFTER:
        return "silent"
    return "active"


DEVICE_STATUSES = ("all", "active", "silent", "inactive")


def _device_status_labels() -> dict[str, str]:
    return {
        "all": _("all"),
        "active": _("reporting"),
        "silent": _("silent"),
        "inactive": _("deactivated"),
    }


@login_required
@require_GET
def devices(request: HttpRequest) -> HttpResponse:
    """Devices in scope, searched by id or address and filtered by status."""
    user = _official(request, "telemetry.view_device")
    now = timezone.now()
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    status = request.GET.get("status", "all")
    if status not in DEVICE_STATUSES:
        status = "all"
    found = devices_in_scope(user).select_related(
        "device_type", "district", "apartment__building", "building", "institution"
    )
    if query:
        found = found.filter(
            Q(id__icontains=query)
            | Q(apartment__building__address__icontains=query)
            | Q(building__address__icontains=query)
            | Q(institution__name__icontains=query)
        )
    silent_since = now - SILENT_AFTER
    if status == "inactive":
        found = found.filter(is_active=False)
    elif status == "silent":
        found = found.filter(is_active=True).filter(
            Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=silent_since)
        )
    elif status == "active":
        found = found.filter(is_active=True, last_seen_at__gte=silent_since)
    page = _page(
        request,
        found.annotate(
            open_alarms=Count("alarms", filter=~Q(alarms__status=Alarm.Status.CLEARED))
        ).order_by("pk"),
    )
    rows = [{"device": d, "status": _device_status(d, now)} for d in page]
    labels = _device_status_labels()
    context = {
        "page": page,
        "rows": rows,
        "query": query,
        "status": status,
        "statuses": [(s, labels[s]) for s in DEVICE_STATUSES],
        "labels": labels,
    }
    return render(request, "telemetry/devices.html", context)


def _device_or_404(user: User, device_id: str) -> Device:
    try:
        return (
            devices_in_scope(user)
            .select_related(
                "device_type", "district", "apartment__building", "building", "institution"
            )
            .get(pk=device_id)
        )
    except Device.DoesNotExist:
        raise Http404(_("No such device in your scope.")) from None


@login_required
@require_GET
def device(request: HttpRequest, device_id: str) -> HttpResponse:
    """One device: where it is, its latest values, a chart per metric, its alarms."""
    user = _official(request, "telemetry.view_device")
    found = _device_or_404(user, device_id)
    now = timezone.now()
    states = list(DeviceState.objects.filter(device=found).order_by("metric"))
    metric_names = [m for m in found.device_type.metrics if m in METRICS]
    chart_list = charts.device_charts(
        device_id=found.pk, metrics=metric_names, end=now, days=CHART_DAYS
    )
    context = {
        "device": found,
        "status": _device_status(found, now),
        "labels": _device_status_labels(),
        "states": [
            {"state": s, "unit": METRICS[s.metric].unit if s.metric in METRICS else ""}
            for s in states
        ],
        "charts": chart_list,
        "alarms": list(found.alarms.select_related("rule")[:20]),
        "days": CHART_DAYS,
    }
    return render(request, "telemetry/device.html", context)


ALARM_FILTERS = ("open", "active", "acknowledged", "cleared", "all")


def _alarm_filter_labels() -> dict[str, str]:
    return {
        "open": _("open"),
        "active": pgettext("alarm", "active"),
        "acknowledged": pgettext("alarm", "acknowledged"),
        "cleared": pgettext("alarm", "cleared"),
        "all": _("all"),
    }


@login_required
@require_GET
def alarm_list(request: HttpRequest) -> HttpResponse:
    """Alarms in scope, open ones first by default, with acknowledge and clear buttons."""
    user = _official(request, "telemetry.view_alarm")
    status = request.GET.get("status", "open")
    if status not in ALARM_FILTERS:
        status = "open"
    found = alarm_services.alarms_for(user).select_related(
        "rule", "device__apartment__building", "device__building", "device__institution"
    )
    if status == "open":
        found = found.exclude(status=Alarm.Status.CLEARED)
    elif status != "all":
        found = found.filter(status=status)
    page = _page(request, found)
    labels = _alarm_filter_labels()
    context = {
        "page": page,
        "alarms": list(page),
        "status": status,
        "statuses": [(s, labels[s]) for s in ALARM_FILTERS],
        "may_act": user.has_perm("telemetry.change_alarm"),
    }
    return render(request, "telemetry/alarms.html", context)


def _alarm_or_404(user: User, alarm_id: int) -> Alarm:
    try:
        return alarm_services.alarm_get(alarm_id=alarm_id, user=user)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_GET
def alarm(request: HttpRequest, alarm_id: int) -> HttpResponse:
    """One alarm: why it was raised, the evidence, who acted on it."""
    user = _official(request, "telemetry.view_alarm")
    found = _alarm_or_404(user, alarm_id)
    context = {
        "alarm": found,
        "reason": charts.reason(found),
        "cleared_because": alarm_services.reason_text(found.clear_reason, {})
        if found.clear_reason
        else "",
        "chart": charts.evidence_chart(found),
        "facts": charts.evidence_facts(found),
        "may_act": user.has_perm("telemetry.change_alarm"),
    }
    return render(request, "telemetry/alarm.html", context)


def _act(request: HttpRequest, alarm_id: int, action: str) -> HttpResponse:
    user = _official(request, "telemetry.change_alarm")
    found = _alarm_or_404(user, alarm_id)
    try:
        if action == "acknowledge":
            found = alarm_services.alarm_acknowledge(alarm=found, user=user)
            done = _("The alarm is acknowledged.")
        else:
            note = request.POST.get("note", "")
            found = alarm_services.alarm_clear(alarm=found, user=user, note=note)
            done = _("The alarm is cleared.")
    except ApplicationError as exc:
        if request.headers.get("HX-Request"):
            context = {
                "alarm": _alarm_or_404(user, alarm_id),
                "may_act": True,
                "error": exc.message,
            }
            return render(request, "telemetry/_alarm_row.html", context, status=exc.status)
        messages.error(request, exc.message)
        return redirect("telemetry:alarm", alarm_id=alarm_id)
    if request.headers.get("HX-Request"):
        context = {"alarm": found, "may_act": True, "done": done}
        return render(request, "telemetry/_alarm_row.html", context)
    messages.success(request, done)
    return redirect("telemetry:alarm", alarm_id=alarm_id)


@login_required
@require_POST
def alarm_acknowledge(request: HttpRequest, alarm_id: int) -> HttpResponse:
    return _act(request, alarm_id, "acknowledge")


@login_required
@require_POST
def alarm_clear(request: HttpRequest, alarm_id: int) -> HttpResponse:
    return _act(request, alarm_id, "clear")


def dead_letters_in_scope(user: User) -> QuerySet[DeadLetter]:
    """City-wide roles see every dead letter; a district sees those of its own devices
    (a letter from an unknown device belongs to no district, so only the city sees it)."""
    everything = DeadLetter.objects.all()
    official = official_for(user)
    if user.is_superuser or (official is not None and official.scope == Scope.CITY):
        return everything
    return everything.filter(device_id__in=devices_in_scope(user).values("pk"))


@login_required
@require_GET
def dead_letters(request: HttpRequest) -> HttpResponse:
    """What ingestion refused, newest first, filtered by reason."""
    user = _official(request, "telemetry.view_deadletter")
    found = dead_letters_in_scope(user)
    reasons = sorted(set(found.values_list("reason", flat=True).distinct()[:50]))
    reason = request.GET.get("reason", "")
    if reason:
        found = found.filter(reason=reason)
    page = _page(request, found)
    context = {"page": page, "letters": list(page), "reasons": reasons, "reason": reason}
    return render(request, "telemetry/dead_letters.html", context)


@login_required
@require_GET
def ingest_status(request: HttpRequest) -> HttpResponse:
    """Ingestion over the last hour: per worker rates and lag, refusals, device counts."""
    user = _official(request, "telemetry.view_ingeststat")
    now = timezone.now()
    since = now - STATUS_WINDOW
    workers = []
    for row in (
        IngestStat.objects.filter(window_start__gte=since)
        .values("worker")
        .annotate(
            accepted=Sum("accepted"),
            rejected=Sum("rejected"),
            duplicates=Sum("duplicates"),
            messages=Sum("messages"),
            seconds=Sum("window_seconds"),
            max_lag_s=Max("max_lag_s"),
            last=Max("window_start"),
        )
        .order_by("worker")
    ):
        seconds = row["seconds"] or 1.0
        workers.append({**row, "rate": (row["accepted"] or 0) / seconds})
    visible = devices_in_scope(user)
    silent_since = now - SILENT_AFTER
    context = {
        "workers": workers,
        "total_rate": sum(w["rate"] for w in workers),
        "max_lag_s": max((w["max_lag_s"] or 0.0 for w in workers), default=None),
        "refused": list(
            dead_letters_in_scope(user)
            .filter(received_at__gte=since)
            .values("reason")
            .annotate(items=Sum("count"))
            .order_by("-items")
        ),
        "devices_total": visible.count(),
        "devices_active": visible.filter(is_active=True, last_seen_at__gte=silent_since).count(),
        "devices_silent": visible.filter(is_active=True)
        .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=silent_since))
        .count(),
        "alarms_open": alarm_services.alarms_for(user).exclude(status=Alarm.Status.CLEARED).count(),
        "window_minutes": int(STATUS_WINDOW.total_seconds() // 60),
    }
    return render(request, "telemetry/status.html", context)
