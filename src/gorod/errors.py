"""One error shape for the whole project: ``{"message", "field", "extra"}``."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A use case refused: the message is for the user, ``field`` names the input at fault."""

    status = 400

    def __init__(
        self, message: str, *, field: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class Conflict(ApplicationError):
    """The request was valid but lost a race or breaks a uniqueness rule."""

    status = 409


class NotFound(ApplicationError):
    status = 404


def error_body(
    message: str, field: str | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"message": message, "field": field, "extra": extra or {}}
