"""People in the API: registration, the signed-in account (``/me``), children, tokens.

Thin: schemas in and out, the work done by ``services`` and ``selectors``. Reads and writes
by session need the CSRF token for unsafe methods; a bearer token needs none.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import HttpBasicAuth
from pydantic import StrictBool

from gorod.errors import NotFound
from gorod.people import selectors, services
from gorod.people.auth import SessionAuth, TokenAuth, request_user
from gorod.people.models import ApiToken, Citizen, Official, User
from gorod.people.scope import official_for
from gorod.people.snils import format_snils
from gorod.schemas import ErrorOut

router = Router(tags=["people"])


class PlaceRef(Schema):
    id: int
    name: str


class AccountOut(Schema):
    id: int
    email: str | None
    phone: str | None
    display_name: str
    is_staff: bool


class AddressOut(Schema):
    apartment_id: int
    text: str
    district: PlaceRef


class CitizenOut(Schema):
    id: int
    last_name: str
    first_name: str
    patronymic: str
    full_name: str
    birth_date: dt.date
    snils: str
    oms_policy: str
    address: AddressOut | None
    contact_email: str
    contact_phone: str
    notify_by_email: bool
    notify_by_sms: bool

    @staticmethod
    def resolve_snils(citizen: Citizen) -> str:
        return format_snils(citizen.snils)

    @staticmethod
    def resolve_address(citizen: Citizen) -> AddressOut | None:
        apartment = citizen.apartment
        if apartment is None:
            return None
        district = apartment.building.district
        return AddressOut(
            apartment_id=apartment.pk,
            text=str(apartment),
            district=PlaceRef(id=district.pk, name=district.name),
        )


class GuardianOut(Schema):
    id: int
    guardian_id: int
    guardian_name: str
    kind: str


class CitizenDetailOut(CitizenOut):
    guardians: list[GuardianOut]

    @staticmethod
    def resolve_guardians(citizen: Citizen) -> list[GuardianOut]:
        return [
            GuardianOut(
                id=link.pk,
                guardian_id=link.guardian_id,
                guardian_name=str(link.guardian),
                kind=link.kind,
            )
            for link in selectors.guardianships_of(citizen)
        ]


class OfficialOut(Schema):
    role: str
    role_label: str
    scope: str
    institution: PlaceRef | None
    district: PlaceRef | None
    position: str

    @staticmethod
    def resolve_role_label(official: Official) -> str:
        return str(official.get_role_display())


class MeOut(Schema):
    account: AccountOut
    citizen: CitizenOut | None
    official: OfficialOut | None


class ContactsIn(Schema):
    contact_email: str | None = None
    contact_phone: str | None = None
    notify_by_email: StrictBool | None = None
    notify_by_sms: StrictBool | None = None


class ChildIn(Schema):
    last_name: str
    first_name: str
    patronymic: str = ""
    birth_date: dt.date
    snils: str
    kind: Literal["parent", "guardian"] = "parent"


class RegistrationIn(Schema):
    email: str = ""
    phone: str = ""
    password: str
    last_name: str
    first_name: str
    patronymic: str = ""
    birth_date: dt.date
    snils: str
    oms_policy: str = ""


class TokenIn(Schema):
    name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    key: str


class PasswordAuth(HttpBasicAuth):
    """E-mail or phone and password, only to obtain a token; lock-out applies as on the page."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> User | None:
        user = authenticate(request, username=username, password=password)
        return user if isinstance(user, User) else None


def _own_citizen(request: HttpRequest) -> Citizen:
    citizen = selectors.citizen_for_user(request_user(request))
    if citizen is None:
        raise NotFound(_("This account has no citizen profile."))
    return citizen


def _me(user: User) -> dict[str, object]:
    """The account, and the citizen and official behind it; the schema picks the fields."""
    return {
        "account": user,
        "citizen": selectors.citizen_for_user(user),
        "official": official_for(user),
    }


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The signed-in account")
def me(request: HttpRequest) -> dict[str, object]:
    return _me(request_user(request))


@router.patch(
    "/me",
    response={200: MeOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change contact channels",
)
def me_update(request: HttpRequest, payload: ContactsIn) -> dict[str, object]:
    services.citizen_update_profile(citizen=_own_citizen(request), **payload.dict())
    return _me(request_user(request))


@router.get(
    "/me/children",
    response={200: list[CitizenOut], 401: ErrorOut, 404: ErrorOut},
    summary="My children",
)
def my_children(request: HttpRequest) -> QuerySet[Citizen]:
    return selectors.children_for(_own_citizen(request))


@router.post(
    "/me/children",
    response={
        201: CitizenOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
    summary="Add a child",
)
def my_children_add(request: HttpRequest, payload: ChildIn) -> Status[Citizen]:
    return Status(201, services.child_add(guardian=_own_citizen(request), **payload.dict()))


@router.get(
    "/citizens/{citizen_id}",
    response={200: CitizenDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="A citizen I may see",
)
def citizen_detail(request: HttpRequest, citizen_id: int) -> Citizen:
    return selectors.citizen_get_for(request_user(request), citizen_id)


@router.post(
    "/citizens",
    auth=None,
    response={201: CitizenOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Register as a citizen",
)
def citizen_register(request: HttpRequest, payload: RegistrationIn) -> Status[Citizen]:
    return Status(201, services.citizen_register(**payload.dict()))


@router.get("/auth/tokens", response={200: list[TokenOut], 401: ErrorOut}, summary="My API tokens")
def tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    return selectors.api_tokens_of(request_user(request))


@router.post(
    "/auth/tokens",
    auth=[TokenAuth(), SessionAuth(), PasswordAuth()],
    response={201: TokenCreatedOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Create an API token (the key is shown once)",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    token, key = services.api_token_create(user=request_user(request), name=payload.name)
    return Status(201, TokenCreatedOut(**TokenOut.from_orm(token).dict(), key=key))


@router.delete(
    "/auth/tokens/{token_id}",
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Revoke an API token",
)
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    services.api_token_revoke(user=request_user(request), token_id=token_id)
    return Status(204, None)
