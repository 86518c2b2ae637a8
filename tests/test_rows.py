"""``gorod.rows``: model instances from hand-written SQL equal the ORM's, on either
database (SQLite keeps datetimes as text and booleans as integers)."""

from __future__ import annotations

import pytest
from django.db import connection

from gorod.people.models import ApiToken, Citizen
from gorod.rows import Columns, datetime_value
from tests.people.factories import CitizenFactory, account, token_for

pytestmark = pytest.mark.django_db


def _row(sql: str, params: list[int]) -> tuple[object, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def test_every_field_is_read_as_the_orm_reads_it() -> None:
    citizen = CitizenFactory.create(notify_by_sms=True)
    columns = Columns(Citizen, "c")
    sql = f"SELECT {columns.sql()} FROM people_citizen c WHERE c.id = %s"  # noqa: S608
    row = _row(sql, [citizen.pk])
    built = columns.build(row)
    stored = Citizen.objects.get(pk=citizen.pk)
    for field in Citizen._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(stored, field.attname), field.name
    assert built.notify_by_sms is True
    assert built.created_at.tzinfo is not None
    assert built._state.adding is False


def test_a_subset_is_taken_in_the_models_order_after_other_columns() -> None:
    _token, key = token_for(account(CitizenFactory.create()))
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(key))
    columns = Columns(ApiToken, "t", ["last_used_at", "name"])  # not the model's order
    assert columns.attnames == ["id", "name", "last_used_at"]
    sql = f"SELECT 42, {columns.sql()} FROM people_apitoken t WHERE t.id = %s"  # noqa: S608
    row = _row(sql, [token.pk])
    built = columns.build(row, start=1)
    assert (built.pk, built.name, built.last_used_at) == (token.pk, token.name, None)
    assert built.get_deferred_fields() == {
        "user_id",
        "key_hash",
        "prefix",
        "created_at",
        "revoked_at",
    }


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="nickname"):
        Columns(Citizen, "c", ["nickname"])


def test_a_datetime_is_aware_whatever_the_database() -> None:
    citizen = CitizenFactory.create()
    (raw,) = _row("SELECT created_at FROM people_citizen WHERE id = %s", [citizen.pk])
    assert datetime_value(raw) == Citizen.objects.get(pk=citizen.pk).created_at


def test_fetch_builds_the_first_row_or_gives_none() -> None:
    citizen = CitizenFactory.create()
    columns = Columns(Citizen, "c", ["last_name"])
    sql = f"SELECT {columns.sql()} FROM people_citizen c WHERE c.id = %s"  # noqa: S608
    found = columns.fetch(sql, [citizen.pk])
    assert found is not None
    assert (found.pk, found.last_name) == (citizen.pk, citizen.last_name)
    assert columns.fetch(sql, [citizen.pk + 1000]) is None
