"""Telemetry reads from the database: devices and their latest values, within the reader's scope.

A utility operator sees the devices of their district; city-wide roles see all; a resident
sees the meters of their own apartment. Readings over time are read from the telemetry table
by ``queries.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from gorod.errors import NotFound
from gorod.people.models import Role, Scope, User
from gorod.people.scope import official_for, restrict
from gorod.telemetry.models import DeadLetter, Device, DeviceState
from gorod.telemetry.queries import Selection

PROVISIONERS = frozenset({Role.DEVICE_INTEGRATOR, Role.CITY_ADMIN})


def devices_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Device]:
    """Devices ``user`` may see."""
    return restrict(
        Device.objects.select_related("device_type"),
        user,
        district="district",
        institution="institution",
        citizen="apartment__residents",
    ).distinct()


def device_get(*, device_id: str, user: AbstractBaseUser | AnonymousUser) -> Device:
    """The device, or NotFound if it does not exist or is outside ``user``'s scope."""
    device = devices_for(user).filter(id=device_id).first()
    if device is None:
        raise NotFound(f"No device {device_id[:140]}.", field="device_id")
    return device


def device_states(*, device: Device) -> QuerySet[DeviceState]:
    return DeviceState.objects.filter(device=device).order_by("metric")


def dead_letters_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[DeadLetter]:
    """Dead letters are operational data with no owner: officials with the permission see them."""
    if not isinstance(user, User) or not user.has_perm("telemetry.view_deadletter"):
        return DeadLetter.objects.none()
    return DeadLetter.objects.all()


def readings_selection(
    user: AbstractBaseUser | AnonymousUser,
    *,
    districts: Sequence[int] | None = None,
    buildings: Sequence[int] | None = None,
) -> Selection:
    """Which readings ``user`` may aggregate, narrowed to the districts and buildings asked
    for: the whole city for city-wide officials, their district for district officials,
    their own apartment's meters for residents, nothing for anyone else."""
    if not isinstance(user, User) or not user.is_active:
        return Selection(devices=[])
    official = official_for(user)
    if user.is_superuser or (official is not None and official.scope == Scope.CITY):
        return Selection(districts=districts, buildings=buildings)
    if official is not None and official.scope == Scope.DISTRICT and official.district_id:
        allowed = [official.district_id]
        if districts is not None:
            allowed = [d for d in districts if d == official.district_id]
        return Selection(districts=allowed, buildings=buildings)
    own = list(
        restrict(Device.objects.all(), user, citizen="apartment__residents").values_list(
            "id", flat=True
        )
    )
    return Selection(devices=own, districts=districts, buildings=buildings)


def broker_accounts() -> list[tuple[str, str, bool]]:
    """(device id, broker password hash, is a gateway) of every active device, by id."""
    return list(
        Device.objects.filter(is_active=True)
        .exclude(broker_hash="")
        .order_by("id")
        .values_list("id", "broker_hash", "is_gateway")
    )


def may_provision(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Device integrators and city administrators provision, deactivate and rotate secrets."""
    if isinstance(user, User) and user.is_active and user.is_superuser:
        return True
    official = official_for(user)
    return official is not None and official.role in PROVISIONERS
