"""What people, privacy and the ledger hold about a citizen, for "export all my data".

People's and the ledger's parts live here because the registry reads only
``gorod/<app>/exports.py`` modules and those apps predate it; the account is exported
without its password hash, API tokens without their hashes, audit events without the
commitment key the city keeps for its auditors.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessFailureLog, AccessLog

from gorod.ledger.models import AuditEvent
from gorod.people.models import Citizen, User
from gorod.privacy.export import register_exporter


def _sign_ins(user: User) -> dict[str, list[dict[str, Any]]]:
    usernames = [name for name in (user.email, user.phone) if name]
    fields = ("attempt_time", "ip_address", "user_agent", "path_info")
    return {
        "successful": list(
            AccessLog.objects.filter(username__in=usernames)
            .order_by("attempt_time")
            .values(*fields, "logout_time")
        ),
        "failed": list(
            AccessFailureLog.objects.filter(username__in=usernames)
            .order_by("attempt_time")
            .values(*fields, "locked_out")
        ),
    }


def account(citizen: Citizen) -> dict[str, Any]:
    user = citizen.user
    if user is None:
        return {"account": None}
    official = getattr(user, "official", None)
    return {
        "account": {
            "email": user.email,
            "phone": user.phone,
            "display_name": user.display_name,
            "is_active": user.is_active,
            "back_office_access": user.is_staff,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "official": None
        if official is None
        else {
            "role": official.role,
            "institution": str(official.institution) if official.institution else None,
            "district": str(official.district) if official.district else None,
            "position": official.position,
            "since": official.created_at,
        },
        "api_tokens": list(
            user.api_tokens.order_by("created_at").values(
                "name", "prefix", "created_at", "last_used_at", "revoked_at"
            )
        ),
        "sign_ins": _sign_ins(user),
    }


def profile(citizen: Citizen) -> dict[str, Any]:
    return {
        "id": citizen.pk,
        "last_name": citizen.last_name,
        "first_name": citizen.first_name,
        "patronymic": citizen.patronymic,
        "birth_date": citizen.birth_date,
        "snils": citizen.snils,
        "oms_policy": citizen.oms_policy,
        "contact_email": citizen.contact_email,
        "contact_phone": citizen.contact_phone,
        "notify_by_email": citizen.notify_by_email,
        "notify_by_sms": citizen.notify_by_sms,
        "created_at": citizen.created_at,
    }


def address(citizen: Citizen) -> dict[str, Any]:
    apartment = citizen.apartment
    if apartment is None:
        return {"address": None}
    building = apartment.building
    return {
        "address": {
            "building": building.address,
            "apartment": apartment.number,
            "floor": apartment.floor,
            "rooms": apartment.rooms,
            "area_m2": apartment.area_m2,
            "district": building.district.name,
            "okrug": building.district.okrug.name,
        }
    }


def _person(citizen: Citizen) -> dict[str, Any]:
    return {"id": citizen.pk, "name": citizen.full_name, "birth_date": citizen.birth_date}


def family(citizen: Citizen) -> dict[str, Any]:
    return {
        "children": [
            {**_person(link.child), "relation": link.kind}
            for link in citizen.wards.select_related("child").order_by("child__birth_date")
        ],
        "guardians": [
            {**_person(link.guardian), "relation": link.kind}
            for link in citizen.guardians.select_related("guardian").order_by("guardian__pk")
        ],
    }


def consents(citizen: Citizen) -> list[dict[str, Any]]:
    return [
        {
            "purpose": consent.purpose,
            "purpose_label": consent.text.purpose_label,
            "text_version": consent.text.version,
            "text_ru": consent.text.text_ru,
            "text_en": consent.text.text_en,
            "given_at": consent.given_at,
            "given_by": str(consent.given_by) if consent.given_by else None,
            "withdrawn_at": consent.withdrawn_at,
        }
        for consent in citizen.consents.select_related("text", "given_by").order_by("given_at")
    ]


def audit_events(citizen: Citizen) -> list[dict[str, Any]]:
    """Every recorded act on this person's data, with the log entry that proves it."""
    return [
        {
            "log_entry": event.log_entry_id,
            "time": event.created_at,
            "action": event.action,
            "actor": event.actor_name,
            "actor_role": event.actor_role,
            "actor_institution": event.actor_institution_name,
            "purpose": event.purpose,
            "detail": event.detail,
        }
        for event in AuditEvent.objects.filter(subject=citizen).order_by("created_at", "pk")
    ]


register_exporter("people.account", account)
register_exporter("people.profile", profile)
register_exporter("people.address", address)
register_exporter("people.family", family)
register_exporter("privacy.consents", consents)
register_exporter("ledger.audit_events", audit_events)
