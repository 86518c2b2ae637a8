"""Demo accounts: a citizen with a family, one official per role, and an administrator.

Only for the demo and test profiles (or when asked for explicitly): every account shares
the published password :data:`DEMO_PASSWORD`. Running it again keeps existing accounts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.people import snils
from gorod.people.models import ROLE_SCOPE, Citizen, Guardianship, Official, Role, Scope, User
from gorod.people.roles import role_group_name, role_groups_sync
from gorod.places import selectors as places
from gorod.places.models import District, Institution

DEMO_PASSWORD = "gorod-demo-2026"  # noqa: S105  (published on purpose: demo only)
DEMO_DOMAIN = "demo.gorod"
CITIZEN_EMAIL = f"citizen@{DEMO_DOMAIN}"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
ROLE_INSTITUTION = {
    Role.REGISTRY_CLERK: Institution.Kind.REGISTRY_OFFICE,
    Role.DOCTOR: Institution.Kind.CLINIC,
    Role.SCHOOL_ADMIN: Institution.Kind.SCHOOL,
    Role.OFFICE_HEAD: Institution.Kind.REGISTRY_OFFICE,
}
# The demo family: (last name, first name, patronymic, age in years, part in the family).
FAMILY = (
    ("Смирнова", "Анна", "Викторовна", 36, "account"),
    ("Смирнов", "Алексей", "Игоревич", 38, "parent"),
    ("Смирнов", "Егор", "Алексеевич", 4, "child"),  # kindergarten age
    ("Смирнова", "Полина", "Алексеевна", 9, "child"),  # school age
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    where: str


def _birth_date(age: int, today: dt.date) -> dt.date:
    return dt.date(today.year - age, today.month, min(today.day, 28)) - dt.timedelta(days=40)


def _family_create(*, user: User, district: District, today: dt.date) -> None:
    home = places.apartment_vacant(district=district)
    if home is None:
        raise ApplicationError(_("The demo district has no vacant apartment."), field="district")
    rng = random.Random(2026)  # noqa: S311  (synthetic SNILS, not a secret)
    taken = set(Citizen.objects.values_list("snils", flat=True))

    def new_snils() -> str:
        number = snils.generate(rng)
        while number in taken:
            number = snils.generate(rng)
        taken.add(number)
        return number

    members = [
        Citizen.objects.create(
            user=user if part == "account" else None,
            last_name=last,
            first_name=first,
            patronymic=patronymic,
            birth_date=_birth_date(age, today),
            snils=new_snils(),
            apartment=home,
            contact_email=CITIZEN_EMAIL if part == "account" else "",
        )
        for last, first, patronymic, age, part in FAMILY
    ]
    parts = [member[4] for member in FAMILY]
    Guardianship.objects.bulk_create(
        Guardianship(guardian=parent, child=child)
        for parent, parent_part in zip(members, parts, strict=True)
        if parent_part != "child"
        for child, child_part in zip(members, parts, strict=True)
        if child_part == "child"
    )


def _user(email: str, name: str, password_hash: str, **flags: bool) -> tuple[User, bool]:
    return User.objects.get_or_create(
        email=email, defaults={"display_name": name, "password": password_hash, **flags}
    )


@transaction.atomic
def demo_accounts_create(*, today: dt.date | None = None) -> list[DemoAccount]:
    """Create the demo accounts that are missing, in a city that has been seeded."""
    today = today or timezone.localdate()
    district = places.demo_home_district()
    if district is None:
        raise ApplicationError(_("Seed the city before creating demo accounts."), field="city")
    role_groups_sync()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once for all accounts
    citizen_name = " ".join(FAMILY[0][1::-1])
    user, created = _user(CITIZEN_EMAIL, citizen_name, password_hash)
    if created:
        _family_create(user=user, district=district, today=today)
    accounts = [DemoAccount(CITIZEN_EMAIL, _("citizen"), str(district))]
    for role in Role:
        email = f"{role.value}@{DEMO_DOMAIN}"
        user, _created = _user(email, str(role.label), password_hash, is_staff=True)
        official = Official.objects.filter(user=user).first() or Official.objects.create(
            user=user, role=role, **_scope(role, district)
        )
        user.groups.add(Group.objects.get(name=role_group_name(official.role)))
        where = official.institution or official.district or _("the whole city")
        accounts.append(DemoAccount(email, official.get_role_display(), str(where)))
    _user(ADMIN_EMAIL, _("Administrator"), password_hash, is_staff=True, is_superuser=True)
    accounts.append(DemoAccount(ADMIN_EMAIL, _("superuser"), _("everything")))
    return accounts


def _scope(role: Role, district: District) -> dict[str, object]:
    """Where the demo official of ``role`` works, as Official fields."""
    if ROLE_SCOPE[role] == Scope.DISTRICT:
        return {"district": district}
    if ROLE_SCOPE[role] == Scope.CITY:
        return {}
    kind = ROLE_INSTITUTION[role]
    institution = places.institution_near(kind=kind, district=district)
    if institution is None:
        raise ApplicationError(
            _("The city has no %(kind)s for the demo %(role)s.")
            % {"kind": Institution.Kind(kind).label, "role": role.label},
            field="city",
        )
    return {"institution": institution}


def accounts_table(accounts: list[DemoAccount]) -> str:
    """The accounts as an aligned plain-text table, with the shared password."""
    rows = [(_("e-mail"), _("role"), _("where")), *((a.email, a.role, a.where) for a in accounts)]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}" for r in rows]
    lines.append(_("Password for every demo account: %(password)s") % {"password": DEMO_PASSWORD})
    return "\n".join(lines)
