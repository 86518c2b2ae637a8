"""The public home page, the citizen cabinet and "my home"."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gorod.people.models import Citizen, User
from gorod.people.scope import official_for
from gorod.people.selectors import citizen_for_user
from gorod.portal.models import Notification
from gorod.portal.notifications import notifications_mark_read
from gorod.portal.selectors import children_ages
from gorod.portal.tiles import tiles_for


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"tiles": tiles_for("public")})


def _without_citizen(request: HttpRequest) -> HttpResponse:
    """Officials and administrators have no cabinet: show their role, scope and desk."""
    official = official_for(request.user)
    role = "*" if request.user.is_superuser else (official.role if official else None)
    tiles = tiles_for("official", role=role) if role else []
    return render(request, "portal/no_citizen.html", {"official": official, "tiles": tiles})


@login_required
def cabinet(request: HttpRequest) -> HttpResponse:
    citizen = citizen_for_user(request.user)
    if citizen is None:
        return _without_citizen(request)
    context = {
        "citizen": citizen,
        "children": children_ages(citizen=citizen),
        "tiles": tiles_for("citizen"),
    }
    return render(request, "portal/cabinet.html", context)


def _map_data(citizen: Citizen) -> dict[str, Any] | None:
    if citizen.apartment is None:
        return None
    building = citizen.apartment.building
    return {
        "boundary": building.district.boundary,
        "building": {"lat": building.lat, "lon": building.lon, "address": building.address},
    }


@login_required
def my_home(request: HttpRequest) -> HttpResponse:
    citizen = citizen_for_user(request.user)
    if citizen is None:
        return _without_citizen(request)
    context = {"citizen": citizen, "apartment": citizen.apartment, "map": _map_data(citizen)}
    return render(request, "portal/my_home.html", context)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.filter(user=cast(User, request.user))
    page = Paginator(mine, 20).get_page(request.GET.get("page"))
    return render(request, "portal/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (``id``) or, without it, all of them."""
    raw = request.POST.get("id")
    ids = [int(raw)] if raw and raw.isdigit() else None
    notifications_mark_read(user=cast(User, request.user), ids=ids)
    return redirect("portal:notifications")
