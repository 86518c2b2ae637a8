"""Accounts, the people behind them, and officials with their scope.

An account (``User``) signs in; a ``Citizen`` holds personal data and may have no account
(a child). Guardians act for their children. An ``Official`` is an account with one role
bound to one institution, one district, or the whole city; selectors and services use
that scope so an official only ever sees what belongs to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        user = self.model(email=self.normalize_email(email) if email else None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A sign-in account: by e-mail or by phone, with a password."""

    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=16, unique=True, null=True, blank=True)
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    is_staff = models.BooleanField(_("back office access"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False),
                name="user_has_email_or_phone",
            ),
            # Sign-in matches e-mail without regard to case, so no two accounts may differ
            # only by it; phones are stored in one canonical form.
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | Q(phone__regex=r"^\+7[0-9]{10}$"),
                name="user_phone_canonical",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or self.phone or f"#{self.pk}"


class Citizen(models.Model):
    """A resident: the personal data a city service needs, and nothing more."""

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="citizen",
        verbose_name=_("account"),
    )
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"))
    snils = models.CharField(_("SNILS"), max_length=11, unique=True)
    oms_policy = models.CharField(_("OMS policy number"), max_length=16, blank=True)
    apartment = models.ForeignKey(
        "places.Apartment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("address"),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=16, blank=True)
    notify_by_email = models.BooleanField(_("notify by e-mail"), default=True)
    notify_by_sms = models.BooleanField(_("notify by SMS"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")
        constraints = [
            models.CheckConstraint(
                condition=Q(snils__regex=r"^[0-9]{11}$"), name="citizen_snils_digits"
            ),
            models.CheckConstraint(
                condition=Q(oms_policy="") | Q(oms_policy__regex=r"^[0-9]{16}$"),
                name="citizen_oms_16_digits",
            ),
            models.CheckConstraint(
                condition=Q(contact_phone="") | Q(contact_phone__regex=r"^\+7[0-9]{10}$"),
                name="citizen_contact_phone_canonical",
            ),
        ]
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class Guardianship(models.Model):
    """A parent (or other legal guardian) who acts for a child."""

    class Kind(models.TextChoices):
        PARENT = "parent", _("parent")
        GUARDIAN = "guardian", _("guardian")

    guardian = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="wards")
    child = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="guardians")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PARENT)

    class Meta:
        verbose_name = _("guardianship")
        verbose_name_plural = _("guardianships")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "child"], name="guardianship_once"),
            models.CheckConstraint(
                condition=~Q(guardian=models.F("child")), name="guardianship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.child} ({self.get_kind_display()})"


class Role(models.TextChoices):
    REGISTRY_CLERK = "registry_clerk", _("registry clerk")
    DOCTOR = "doctor", _("doctor")
    SCHOOL_ADMIN = "school_admin", _("school administrator")
    UTILITY_OPERATOR = "utility_operator", _("utility operator")
    ANALYST = "analyst", _("analyst")
    AUDITOR = "auditor", _("auditor")
    OFFICE_HEAD = "office_head", _("office head")
    EDUCATION_OFFICER = "education_officer", _("district education officer")
    DEVICE_INTEGRATOR = "device_integrator", _("device integrator")
    CITY_ADMIN = "city_admin", _("city administrator")


class Scope(models.TextChoices):
    INSTITUTION = "institution", _("one institution")
    DISTRICT = "district", _("one district")
    CITY = "city", _("the whole city")


# Which scope each role works in: it is part of the role, not a free choice.
ROLE_SCOPE: dict[str, str] = {
    Role.REGISTRY_CLERK: Scope.INSTITUTION,
    Role.DOCTOR: Scope.INSTITUTION,
    Role.SCHOOL_ADMIN: Scope.INSTITUTION,
    Role.UTILITY_OPERATOR: Scope.DISTRICT,
    Role.ANALYST: Scope.DISTRICT,
    Role.AUDITOR: Scope.CITY,
    Role.OFFICE_HEAD: Scope.INSTITUTION,
    Role.EDUCATION_OFFICER: Scope.DISTRICT,
    Role.DEVICE_INTEGRATOR: Scope.CITY,
    Role.CITY_ADMIN: Scope.CITY,
}


class Official(models.Model):
    """A city employee: one role, bound to one institution, one district or the city."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="official")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    institution = models.ForeignKey(
        "places.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name=_("institution"),
    )
    district = models.ForeignKey(
        "places.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name=_("district"),
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("official")
        verbose_name_plural = _("officials")
        constraints = [
            models.CheckConstraint(
                condition=Q(institution__isnull=True) | Q(district__isnull=True),
                name="official_one_scope",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=["registry_clerk", "doctor", "school_admin", "office_head"],
                        institution__isnull=False,
                    )
                    | Q(
                        role__in=["utility_operator", "analyst", "education_officer"],
                        district__isnull=False,
                    )
                    | Q(
                        role__in=["auditor", "device_integrator", "city_admin"],
                        institution__isnull=True,
                        district__isnull=True,
                    )
                ),
                name="official_scope_fits_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def scope(self) -> str:
        return ROLE_SCOPE[self.role]


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
