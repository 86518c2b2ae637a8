"""``gorod ledger verify|sign|head``: tamper detection, batched signing, bad input."""

from __future__ import annotations

import io
from collections.abc import Iterator
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from gorod.ledger import services
from gorod.ledger.models import AuditEvent, SignedTreeHead
from tests.ledger.factories import log_filled, official_read
from tests.people.factories import CitizenFactory, city_official

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("ledger", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _verify_failure() -> CommandError:
    with pytest.raises(CommandError) as caught:
        call_command(
            "ledger", "verify", "--chunk-size", "7", stdout=io.StringIO(), stderr=io.StringIO()
        )
    return caught.value


def _signed_log(size: int = 40) -> None:
    log_filled(size // 2, batch=3)
    services.tree_head_sign()
    log_filled(size - size // 2, batch=5)
    services.tree_head_sign()


def test_an_untouched_log_verifies() -> None:
    _signed_log()
    official_read(city_official(), CitizenFactory.create())
    services.tree_head_sign()
    assert "41 entries" in _run("verify", "--chunk-size", "6")


def test_an_altered_entry_is_found_and_named() -> None:
    _signed_log()
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE ledger_logentry SET leaf_hash = %s WHERE "index" = %s', [bytes(32), 27]
        )
    failure = _verify_failure()
    assert failure.returncode == 1
    assert "27" in str(failure)


def test_the_first_of_two_altered_entries_is_named() -> None:
    _signed_log()
    with connection.cursor() as cursor:
        for index in (33, 9):
            cursor.execute(
                'UPDATE ledger_logentry SET leaf_hash = %s WHERE "index" = %s', [bytes(32), index]
            )
    assert "9." in str(_verify_failure())


def test_a_forged_head_signature_is_found() -> None:
    _signed_log()
    head = SignedTreeHead.objects.order_by("tree_size").first()
    assert head is not None
    forged = bytearray(bytes(head.signature))
    forged[10] ^= 0xFF
    SignedTreeHead.objects.filter(pk=head.pk).update(signature=bytes(forged))
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert f"head of size {head.tree_size} is not valid" in err.getvalue()


def test_an_altered_audit_event_is_found() -> None:
    event = official_read(city_official(), CitizenFactory.create(), purpose="плановая проверка")
    AuditEvent.objects.filter(pk=event.pk).update(purpose="другая цель")
    assert str(event.log_entry_id) in str(_verify_failure())


def test_a_deleted_entry_is_found() -> None:
    _signed_log()
    with connection.cursor() as cursor:
        cursor.execute('DELETE FROM ledger_logentry WHERE "index" = %s', [12])
    assert "12" in str(_verify_failure())


def test_sign_signs_once_until_the_log_grows() -> None:
    log_filled(3)
    assert "Signed a new head" in _run("sign")
    assert "Nothing to sign" in _run("sign")
    log_filled(1)
    _run("sign")
    assert SignedTreeHead.objects.count() == 2


def test_sign_every_keeps_signing_until_interrupted() -> None:
    log_filled(3)
    with mock.patch("time.sleep", side_effect=KeyboardInterrupt):
        out = _run("sign", "--every", "60")
    assert "Stopped" in out
    assert SignedTreeHead.objects.get().tree_size == 3


@pytest.mark.parametrize(
    "args",
    [("sign", "--every", "soon"), ("sign", "--every", "0"), ("verify", "--chunk-size", "-5")],
)
def test_bad_numbers_exit_2_with_a_line(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as caught:
        _run(*args)
    assert caught.value.returncode == 2


def test_head_shows_the_latest_signed_head() -> None:
    assert "No tree head" in _run("head")
    log_filled(5)
    head, _created = services.tree_head_sign()
    out = _run("head")
    assert "size 5" in out
    assert bytes(head.root_hash).hex() in out
