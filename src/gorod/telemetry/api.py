"""``/api/v1/telemetry/``: HTTP bulk ingestion, the broker's authenticator, devices, queries.

Devices authenticate with their secret (``Authorization: Bearer <secret>``, or the headers
``X-Device-Id`` and ``X-Device-Secret``); people with their API token or session. Formats
and examples: docs/telemetry.md.

No ``from __future__ import annotations`` here: Ninja reads the annotations at run time.
"""

import datetime as dt
import io
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import APIKeyHeader, HttpBearer

from gorod.errors import ApplicationError, NotFound
from gorod.schemas import Pages
from gorod.telemetry import conf, ingest, queries, selectors, services
from gorod.telemetry.metrics import CUMULATIVE, METRICS
from gorod.telemetry.models import Device
from gorod.telemetry.mqtt import DEVICE_TOPIC, GATEWAY_TOPIC, SHARE_GROUP
from gorod.telemetry.secrets import secret_device_id, secret_hash, secret_matches

router = Router(tags=["telemetry"])

JSON = "application/json"
ARROW_STREAM = "application/vnd.apache.arrow.stream"
PARQUET = "application/vnd.apache.parquet"
REJECTIONS_SHOWN = 100


def device_for_secret(secret: str, device_id: str | None = None) -> Device | None:
    """The active device a secret belongs to, or None."""
    named = secret_device_id(secret)
    if not named or (device_id is not None and device_id != named):
        return None
    device = Device.objects.filter(id=named, is_active=True).first()
    if device is None or not secret_matches(secret, device.secret_hash):
        return None
    return device


class DeviceBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Device | None:
        return device_for_secret(token)


class DeviceHeaders(APIKeyHeader):
    param_name = "X-Device-Secret"

    def authenticate(self, request: HttpRequest, key: str | None) -> Device | None:
        device_id = request.headers.get("X-Device-Id")
        if not key or not device_id:
            return None
        return device_for_secret(key, device_id)


# --- HTTP bulk ingestion ----------------------------------------------------------------


class RejectionOut(Schema):
    reason: str
    message: str
    device_id: str
    count: int


class BulkOut(Schema):
    accepted: int = Field(description="readings stored")
    rejected: int = Field(description="readings refused (kept as dead letters)")
    duplicates: int = Field(description="readings sent twice within the request, stored once")
    rejections: list[RejectionOut] = Field(description=f"the first {REJECTIONS_SHOWN} groups")


def _body(request: HttpRequest) -> bytes:
    limit = conf.max_bulk_bytes()
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise ApplicationError(
            _("The body is larger than %(limit)d bytes.") % {"limit": limit},
            field="body",
            extra={"limit": limit},
        )
    body = request.read(limit + 1)
    if len(body) > limit:
        raise ApplicationError(
            _("The body is larger than %(limit)d bytes.") % {"limit": limit}, field="body"
        )
    return body


def _arrow(body: bytes, content_type: str) -> pa.Table:
    try:
        if content_type == PARQUET:
            return pq.read_table(io.BytesIO(body))
        with pa.ipc.open_stream(body) as reader:
            return reader.read_all()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ApplicationError(
            _("The body is not a readable %(format)s file: %(reason)s")
            % {"format": "Parquet" if content_type == PARQUET else "Arrow IPC", "reason": exc},
            field="body",
        ) from exc


def _parse_arrow(device: Device, data: pa.Table) -> ingest.Batch:
    if not device.is_gateway and "device_id" in data.column_names:
        column = data["device_id"]
        if column.null_count or not pc.all(pc.equal(column, device.id)).as_py():
            raise ApplicationError(_("A device may send only its own readings."), field="device_id")
    try:
        if device.is_gateway:
            return ingest.parse_table(data, gateway_id=device.id)
        return ingest.parse_table(data, device_id=device.id)
    except ValueError as exc:
        raise ApplicationError(
            _("The column %(column)s is missing or of the wrong type.") % {"column": exc},
            field=str(exc),
        ) from exc


