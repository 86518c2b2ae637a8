"""API schemas every domain shares: the error shape, database keys and bounded page numbers."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import BeforeValidator


class ErrorOut(Schema):
    """The one error shape: a message for people, the field at fault, details for programs."""

    message: str
    field: str | None = None
    extra: dict[str, Any] = {}


def _not_a_boolean(value: object) -> object:
    # JSON's true and false are not integers, though Python's bool is one.
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")  # noqa: TRY004
    return value


# A database key in a path or a body: out of range is a 422, never a database error.
Key = Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_not_a_boolean)]


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error responses an operation documents, all in the one error shape."""
    return dict.fromkeys(statuses, ErrorOut)


class Pages(PageNumberPagination):
    """Page numbers with bounds, so a huge page number is a 422, never a server error."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int | None = Field(None, ge=1, le=200)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=50, max_page_size=200, **kwargs)
