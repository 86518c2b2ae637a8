"""Every change to accounts, citizens, children, officials and API tokens.

Each function checks its input, raises ``ApplicationError`` naming the field at fault and
changes nothing when it refuses, and runs in one transaction. The log records what
happened to which row id, never the personal data itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people import validators as check
from gorod.people.models import (
    ROLE_SCOPE,
    ApiToken,
    Citizen,
    Guardianship,
    Official,
    Role,
    Scope,
    User,
)
from gorod.people.roles import role_group
from gorod.people.scope import citizens_acted_for, is_city_admin
from gorod.places.models import Apartment, District, Institution

logger = logging.getLogger(__name__)

MAX_ACTIVE_TOKENS = 20
_UNIQUE_FIELD_MESSAGES: dict[str, Callable[[], str]] = {
    "email": lambda: _("An account with this e-mail address already exists."),
    "phone": lambda: _("An account with this phone number already exists."),
    "snils": lambda: _("A citizen with this SNILS is already registered."),
    "guardian": lambda: _("This person is already a guardian of the child."),
}


def _log_on_commit(event: str, **ids: int) -> None:
    transaction.on_commit(lambda: logger.info(event, extra=ids))


def _ensure_free(field: str, taken: bool) -> None:
    if taken:
        raise Conflict(_UNIQUE_FIELD_MESSAGES[field](), field=field)


@contextmanager
def _unique_race(field: str) -> Iterator[None]:
    """A concurrent insert that wins the unique index is reported like the check above."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise Conflict(_UNIQUE_FIELD_MESSAGES[field](), field=field) from exc


def _snils_free(value: str, *, except_citizen: Citizen | None = None) -> None:
    others = Citizen.objects.filter(snils=value)
    if except_citizen is not None:
        others = others.exclude(pk=except_citizen.pk)
    _ensure_free("snils", others.exists())


@transaction.atomic
def citizen_register(
    *,
    password: str,
    last_name: str,
    first_name: str,
    birth_date: dt.date,
    snils: str,
    email: str = "",
    phone: str = "",
    patronymic: str = "",
    oms_policy: str = "",
) -> Citizen:
    """A new account and the citizen behind it; sign-in by e-mail or by phone."""
    email = check.clean_email(email, required=False)
    phone = check.clean_phone(phone, required=False)
    if not email and not phone:
        raise ApplicationError(_("Give an e-mail address or a phone number."), field="email")
    last_name = check.clean_name(last_name, field="last_name")
    first_name = check.clean_name(first_name, field="first_name")
    patronymic = check.clean_name(patronymic, field="patronymic", required=False)
    check.clean_birth_date(birth_date, min_age=check.ACCOUNT_MIN_AGE)
    snils = check.clean_snils(snils)
    oms_policy = check.clean_oms_policy(oms_policy)
    display_name = f"{first_name} {last_name}"
    user = User(email=email or None, phone=phone or None, display_name=display_name)
    check.clean_password(password, user=user)
    _ensure_free("email", bool(email) and User.objects.filter(email__iexact=email).exists())
    _ensure_free("phone", bool(phone) and User.objects.filter(phone=phone).exists())
    _snils_free(snils)

    user.set_password(password)
    with _unique_race("email" if email else "phone"):
        user.save()
    citizen = Citizen(
        user=user,
        last_name=last_name,
        first_name=first_name,
        patronymic=patronymic,
        birth_date=birth_date,
        snils=snils,
        oms_policy=oms_policy,
        contact_email=email,
        contact_phone=phone,
        notify_by_email=bool(email),
        notify_by_sms=bool(phone) and not email,
    )
    with _unique_race("snils"):
        citizen.save()
    _log_on_commit("citizen registered", citizen_id=citizen.pk, user_id=user.pk)
    return citizen


