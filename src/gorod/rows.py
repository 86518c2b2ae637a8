"""Model instances from hand-written SQL, for the few hot paths where building the query
costs more than running it.

The ORM compiles a queryset anew on every call: on a booking that was most of the web
server's CPU. A :class:`Columns` names some fields of a model under a table alias once;
its :meth:`~Columns.sql` goes into a SELECT list, and :meth:`~Columns.build` turns that
part of a row into an instance, converting values as the ORM does (SQLite's datetimes
and booleans, time zones) for whichever database the connection is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import DateTimeField, Field, Model, Value

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, Any], Any]


class Columns(Generic[M]):
    """``fields`` of ``model`` (all when none are named; the primary key always) as read
    from the table under ``alias``, in the model's order of fields."""

    def __init__(self, model: type[M], alias: str, fields: Sequence[str] = ()) -> None:
        meta = model._meta
        # In the model's own order: ``from_db`` takes a subset of fields in that order.
        wanted = set(fields)
        chosen: list[Field[Any, Any]] = [
            field
            for field in meta.concrete_fields
            if not fields or field.primary_key or field.attname in wanted or field.name in wanted
        ]
        unknown = wanted - {name for field in chosen for name in (field.attname, field.name)}
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        self.model = model
        self.alias = alias
        self.fields = chosen
        self.attnames = [field.attname for field in chosen]
        self._converters: dict[str, list[tuple[Any, list[Converter]]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def sql(self) -> str:
        quote = connections["default"].ops.quote_name
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def _converters_for(self, using: str) -> list[tuple[Any, list[Converter]]]:
        """Each field's column expression and the converters the ORM would apply to it."""
        found = self._converters.get(using)
        if found is None:
            connection = connections[using]
            found = []
            for field in self.fields:
                column = field.get_col(self.alias)
                converters = connection.ops.get_db_converters(column)
                found.append((column, converters + column.get_db_converters(connection)))
            self._converters[using] = found
        return found

    def build(self, row: Sequence[Any], start: int = 0, using: str = "default") -> M:
        """The instance from ``row[start : start + len(self)]``."""
        connection = connections[using]
        values = list(row[start : start + len(self.fields)])
        for offset, (column, converters) in enumerate(self._converters_for(using)):
            for convert in converters:
                values[offset] = convert(values[offset], column, connection)
        return self.model.from_db(using, self.attnames, values)

    def fetch(self, sql: str, params: Sequence[Any], using: str = "default") -> M | None:
        """The instance from the first row of ``sql`` (these columns first), or None."""
        row = fetch_one(sql, params, using)
        return self.build(row, using=using) if row is not None else None


_DATETIME = Value(None, output_field=DateTimeField())


def datetime_value(value: Any, using: str = "default") -> Any:
    """A datetime read by hand-written SQL, as the ORM would give it (aware; SQLite keeps
    datetimes as text)."""
    connection = connections[using]
    for convert in connection.ops.get_db_converters(_DATETIME):
        value = convert(value, _DATETIME, connection)
    return value


def fetch_one(sql: str, params: Sequence[Any], using: str = "default") -> tuple[Any, ...] | None:
    """The first row of hand-written SQL, or None."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None
