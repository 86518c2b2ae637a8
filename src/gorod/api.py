"""The REST API root: ``/api/v1/``, OpenAPI at ``/api/docs``.

Every domain adds its Ninja router here. Errors share one JSON shape,
``{"message", "field", "extra"}``, whatever raised them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from gorod.errors import ApplicationError, error_body
from gorod.people.auth import SessionAuth, TokenAuth
from gorod.schemas import ErrorOut

_ERROR_DESCRIPTIONS = {
    "400": "The request breaks a rule; `field` names the input at fault.",
    "401": "Sign in or send a valid bearer token.",
    "403": "Signed in, but this is outside your access.",
    "404": "No such object, or not yours to see.",
    "409": "Valid, but it conflicts with the current state (e.g. just taken).",
    "422": "The input does not match the schema; `field` names it.",
}


class GorodAPI(NinjaAPI):
    """Ninja with every operation's error responses documented in the one shared shape."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorOut", ErrorOut.model_json_schema())
        reference = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        }
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                documented = {str(code) for code in responses}
                for status, description in _ERROR_DESCRIPTIONS.items():
                    needs_auth = status in {"401", "403"} and operation.get("security")
                    if status not in documented and (status not in {"401", "403"} or needs_auth):
                        responses[int(status)] = {"description": description, **reference}
        return schema


class ObjectBodyParser(Parser):
    """Every request body of this API is a JSON object; Ninja would read any other JSON
    value (``1``, ``[]``) as an empty object and let the request through."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise TypeError("a JSON body must be an object")
        return data


# Ninja's message for a body it cannot read, whether bad JSON or not an object.
_UNREADABLE_BODY = "Cannot parse request body"

api = GorodAPI(
    parser=ObjectBodyParser(),
    title="Gorod API",
    version="1",
    description="A city's digital services: people, places, the transparency log and more.",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
)


def _respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _respond(request, exc.status, error_body(exc.message, exc.field, exc.extra))


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.message_dict.items()))
        extra = {"errors": exc.message_dict}
        return _respond(
            request, 400, error_body(errors[0], None if field == "__all__" else field, extra)
        )
    return _respond(request, 400, error_body(exc.messages[0]))


@api.exception_handler(NinjaValidationError)
def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = [
        str(part)
        for part in first.get("loc", ())
        if part not in {"body", "query", "path", "payload"}
    ]
    field = ".".join(location) or None
    message = _("Invalid value for %(field)s: %(reason)s") % {
        "field": field or _("the request"),
        "reason": first.get("msg", _("not valid")),
    }
    return _respond(request, 422, error_body(message, field, {"errors": exc.errors}))


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _respond(request, 403, error_body(str(exc) or _("You do not have access to this.")))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _respond(request, 404, error_body(str(exc) or _("Not found.")))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _respond(request, 401, error_body(_("Sign in or send a valid token.")))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith(_UNREADABLE_BODY):
        message = _("The request body must be a JSON object.")
        return _respond(request, 400, error_body(message, "body"))
    return _respond(request, exc.status_code, error_body(str(exc)))


def _register_routers() -> None:
    from gorod.education.api import router as education_router
    from gorod.ledger.api import router as ledger_router
    from gorod.people.api import router as people_router
    from gorod.places.api import router as places_router
    from gorod.portal.api import router as notifications_router
    from gorod.privacy.api import router as privacy_router
    from gorod.queues.api import router as queues_router
    from gorod.scheduling.api import router as scheduling_router
    from gorod.scheduling.desk_api import router as desk_router
    from gorod.telemetry.api import router as telemetry_router
    from gorod.utilities.api import router as utilities_router

    api.add_router("/", people_router)
    api.add_router("/places", places_router)
    api.add_router("/ledger", ledger_router)
    api.add_router("/privacy", privacy_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/telemetry", telemetry_router)
    api.add_router("/utilities", utilities_router)
    api.add_router("/scheduling/desk", desk_router)
    api.add_router("/scheduling", scheduling_router)
    api.add_router("/queues", queues_router)
    api.add_router("/education", education_router)


_register_routers()