@transaction.atomic
def citizen_update_profile(
    *,
    citizen: Citizen,
    last_name: str | None = None,
    first_name: str | None = None,
    patronymic: str | None = None,
    birth_date: dt.date | None = None,
    snils: str | None = None,
    oms_policy: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    notify_by_email: bool | None = None,
    notify_by_sms: bool | None = None,
) -> Citizen:
    """Change the fields given (None leaves a field as it is)."""
    citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
    if last_name is not None:
        citizen.last_name = check.clean_name(last_name, field="last_name")
    if first_name is not None:
        citizen.first_name = check.clean_name(first_name, field="first_name")
    if patronymic is not None:
        citizen.patronymic = check.clean_name(patronymic, field="patronymic", required=False)
    if birth_date is not None:
        min_age = check.ACCOUNT_MIN_AGE if citizen.user_id else 0
        citizen.birth_date = check.clean_birth_date(birth_date, min_age=min_age)
    if snils is not None:
        citizen.snils = check.clean_snils(snils)
        _snils_free(citizen.snils, except_citizen=citizen)
    if oms_policy is not None:
        citizen.oms_policy = check.clean_oms_policy(oms_policy)
    if contact_email is not None:
        citizen.contact_email = check.clean_email(
            contact_email, field="contact_email", required=False
        )
    if contact_phone is not None:
        citizen.contact_phone = check.clean_phone(
            contact_phone, field="contact_phone", required=False
        )
    if notify_by_email is not None:
        citizen.notify_by_email = notify_by_email
    if notify_by_sms is not None:
        citizen.notify_by_sms = notify_by_sms
    if citizen.notify_by_email and not citizen.contact_email:
        raise ApplicationError(
            _("Give a contact e-mail address to be notified by e-mail."), field="contact_email"
        )
    if citizen.notify_by_sms and not citizen.contact_phone:
        raise ApplicationError(
            _("Give a contact phone number to be notified by SMS."), field="contact_phone"
        )
    with _unique_race("snils"):
        citizen.save()
    _log_on_commit("citizen profile updated", citizen_id=citizen.pk)
    return citizen


@transaction.atomic
def citizen_set_address(*, citizen: Citizen, apartment: Apartment | None) -> Citizen:
    """Where the citizen lives; their children without an address of their own follow."""
    children_at_home = Citizen.objects.filter(guardians__guardian=citizen, user__isnull=True)
    if citizen.apartment_id is None:
        children_at_home = children_at_home.filter(apartment__isnull=True)
    else:
        children_at_home = children_at_home.filter(apartment=citizen.apartment_id)
    Citizen.objects.filter(pk__in=list(children_at_home.values_list("pk", flat=True))).update(
        apartment=apartment
    )
    citizen.apartment = apartment
    citizen.save(update_fields=["apartment"])
    _log_on_commit("citizen address set", citizen_id=citizen.pk)
    return citizen


@transaction.atomic
def child_add(
    *,
    guardian: Citizen,
    last_name: str,
    first_name: str,
    birth_date: dt.date,
    snils: str,
    patronymic: str = "",
    kind: str = Guardianship.Kind.PARENT,
) -> Citizen:
    """A child under 18 without an account, living with the guardian who adds them."""
    if check.age_on(guardian.birth_date, check.today()) < check.ADULT_AGE:
        raise ApplicationError(_("Only an adult can add a child."))
    if kind not in Guardianship.Kind.values:
        raise ApplicationError(_("Choose parent or guardian."), field="kind")
    child = Citizen(
        last_name=check.clean_name(last_name, field="last_name"),
        first_name=check.clean_name(first_name, field="first_name"),
        patronymic=check.clean_name(patronymic, field="patronymic", required=False),
        birth_date=check.clean_birth_date(birth_date, max_age=check.ADULT_AGE),
        snils=check.clean_snils(snils),
        apartment=guardian.apartment,
        notify_by_email=False,
    )
    _snils_free(child.snils)
    with _unique_race("snils"):
        child.save()
    Guardianship.objects.create(guardian=guardian, child=child, kind=kind)
    _log_on_commit("child added", citizen_id=child.pk, guardian_id=guardian.pk)
    return child


@transaction.atomic
def guardianship_add(
    *,
    added_by: User,
    child: Citizen,
    guardian: Citizen,
    kind: str = Guardianship.Kind.PARENT,
) -> Guardianship:
    """A second guardian for a child: by one of the child's guardians or a city administrator."""
    acting_guardian = Guardianship.objects.filter(child=child, guardian__user=added_by).exists()
    if not (acting_guardian or is_city_admin(added_by)):
        raise PermissionDenied(_("Only a guardian of this child can add another guardian."))
    if kind not in Guardianship.Kind.values:
        raise ApplicationError(_("Choose parent or guardian."), field="kind")
    if guardian.pk == child.pk:
        raise ApplicationError(_("A child cannot be their own guardian."), field="guardian")
    if check.age_on(guardian.birth_date, check.today()) < check.ADULT_AGE:
        raise ApplicationError(_("A guardian must be an adult."), field="guardian")
    if check.age_on(child.birth_date, check.today()) >= check.ADULT_AGE:
        raise ApplicationError(_("Only a child under 18 can have a guardian here."), field="child")
    _ensure_free("guardian", Guardianship.objects.filter(child=child, guardian=guardian).exists())
    with _unique_race("guardian"):
        link = Guardianship.objects.create(guardian=guardian, child=child, kind=kind)
    _log_on_commit("guardianship added", guardianship_id=link.pk)
    return link


