"""Signing in by e-mail or phone, signing out, and the lock-out after repeated failures."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.people.factories import PASSWORD, CitizenFactory, UserFactory, account

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("people:sign-in"), {"username": username, "password": password})


def test_sign_in_by_email_goes_to_the_cabinet(client: Client) -> None:
    user = UserFactory.create(email="anna@example.test")
    response = sign_in(client, "Anna@Example.test")
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_in_by_phone_in_any_notation(client: Client) -> None:
    user = UserFactory.create(email=None, phone="+79161234567")
    response = sign_in(client, "8 (916) 123-45-67")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_password_shows_the_form_again(client: Client) -> None:
    UserFactory.create(email="anna@example.test")
    response = sign_in(client, "anna@example.test", "wrong-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'role="alert"' in response.content.decode()


def test_five_wrong_passwords_lock_the_account_out(client: Client) -> None:
    UserFactory.create(email="anna@example.test")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "anna@example.test", "wrong-password")
    response = sign_in(client, "anna@example.test")
    assert response.status_code == 429
    assert "people/locked_out.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session
    assert "15" in response.content.decode()


def test_four_wrong_passwords_do_not_lock(client: Client) -> None:
    UserFactory.create(email="anna@example.test")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "anna@example.test", "wrong-password")
    assert sign_in(client, "anna@example.test").status_code == 302


def test_sign_out_needs_a_post(client: Client) -> None:
    citizen = CitizenFactory.create()
    client.force_login(account(citizen))
    assert client.get(reverse("people:sign-out")).status_code == 405
    response = client.post(reverse("people:sign-out"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_lock_out_counts_one_phone_however_it_is_written(client: Client) -> None:
    UserFactory.create(email=None, phone="+79161234567")
    notations = ["+7 916 123-45-67", "89161234567", "9161234567", "+79161234567", "8(916)1234567"]
    for phone in notations[: settings.AXES_FAILURE_LIMIT]:
        sign_in(client, phone, "wrong-password")
    assert sign_in(client, "+7 (916) 123 45 67").status_code == 429
