"""Sign in with an e-mail address or a phone number and a password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from gorod.people.models import User
from gorod.people.phones import normalize_phone


class EmailOrPhoneBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        identifier = username.strip()
        phone = normalize_phone(identifier)
        query = Q(email__iexact=identifier)
        if phone:
            query |= Q(phone=phone)
        user = User.objects.filter(query).first()
        if user is None:
            User().set_password(password)  # same work as a real check, so timing tells nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_identifier(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The identifier django-axes counts failures by: one per account, however it is typed.

    Without it, '+7 916 123-45-67' and '89161234567' would each get their own five tries.
    """
    if credentials:
        raw = credentials.get("username") or ""
    else:
        raw = request.POST.get("username", "") if request is not None else ""
    text = str(raw).strip()
    return normalize_phone(text) or text.lower()
