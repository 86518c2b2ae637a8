"""One check per kind of personal input, shared by services, forms and the API.

Each function returns the value in its canonical form or raises ``ApplicationError``
naming the field, with a message for the person who typed it.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.people import snils as snils_rules
from gorod.people.models import User
from gorod.people.phones import normalize_phone

ACCOUNT_MIN_AGE = 14  # a passport, and with it a Gosuslugi account, comes at 14
ADULT_AGE = 18
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)

# Letters of any alphabet, joined by one space, hyphen or apostrophe: «Салтыков-Щедрин».
_NAME = re.compile("^[^\\W\\d_]+(?:[ '\\-\u2019][^\\W\\d_]+)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_OMS = re.compile(r"^[0-9]{16}$")


def today() -> dt.date:
    return timezone.localdate()


def age_on(birth_date: dt.date, day: dt.date) -> int:
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    """Free text: trimmed, no control characters, within the column's length."""
    text = value.strip()
    if required and not text:
        raise ApplicationError(_("This field is required."), field=field)
    if _CONTROL.search(text):
        raise ApplicationError(_("Remove the special characters from this field."), field=field)
    if len(text) > max_length:
        raise ApplicationError(
            _("Use at most %(limit)d characters.") % {"limit": max_length}, field=field
        )
    return text


def clean_name(value: str, *, field: str, required: bool = True) -> str:
    text = clean_text(value, field=field, max_length=100, required=required)
    if text and not _NAME.match(text):
        raise ApplicationError(
            _("Use letters only, with a space, a hyphen or an apostrophe between parts."),
            field=field,
        )
    return text


def clean_snils(value: str, *, field: str = "snils") -> str:
    """'112-233-445 95' -> '11223344595', with a message for each kind of mistake."""
    problem = snils_rules.problem(value)
    if problem == "format":
        raise ApplicationError(_("A SNILS has 11 digits, for example 112-233-445 95."), field=field)
    if problem == "repeated":
        raise ApplicationError(
            _("The SNILS is wrong: no digit may stand three times in a row."), field=field
        )
    if problem == "checksum":
        raise ApplicationError(
            _("The SNILS is wrong: the check number does not match."), field=field
        )
    return snils_rules.normalize(value)


def clean_oms_policy(value: str, *, field: str = "oms_policy") -> str:
    digits = "".join(value.split())
    if digits and not _OMS.match(digits):
        raise ApplicationError(_("An OMS policy number has 16 digits."), field=field)
    return digits


def clean_email(value: str, *, field: str = "email", required: bool = True) -> str:
    text = clean_text(value, field=field, max_length=254, required=required)
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError as exc:
        raise ApplicationError(_("Enter a valid e-mail address."), field=field) from exc
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_phone(value: str, *, field: str = "phone", required: bool = True) -> str:
    text = clean_text(value, field=field, max_length=32, required=required)
    if not text:
        return ""
    phone = normalize_phone(text)
    if phone is None:
        raise ApplicationError(
            _("Enter a Russian phone number, for example +7 916 123-45-67."), field=field
        )
    return phone


def clean_birth_date(
    value: dt.date, *, field: str = "birth_date", min_age: int = 0, max_age: int | None = None
) -> dt.date:
    now = today()
    if value > now:
        raise ApplicationError(_("A date of birth cannot be in the future."), field=field)
    if value < EARLIEST_BIRTH_DATE:
        raise ApplicationError(_("Check the date of birth: it is too long ago."), field=field)
    age = age_on(value, now)
    if age < min_age:
        raise ApplicationError(
            _("You can have an account from the age of %(age)d.") % {"age": min_age},
            field=field,
        )
    if max_age is not None and age >= max_age:
        raise ApplicationError(
            _("A child must be under %(age)d years old.") % {"age": max_age}, field=field
        )
    return value


def clean_password(password: str, *, user: User, field: str = "password") -> str:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field=field) from exc
    return password