def _parse_json(device: Device, body: bytes) -> ingest.Batch:
    if device.is_gateway:
        batch = ingest.parse_gateway_message(body, gateway_id=device.id, max_bytes=len(body))
    else:
        batch = ingest.parse_device_message(device.id, body, max_bytes=len(body))
    whole = {ingest.BAD_JSON, ingest.BAD_SHAPE}
    if (
        len(batch.rejections) == 1
        and not len(batch.readings)
        and batch.rejections[0].reason in (whole)
    ):
        raise ApplicationError(
            _("The body is not a telemetry message: %(reason)s")
            % {"reason": batch.rejections[0].message},
            field="body",
        )
    return batch


@router.post(
    "/bulk",
    auth=[DeviceBearer(), DeviceHeaders()],
    response=BulkOut,
    summary="Send readings (JSON, Arrow IPC stream or Parquet)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                JSON: {"schema": {"type": "object"}},
                ARROW_STREAM: {"schema": {"type": "string", "format": "binary"}},
                PARQUET: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def bulk(request: HttpRequest) -> BulkOut:
    """Store a device's (or a gateway's) readings; refused readings become dead letters."""
    device = getattr(request, "auth", None)
    assert isinstance(device, Device)  # noqa: S101 - the auth classes return devices only
    content_type = (request.content_type or "").lower()
    if content_type not in {JSON, ARROW_STREAM, PARQUET}:
        raise ApplicationError(
            _("Send %(formats)s.") % {"formats": ", ".join((JSON, ARROW_STREAM, PARQUET))},
            field="Content-Type",
        )
    body = _body(request)
    if content_type == JSON:
        batch = _parse_json(device, body)
    else:
        batch = _parse_arrow(device, _arrow(body, content_type))
    for rejection in batch.rejections:
        rejection.topic = f"http:{device.id}"
    result = ingest.store(batch, source="http")
    return BulkOut(
        accepted=result.accepted,
        rejected=result.rejected,
        duplicates=result.duplicates,
        rejections=[
            RejectionOut(reason=r.reason, message=r.message, device_id=r.device_id, count=r.count)
            for r in batch.rejections[:REJECTIONS_SHOWN]
        ],
    )


# --- the broker's HTTP authenticator (EMQX) ---------------------------------------------


class BrokerAuthIn(Schema):
    username: str = Field(max_length=200)
    password: str = Field(max_length=400)
    clientid: str = Field("", max_length=200)


class BrokerAclIn(Schema):
    username: str = Field(max_length=200)
    topic: str = Field(max_length=400)
    action: Literal["publish", "subscribe", "all"]


class BrokerVerdict(Schema):
    result: Literal["allow", "deny"]
    is_superuser: bool = False


def _is_ingest(username: str, password: str | None = None) -> bool:
    expected = conf.ingest_password()
    if username != conf.ingest_user() or not expected:
        return False
    return password is None or secret_matches(password, secret_hash(expected))


def _verdict(allowed: bool) -> BrokerVerdict:
    return BrokerVerdict(result="allow" if allowed else "deny")


@router.post("/broker/auth", auth=None, response=BrokerVerdict)
def broker_auth(request: HttpRequest, payload: BrokerAuthIn) -> BrokerVerdict:
    """EMQX's HTTP authenticator: a device connects with its id and secret."""
    if _is_ingest(payload.username, payload.password):
        return _verdict(True)
    return _verdict(device_for_secret(payload.password, payload.username) is not None)


def _unshared(topic: str) -> str:
    prefix = f"$share/{SHARE_GROUP}/"
    return topic[len(prefix) :] if topic.startswith(prefix) else topic


@router.post("/broker/acl", auth=None, response=BrokerVerdict)
def broker_acl(request: HttpRequest, payload: BrokerAclIn) -> BrokerVerdict:
    """EMQX's HTTP authorizer: a device publishes to its own topic only; ingest subscribes."""
    if _is_ingest(payload.username):
        filters = {DEVICE_TOPIC.format(device_id="+"), GATEWAY_TOPIC.format(gateway_id="+")}
        return _verdict(payload.action == "subscribe" and _unshared(payload.topic) in filters)
    if payload.action != "publish":
        return _verdict(False)
    device = Device.objects.filter(id=payload.username, is_active=True).first()
    if device is None:
        return _verdict(False)
    own = (GATEWAY_TOPIC.format(gateway_id=device.id) if device.is_gateway else "") or (
        DEVICE_TOPIC.format(device_id=device.id)
    )
    return _verdict(payload.topic == own)


# --- devices ----------------------------------------------------------------------------


class DeviceIn(Schema):
    device_id: str = Field(min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=64)
    apartment_id: int | None = Field(None, ge=1, le=2**63 - 1)
    building_id: int | None = Field(None, ge=1, le=2**63 - 1)
    institution_id: int | None = Field(None, ge=1, le=2**63 - 1)
    gateway_id: str | None = Field(None, max_length=128)
    is_gateway: bool = False


class ProvisionIn(Schema):
    items: list[DeviceIn] = Field(min_length=1, max_length=10_000)


class DeviceOut(Schema):
    id: str
    type: str = Field(alias="device_type.code")
    apartment_id: int | None
    building_id: int | None
    institution_id: int | None
    district_id: int
    gateway_id: str | None
    is_gateway: bool
    is_active: bool
    last_seen_at: str | None

    @staticmethod
    def resolve_last_seen_at(obj: Device) -> str | None:
        return obj.last_seen_at.isoformat() if obj.last_seen_at else None


class ProvisionedOut(Schema):
    device_id: str
    secret: str = Field(description="shown once; the platform keeps only its hashes")


class StateOut(Schema):
    metric: str
    ts: str
    value: float


def _provisioner(request: HttpRequest) -> None:
    if not selectors.may_provision(request.user):
        raise PermissionDenied(_("Only device integrators and city administrators do this."))


def _provisioner_device(request: HttpRequest, device_id: str) -> Device:
    _provisioner(request)
    device = Device.objects.filter(id=device_id).first()
    if device is None:
        raise NotFound(_("No device %(id)s.") % {"id": device_id[:140]}, field="device_id")
    return device


@router.get("/devices", response=list[DeviceOut])
@paginate(Pages)
def devices_list(request: HttpRequest, search: str = "") -> QuerySet[Device]:
    """Devices within your scope (``search`` matches the start of the id)."""
    found = selectors.devices_for(request.user)
    if search:
        found = found.filter(id__startswith=search[:128])
    return found.order_by("id")


@router.post("/devices", response={201: list[ProvisionedOut]})
def devices_provision(request: HttpRequest, payload: ProvisionIn) -> Status[list[ProvisionedOut]]:
    """Provision devices (all or none); each secret is in this reply and nowhere else."""
    _provisioner(request)
    made = services.devices_provision(
        specs=[
            services.DeviceSpec(
                device_id=item.device_id,
                device_type=item.type,
                apartment_id=item.apartment_id,
                building_id=item.building_id,
                institution_id=item.institution_id,
                gateway_id=item.gateway_id,
                is_gateway=item.is_gateway,
            )
            for item in payload.items
        ]
    )
    return Status(201, [ProvisionedOut(device_id=p.device.id, secret=p.secret) for p in made])


@router.get("/devices/{device_id}", response=DeviceOut)
def device_detail(request: HttpRequest, device_id: str) -> Device:
    return selectors.device_get(device_id=device_id, user=request.user)


@router.get("/devices/{device_id}/latest", response=list[StateOut])
def device_latest(request: HttpRequest, device_id: str) -> list[StateOut]:
    """The latest value of each of the device's metrics."""
    device = selectors.device_get(device_id=device_id, user=request.user)
    return [
        StateOut(metric=s.metric, ts=s.ts.isoformat(), value=s.value)
        for s in selectors.device_states(device=device)
    ]


@router.post("/devices/{device_id}/deactivate", response=DeviceOut)
def device_deactivate(request: HttpRequest, device_id: str) -> Device:
    return services.device_deactivate(device=_provisioner_device(request, device_id))


@router.post("/devices/{device_id}/activate", response=DeviceOut)
def device_activate(request: HttpRequest, device_id: str) -> Device:
    return services.device_activate(device=_provisioner_device(request, device_id))


@router.post("/devices/{device_id}/rotate-secret", response=ProvisionedOut)
def device_secret_rotate(request: HttpRequest, device_id: str) -> ProvisionedOut:
    """A new secret; the old one stops working."""
    device = _provisioner_device(request, device_id)
    return ProvisionedOut(device_id=device.id, secret=services.device_secret_rotate(device=device))


# --- queries ----------------------------------------------------------------------------

JSON_ROWS = 50_000
_EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": PARQUET}


class RowsOut(Schema):
    columns: list[str]
    rows: list[dict[str, object]]
    truncated: bool = Field(description=f"more than {JSON_ROWS} rows: ask for csv or parquet")


def _period(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(conf.time_zone())
    start, end = (m if m.tzinfo else m.replace(tzinfo=zone) for m in (start, end))
    if end <= start:
        raise ApplicationError(_("The end must be after the start."), field="end")
    return start, end


def _metric(metric: str, *, cumulative: bool = False) -> str:
    if metric not in METRICS:
        raise ApplicationError(_("Unknown metric %(m)s.") % {"m": metric[:64]}, field="metric")
    if cumulative and metric not in CUMULATIVE:
        raise ApplicationError(
            _("Consumption is of meter registers (%(names)s).")
            % {"names": ", ".join(sorted(CUMULATIVE))},
            field="metric",
        )
    return metric


def _rows(data: pa.Table, fmt: queries.Format, name: str) -> RowsOut | HttpResponse:
    if fmt != "json":
        response = HttpResponse(queries.export(data, fmt), content_type=_EXPORT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
    rows = [
        {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}
        for row in data.slice(0, JSON_ROWS).to_pylist()
    ]
    return RowsOut(columns=data.column_names, rows=rows, truncated=len(data) > JSON_ROWS)


class PeriodQuery(Schema):
    metric: str = Field(max_length=64)
    start: dt.datetime = Field(description="ISO time; without a zone, the city's")
    end: dt.datetime = Field(description="exclusive")
    format: queries.Format = "json"


class HistoryQuery(PeriodQuery):
    bucket: queries.Bucket = "raw"


class CityQuery(PeriodQuery):
    bucket: Literal["hour", "day", "month"] = "month"
    level: queries.Level = "district"
    district: list[int] | None = None
    building: list[int] | None = None


@router.get("/devices/{device_id}/history", response=RowsOut)
def device_history(
    request: HttpRequest, device_id: str, params: Query[HistoryQuery]
) -> RowsOut | HttpResponse:
    """A device's readings: raw, or per hour, day or month (``format=csv|parquet`` to export)."""
    device = selectors.device_get(device_id=device_id, user=request.user)
    start, end = _period(params.start, params.end)
    data = queries.history(
        device_id=device.id,
        metric=_metric(params.metric),
        start=start,
        end=end,
        bucket=params.bucket,
    )
    return _rows(data, params.format, f"{device.id}-{params.metric}")


def _city(
    request: HttpRequest, params: CityQuery, query: Any, name: str, *, cumulative: bool = False
) -> RowsOut | HttpResponse:
    start, end = _period(params.start, params.end)
    data = query(
        metric=_metric(params.metric, cumulative=cumulative),
        start=start,
        end=end,
        bucket=params.bucket,
        level=params.level,
        selection=selectors.readings_selection(
            request.user, districts=params.district, buildings=params.building
        ),
    )
    return _rows(data, params.format, f"{name}-{params.metric}")


@router.get("/consumption", response=RowsOut)
def consumption(request: HttpRequest, params: Query[CityQuery]) -> RowsOut | HttpResponse:
    """Consumption of a meter register per device, building, district or the city, within
    your scope: the total, the devices counted, median and 90th percentile per device."""
    return _city(request, params, queries.consumption, "consumption", cumulative=True)


@router.get("/statistics", response=RowsOut)
def statistics(request: HttpRequest, params: Query[CityQuery]) -> RowsOut | HttpResponse:
    """Count, sum, mean, min, max and percentiles of a metric's values per bucket (default
    month), within your scope; from raw readings, so within their retention."""
    return _city(request, params, queries.aggregate, "statistics")


# --- rules and alarms (T3) ---

from gorod.people.models import User  # noqa: E402 - this section's own imports
from gorod.telemetry import alarms  # noqa: E402
from gorod.telemetry.models import Alarm, Rule  # noqa: E402

# Alarms for officials with the permission, within their scope (another district's is a 404).

AlarmFilter = Literal["open", "active", "acknowledged", "cleared", "all"]


class RuleOut(Schema):
    id: int
    name: str
    kind: str
    metric: str
    params: dict[str, object]
    device_type: str | None = Field(None, alias="device_type.code")
    district_id: int | None
    severity: str
    is_active: bool


class AlarmOut(Schema):
    id: int
    rule: RuleOut
    device_id: str
    status: str
    raised_at: str
    reason: str = Field(description="reason code (rules.Reason)")
    reason_text: str = Field(description="the reason in the request's language")
    evidence: dict[str, object]
    acknowledged_at: str | None
    cleared_at: str | None
    clear_reason: str
    note: str

    @staticmethod
    def resolve_raised_at(obj: Alarm) -> str:
        return obj.raised_at.isoformat()

    @staticmethod
    def resolve_reason_text(obj: Alarm) -> str:
        return alarms.reason_text(obj.reason, obj.evidence or {})

    @staticmethod
    def resolve_acknowledged_at(obj: Alarm) -> str | None:
        return obj.acknowledged_at.isoformat() if obj.acknowledged_at else None

    @staticmethod
    def resolve_cleared_at(obj: Alarm) -> str | None:
        return obj.cleared_at.isoformat() if obj.cleared_at else None


class ClearIn(Schema):
    note: str = Field("", max_length=500)


def _alarm_reader(request: HttpRequest, permission: str = "telemetry.view_alarm") -> User:
    user = request.user
    if not isinstance(user, User) or not user.has_perm(permission):
        raise PermissionDenied(_("Alarms are for the city's utility operators."))
    return user


@router.get("/alarms", response=list[AlarmOut])
@paginate(Pages)
def alarm_list(
    request: HttpRequest, status: AlarmFilter = "open", device_id: str | None = None
) -> QuerySet[Alarm]:
    """Alarms in scope, newest first; ``open`` (the default) is active or acknowledged."""
    found = alarms.alarms_for(_alarm_reader(request)).select_related("rule__device_type")
    if status == "open":
        found = found.exclude(status=Alarm.Status.CLEARED)
    elif status != "all":
        found = found.filter(status=status)
    if device_id is not None:
        found = found.filter(device_id=device_id)
    return found


@router.get("/alarms/{alarm_id}", response=AlarmOut)
def alarm_detail(request: HttpRequest, alarm_id: int) -> Alarm:
    return alarms.alarm_get(alarm_id=alarm_id, user=_alarm_reader(request))


@router.post("/alarms/{alarm_id}/acknowledge", response=AlarmOut)
def alarm_acknowledge(request: HttpRequest, alarm_id: int) -> Alarm:
    """An active alarm becomes acknowledged; any other is a 409."""
    user = _alarm_reader(request, "telemetry.change_alarm")
    return alarms.alarm_acknowledge(alarm=alarms.alarm_get(alarm_id=alarm_id, user=user), user=user)


@router.post("/alarms/{alarm_id}/clear", response=AlarmOut)
def alarm_clear(request: HttpRequest, alarm_id: int, payload: ClearIn) -> Alarm:
    """An open alarm becomes cleared, with an optional note (body ``{}`` for none); a
    cleared one is a 409."""
    user = _alarm_reader(request, "telemetry.change_alarm")
    found = alarms.alarm_get(alarm_id=alarm_id, user=user)
    return alarms.alarm_clear(alarm=found, user=user, note=payload.note)


@router.get("/rules", response=list[RuleOut])
def rule_list(request: HttpRequest) -> QuerySet[Rule]:
    """The alarm rules, active ones first."""
    _alarm_reader(request, "telemetry.view_rule")
    return Rule.objects.select_related("device_type").order_by("-is_active", "name")
