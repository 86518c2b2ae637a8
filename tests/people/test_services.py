"""People services: each rule, each refusal naming its field and changing nothing."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people import services
from gorod.people.models import ApiToken, Citizen, Guardianship, Official, Role, User
from gorod.people.roles import role_group_name
from tests.people.factories import (
    PASSWORD,
    CitizenFactory,
    OfficialFactory,
    UserFactory,
    account,
    child_of,
    city_official,
    token_for,
)
from tests.places.factories import ApartmentFactory, DistrictFactory, InstitutionFactory

pytestmark = pytest.mark.django_db

VALID_SNILS = "112-233-445 95"


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return dt.date(today.year - years, today.month, min(today.day, 28)) - dt.timedelta(days=days)


def register(**overrides: Any) -> Citizen:
    data: dict[str, Any] = {
        "email": "Anna@Example.TEST",
        "password": PASSWORD,
        "last_name": "Смирнова",
        "first_name": "Анна",
        "patronymic": "Викторовна",
        "birth_date": dt.date(1990, 4, 12),
        "snils": VALID_SNILS,
    }
    data.update(overrides)
    return services.citizen_register(**data)


def test_registration_creates_the_account_and_the_citizen() -> None:
    citizen = register(oms_policy="1234 5678 9012 3456")
    assert account(citizen) is not None
    assert account(citizen).email == "Anna@example.test"
    assert account(citizen).check_password(PASSWORD)
    assert (citizen.snils, citizen.oms_policy) == ("11223344595", "1234567890123456")
    assert citizen.contact_email == "Anna@example.test"


def test_registration_by_phone_stores_the_canonical_number() -> None:
    citizen = register(email="", phone="8 (916) 123-45-67")
    assert account(citizen) is not None
    assert account(citizen).phone == "+79161234567"
    assert citizen.notify_by_sms


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "", "phone": "12345"}, "phone"),
        ({"last_name": ""}, "last_name"),
        ({"first_name": "Анна2"}, "first_name"),
        ({"patronymic": "Викторовна\x00"}, "patronymic"),
        ({"snils": "1234"}, "snils"),
        ({"snils": "112-233-445 96"}, "snils"),
        ({"snils": "111-223-344 00"}, "snils"),
        ({"oms_policy": "123"}, "oms_policy"),
        ({"birth_date": timezone.localdate() + dt.timedelta(days=1)}, "birth_date"),
        ({"birth_date": dt.date(1899, 12, 31)}, "birth_date"),
        ({"password": "12345678"}, "password"),
        ({"password": "short"}, "password"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_registration_refuses_bad_input_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        register(**overrides)
    assert refused.value.field == field
    assert not User.objects.exists()
    assert not Citizen.objects.exists()


def test_registration_refuses_a_person_under_14() -> None:
    with pytest.raises(ApplicationError) as refused:
        register(birth_date=years_ago(14, days=-1))
    assert refused.value.field == "birth_date"


def test_registration_accepts_a_person_of_14() -> None:
    assert register(birth_date=years_ago(14)).pk


def test_snils_messages_tell_format_from_checksum_in_russian() -> None:
    with translation.override("ru"):
        with pytest.raises(ApplicationError) as checksum:
            register(snils="112-233-445 96")
        with pytest.raises(ApplicationError) as format_:
            register(snils="112-233")
    assert checksum.value.message == "СНИЛС указан с ошибкой: не сходится контрольное число."
    assert format_.value.message != checksum.value.message
    assert "11 цифр" in format_.value.message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "ANNA@example.test"}, "email"),
        ({"email": "", "phone": "+7 916 123-45-67"}, "phone"),
        ({"email": "other@example.test", "snils": "11223344595"}, "snils"),
    ],
)
def test_registration_refuses_what_is_taken(overrides: dict[str, Any], field: str) -> None:
    register(phone="+79161234567")
    with pytest.raises(Conflict) as refused:
        register(**overrides)
    assert refused.value.field == field
    assert User.objects.count() == 1


def test_registration_logs_no_personal_data(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        citizen = register()
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "citizen registered" in logged
    for personal in ("Смирнова", "Anna@", "11223344595", "1990"):
        assert personal not in logged
    assert str(citizen.pk) in logged


def test_profile_update_changes_the_given_fields_only() -> None:
    citizen = CitizenFactory.create(contact_email="old@example.test")
    services.citizen_update_profile(citizen=citizen, contact_phone="89161234567")
    citizen.refresh_from_db()
    assert (citizen.contact_phone, citizen.contact_email) == ("+79161234567", "old@example.test")


def test_sms_notifications_need_a_contact_phone_and_nothing_changes() -> None:
    citizen = CitizenFactory.create(contact_email="me@example.test", contact_phone="")
    with pytest.raises(ApplicationError) as refused:
        services.citizen_update_profile(citizen=citizen, notify_by_sms=True, first_name="Ольга")
    assert refused.value.field == "contact_phone"
    citizen.refresh_from_db()
    assert (citizen.notify_by_sms, citizen.first_name) == (False, citizen.first_name)
    assert citizen.first_name != "Ольга"


def test_profile_update_refuses_another_citizens_snils() -> None:
    other = CitizenFactory.create()
    citizen = CitizenFactory.create(contact_email="me@example.test")
    with pytest.raises(Conflict) as refused:
        services.citizen_update_profile(citizen=citizen, snils=other.snils)
    assert refused.value.field == "snils"


def test_moving_takes_the_children_living_with_the_citizen() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    new_home = ApartmentFactory.create()
    services.citizen_set_address(citizen=parent, apartment=new_home)
    child.refresh_from_db()
    assert parent.apartment == new_home
    assert child.apartment == new_home


def test_moving_leaves_a_child_living_elsewhere() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    Citizen.objects.filter(pk=child.pk).update(apartment=ApartmentFactory.create())
    services.citizen_set_address(citizen=parent, apartment=ApartmentFactory.create())
    child.refresh_from_db()
    assert child.apartment != parent.apartment


def add_child(guardian: Citizen, **overrides: Any) -> Citizen:
    data: dict[str, Any] = {
        "last_name": "Смирнов",
        "first_name": "Егор",
        "patronymic": "Алексеевич",
        "birth_date": years_ago(4),
        "snils": "206-130-059 00",
    }
    data.update(overrides)
    return services.child_add(guardian=guardian, **data)


def test_a_child_lives_with_the_guardian_who_adds_them() -> None:
    parent = CitizenFactory.create()
    child = add_child(parent)
    assert child.user is None
    assert child.apartment == parent.apartment
    assert Guardianship.objects.filter(guardian=parent, child=child, kind="parent").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_date": years_ago(18)}, "birth_date"),
        ({"birth_date": timezone.localdate() + dt.timedelta(days=3)}, "birth_date"),
        ({"snils": "206-130-059 01"}, "snils"),
        ({"first_name": ""}, "first_name"),
        ({"kind": "uncle"}, "kind"),
    ],
)
def test_adding_a_child_refuses_bad_input(overrides: dict[str, Any], field: str) -> None:
    parent = CitizenFactory.create()
    with pytest.raises(ApplicationError) as refused:
        add_child(parent, **overrides)
    assert refused.value.field == field
    assert not Guardianship.objects.exists()


def test_a_minor_cannot_add_a_child() -> None:
    with pytest.raises(ApplicationError):
        add_child(CitizenFactory.create(birth_date=years_ago(16)))
    assert Citizen.objects.count() == 1


def test_a_childs_snils_must_be_free() -> None:
    parent = CitizenFactory.create()
    with pytest.raises(Conflict) as refused:
        add_child(parent, snils=parent.snils)
    assert refused.value.field == "snils"


def test_a_guardian_adds_a_second_guardian() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    other_parent = CitizenFactory.create()
    assert account(parent) is not None
    link = services.guardianship_add(added_by=account(parent), child=child, guardian=other_parent)
    assert link.guardian == other_parent


def test_a_stranger_cannot_add_a_guardian() -> None:
    child = child_of(CitizenFactory.create())
    stranger = CitizenFactory.create()
    assert account(stranger) is not None
    with pytest.raises(PermissionDenied):
        services.guardianship_add(added_by=account(stranger), child=child, guardian=stranger)
    assert Guardianship.objects.count() == 1


def test_a_guardian_is_added_once() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    assert account(parent) is not None
    with pytest.raises(Conflict) as refused:
        services.guardianship_add(added_by=account(parent), child=child, guardian=parent)
    assert refused.value.field == "guardian"


def create_official(created_by: User, **overrides: Any) -> Official:
    data: dict[str, Any] = {
        "email": "clerk@mos.example",
        "password": PASSWORD,
        "display_name": "Ирина Клерк",
        "role": Role.REGISTRY_CLERK,
        "institution": InstitutionFactory.create(),
    }
    data.update(overrides)
    return services.official_create(created_by=created_by, **data)


def test_a_city_administrator_creates_an_official_in_the_roles_group() -> None:
    official = create_official(city_official().user, position="специалист")
    assert official.user.is_staff
    assert official.user.check_password(PASSWORD)
    assert list(official.user.groups.values_list("name", flat=True)) == [
        role_group_name(Role.REGISTRY_CLERK)
    ]


def test_a_superuser_creates_an_official() -> None:
    superuser = UserFactory.create(is_superuser=True, is_staff=True)
    assert create_official(superuser).pk


@pytest.mark.parametrize("who", ["clerk", "auditor", "citizen"])
def test_only_a_city_administrator_creates_officials(who: str) -> None:
    user = {
        "clerk": lambda: OfficialFactory.create().user,
        "auditor": lambda: city_official(Role.AUDITOR).user,
        "citizen": lambda: account(CitizenFactory.create()),
    }[who]()
    with pytest.raises(PermissionDenied):
        create_official(user)
    assert not User.objects.filter(email="clerk@mos.example").exists()


@pytest.mark.parametrize(
    ("role", "scope", "field"),
    [
        (Role.DOCTOR, {"institution": None}, "institution"),
        (Role.DOCTOR, {"district": "district"}, "district"),
        (Role.UTILITY_OPERATOR, {"institution": None}, "district"),
        (Role.ANALYST, {"district": "district"}, "institution"),
        (Role.AUDITOR, {}, "institution"),
        (Role.CITY_ADMIN, {"institution": None, "district": "district"}, "district"),
        ("mayor", {}, "role"),
    ],
)
def test_the_scope_must_fit_the_role(role: str, scope: dict[str, Any], field: str) -> None:
    values = {
        key: DistrictFactory.create() if value == "district" else value
        for key, value in scope.items()
    }
    with pytest.raises(ApplicationError) as refused:
        create_official(city_official().user, role=role, **values)
    assert refused.value.field == field
    assert Official.objects.count() == 1


def test_an_officials_email_must_be_free() -> None:
    admin = city_official().user
    with pytest.raises(Conflict) as refused:
        create_official(admin, email=str(admin.email).upper())
    assert refused.value.field == "email"


def test_a_new_role_moves_the_official_to_its_group() -> None:
    official = OfficialFactory.create()
    district = DistrictFactory.create()
    services.official_update(
        changed_by=city_official().user,
        official=official,
        role=Role.ANALYST,
        district=district,
    )
    groups = set(official.user.groups.values_list("name", flat=True))
    assert groups == {role_group_name(Role.ANALYST)}
    assert Group.objects.filter(name=role_group_name(Role.REGISTRY_CLERK)).exists()


def test_a_token_is_stored_as_its_hash_only() -> None:
    user = UserFactory.create()
    token, key = token_for(user)
    assert token.key_hash == ApiToken.hash_key(key)
    assert key not in {token.key_hash, token.prefix, token.name}
    assert key.startswith(token.prefix)


def test_a_token_needs_a_name() -> None:
    with pytest.raises(ApplicationError) as refused:
        services.api_token_create(user=UserFactory.create(), name="  ")
    assert refused.value.field == "name"
    assert not ApiToken.objects.exists()


def test_active_tokens_are_limited() -> None:
    user = UserFactory.create()
    for n in range(services.MAX_ACTIVE_TOKENS):
        token_for(user, name=f"t{n}")
    with pytest.raises(ApplicationError):
        token_for(user, name="one too many")


def test_revoking_marks_the_token() -> None:
    user = UserFactory.create()
    token, _key = token_for(user)
    services.api_token_revoke(user=user, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_nobody_revokes_another_accounts_token() -> None:
    token, _key = token_for(UserFactory.create())
    with pytest.raises(NotFound):
        services.api_token_revoke(user=UserFactory.create(), token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None
