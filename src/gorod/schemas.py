"""API schemas every domain shares: the error shape and bounded page numbers."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination


class ErrorOut(Schema):
    """The one error shape: a message for people, the field at fault, details for programs."""

    message: str
    field: str | None = None
    extra: dict[str, Any] = {}


class Pages(PageNumberPagination):
    """Page numbers with bounds, so a huge page number is a 422, never a server error."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int | None = Field(None, ge=1, le=200)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=50, max_page_size=200, **kwargs)