def official_scope_check(
    role: str, institution: Institution | None, district: District | None
) -> None:
    """The scope a role works in (``ROLE_SCOPE``) must be the one given, and only it."""
    if role not in Role.values:
        raise ApplicationError(_("Choose one of the roles."), field="role")
    label = {"role": Role(role).label}
    scope = ROLE_SCOPE[role]
    if scope == Scope.INSTITUTION:
        if institution is None:
            raise ApplicationError(
                _("The role “%(role)s” works in one institution: choose it.") % label,
                field="institution",
            )
        if district is not None:
            raise ApplicationError(
                _("The role “%(role)s” works in one institution: leave the district empty.")
                % label,
                field="district",
            )
    elif scope == Scope.DISTRICT:
        if district is None:
            raise ApplicationError(
                _("The role “%(role)s” works in one district: choose it.") % label,
                field="district",
            )
        if institution is not None:
            raise ApplicationError(
                _("The role “%(role)s” works in one district: leave the institution empty.")
                % label,
                field="institution",
            )
    elif institution is not None or district is not None:
        raise ApplicationError(
            _(
                "The role “%(role)s” works for the whole city: "
                "leave the institution and the district empty."
            )
            % label,
            field="institution" if institution is not None else "district",
        )


def _require_city_admin(user: User) -> None:
    if not is_city_admin(user):
        raise PermissionDenied(_("Only a city administrator can manage officials."))


@transaction.atomic
def official_create(
    *,
    created_by: User,
    email: str,
    password: str,
    display_name: str,
    role: str,
    institution: Institution | None = None,
    district: District | None = None,
    position: str = "",
) -> Official:
    """An official's account with back-office access, in the group of their role."""
    _require_city_admin(created_by)
    email = check.clean_email(email)
    display_name = check.clean_text(display_name, field="display_name", max_length=200)
    position = check.clean_text(position, field="position", max_length=200, required=False)
    official_scope_check(role, institution, district)
    user = User(email=email, display_name=display_name, is_staff=True)
    check.clean_password(password, user=user)
    _ensure_free("email", User.objects.filter(email__iexact=email).exists())
    user.set_password(password)
    with _unique_race("email"):
        user.save()
    user.groups.add(role_group(role))
    official = Official.objects.create(
        user=user, role=role, institution=institution, district=district, position=position
    )
    _log_on_commit("official created", official_id=official.pk, created_by=created_by.pk)
    return official


@transaction.atomic
def official_update(
    *,
    changed_by: User,
    official: Official,
    role: str,
    institution: Institution | None = None,
    district: District | None = None,
    position: str = "",
) -> Official:
    """A new role or scope: the account moves to the new role's group."""
    _require_city_admin(changed_by)
    official_scope_check(role, institution, district)
    position = check.clean_text(position, field="position", max_length=200, required=False)
    previous_role = Official.objects.values_list("role", flat=True).get(pk=official.pk)
    official.role = role
    official.institution = institution
    official.district = district
    official.position = position
    official.save()
    if previous_role != role:
        official.user.groups.remove(role_group(previous_role))
        official.user.groups.add(role_group(role))
    _log_on_commit("official updated", official_id=official.pk, changed_by=changed_by.pk)
    return official


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new bearer token; the raw key is returned here once and never stored."""
    name = check.clean_text(name, field="name", max_length=100)
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ApplicationError(
            _("You already have %(limit)d active tokens: revoke one first.")
            % {"limit": MAX_ACTIVE_TOKENS},
            field="name",
        )
    raw_key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=ApiToken.hash_key(raw_key), prefix=raw_key[:8]
    )
    _log_on_commit("api token created", token_id=token.pk, user_id=user.pk)
    return token, raw_key


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (a superuser may revoke any)."""
    tokens = ApiToken.objects.select_for_update()
    if not user.is_superuser:
        tokens = tokens.filter(user=user)
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise NotFound(_("There is no such token."), field="id")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _log_on_commit("api token revoked", token_id=token.pk, user_id=user.pk)
    return token


@transaction.atomic
def citizen_record_read(*, actor: User, citizen: Citizen, purpose: str, channel: str) -> None:
    """An official opened a resident's record: an audit event the resident sees.

    A resident reading their own record, or a guardian their child's, is not an official
    access and leaves no event.
    """
    from gorod.ledger.services import record

    if citizens_acted_for(actor).filter(pk=citizen.pk).exists():
        return
    record(
        actor=actor,
        action="people.record.read",
        subject=citizen,
        purpose=purpose,
        detail={"channel": channel},
    )
