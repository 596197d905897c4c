"""The conventions every JSON API endpoint follows. TandemAPI (tandem/api/api.py) applies them to every router
added to it, so a new endpoint module gets them without doing anything, and a forgotten bound stops the app
at start-up (ConfigError naming the field) instead of answering 500 to the first client who sends a big number.

1. Errors are JSON ``ErrorOut``: ``{"detail": "what is wrong and what to do", "errors": ["field: problem", ...]}``.
   Every operation answers, and its OpenAPI entry documents (added by TandemOpenAPISchema, see STANDARD_ERRORS):
   400 bad input (query, path or body: the reason names the field), 401 not signed in, 403 the role lacks the
   capability (or a write without the CSRF token), 404 unknown or outside the viewer's scope. An endpoint that
   answers another error (409, 413, 422, ...) declares it: ``response={201: ThingOut, 409: ErrorOut}``.
2. Inputs are bounded, checked by `operation_input_problems` for every parameter and body field:
   - every ``int`` has a lower and an upper bound (``Field(ge=..., le=...)``); lists of items use ``PageParams``
     (``limit`` 1..MAX_LIMIT, ``offset`` 0..MAX_OFFSET) and answer a ``Page``;
   - every ``float`` refuses NaN and Infinity: use ``Number`` (or give it both bounds);
   - every date is an ISO ``YYYY-MM-DD`` string: use ``Day`` (pydantic alone reads ``to=0`` as 1970-01-01) and
     ``Instant`` for date-times (ISO 8601 with a time zone).
3. JSON bodies are read strictly by ``StrictJsonParser``: valid UTF-8, no NaN/Infinity, no lone surrogates, no
   integer beyond a double, at most MAX_JSON_DEPTH levels; a refusal is a 400 naming the JSON path.
4. Enum names in the schema are unique: two different enums (or schemas) under one name would silently become
   one OpenAPI component (the people filter once documented the initiative statuses). TandemOpenAPISchema
   raises ConfigError instead; give a parameter its own name with ``Annotated[Person.Status, choices(Person.Status, title="PersonStatus")]``.

tests/api/test_conventions.py checks these rules on the live schema. A schemathesis run against every operation
(no 5xx, answers conform to the documented codes and schemas) is still to be added (issue 13).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any

import annotated_types
from django.http import HttpRequest
from ninja import Schema
from ninja.errors import ConfigError, HttpError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser
from pydantic import AllowInfNan, BaseModel, BeforeValidator, Field, WithJsonSchema

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_for, viewer_require
from tandem.core.scope import AccessDenied
from tandem.lrs.xapi.errors import XapiValidationError
from tandem.lrs.xapi.jsontext import MAX_JSON_DEPTH, json_parse

MAX_LIMIT = 500
# Far beyond any list Tandem holds, far inside a 64-bit SQL OFFSET (9223372036854775808 was a 500).
MAX_OFFSET = 1_000_000_000

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "STANDARD_ERRORS",
    "BodyRefused",
    "Day",
    "ErrorOut",
    "Instant",
    "Number",
    "Page",
    "PageParams",
    "StrictJsonParser",
    "TandemOpenAPISchema",
    "choices",
    "operation_input_problems",
    "viewer_with",
]


def viewer_with(*, request: HttpRequest, capability: Capability) -> Viewer:
    """The viewer, or 403 when none of their roles allows the capability."""
    viewer: Viewer | None = getattr(request, "viewer", None)
    if viewer is None:
        viewer = viewer_for(user=request.user)
    try:
        viewer_require(viewer=viewer, capability=capability)
    except AccessDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return viewer


# --- errors ------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="What is wrong and what to do, in words")
    errors: list[str] = Field(default_factory=list, description="One 'field: problem' per bad input")


STANDARD_ERRORS: dict[int, str] = {
    400: "Bad input: a query, path or body value is missing or invalid (the reason names it)",
    401: "Not signed in: the API uses your Tandem session",
    403: "Your roles do not allow this (or a write without the CSRF token)",
    404: "Unknown, or outside what you may see",
}


# --- bounded inputs ----------------------------------------------------------------------------------

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})")


def _iso_day(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD, e.g. 2024-03-01")


def _iso_instant(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str) and _ISO_INSTANT.fullmatch(value):
        return value
    raise ValueError("must be a date and time with a time zone, e.g. 2024-03-01T09:30:00Z")


Day = Annotated[dt.date, BeforeValidator(_iso_day)]
Instant = Annotated[dt.datetime, BeforeValidator(_iso_instant)]
Number = Annotated[float, AllowInfNan(False)]


def choices(enum_class: type[enum.Enum], *, title: str, description: str = "") -> WithJsonSchema:
    """Documents an enum parameter inline under its own title (Django's TextChoices are all called Status):
    ``Annotated[Person.Status, choices(Person.Status, title="PersonStatus")]``."""
    schema: dict[str, Any] = {"title": title, "type": "string", "enum": [m.value for m in enum_class]}
    if description:
        schema["description"] = description
    return WithJsonSchema(schema)


class PageParams(Schema):
    """Inherit for a list's query parameters; the answer inherits Page."""

    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"How many items (1-{MAX_LIMIT})")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip")


class Page(Schema):
    count: int
    limit: int
    offset: int


def _bounds(metadata: list[Any]) -> tuple[bool, bool]:
    lower = any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in metadata)
    upper = any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in metadata)
    for item in metadata:
        if isinstance(item, annotated_types.Interval):
            lower = lower or item.ge is not None or item.gt is not None
            upper = upper or item.le is not None or item.lt is not None
    return lower, upper


def _validator(metadata: list[Any], function: Any) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is function for m in metadata)


def _annotation_problems(annotation: Any, metadata: list[Any], where: str, seen: set[type]) -> Iterator[str]:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *extra = typing.get_args(annotation)
        yield from _annotation_problems(base, [*metadata, *extra], where, seen)
        return
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _annotation_problems(arg, metadata, where, seen)
        return
    if origin is not None:  # list[...], dict[...], tuple[...]: the items carry their own metadata
        for arg in typing.get_args(annotation):
            yield from _annotation_problems(arg, [], f"{where}[]", seen)
        return
    if not isinstance(annotation, type) or annotation is bool or issubclass(annotation, enum.Enum):
        return
    if issubclass(annotation, BaseModel):
        if annotation not in seen:
            seen.add(annotation)
            yield from _model_problems(annotation, where, seen)
    elif issubclass(annotation, dt.datetime):
        if not _validator(metadata, _iso_instant):
            yield f"{where}: a date-time must be tandem.api.common.Instant (ISO 8601 with a time zone)"
    elif issubclass(annotation, dt.date):
        if not _validator(metadata, _iso_day):
            yield f"{where}: a date must be tandem.api.common.Day (pydantic alone reads 0 as 1970-01-01)"
    elif issubclass(annotation, int):
        if _bounds(metadata) != (True, True):
            yield f"{where}: an integer needs a lower and an upper bound, e.g. Field(ge=0, le=1_000_000)"
    elif issubclass(annotation, float):
        finite = any(isinstance(m, AllowInfNan) and not m.allow_inf_nan for m in metadata)
        if not finite and _bounds(metadata) != (True, True):
            yield f"{where}: a float must be tandem.api.common.Number (no NaN or Infinity) or bounded"


def _model_problems(model: type[BaseModel], where: str, seen: set[type]) -> Iterator[str]:
    for name, field in model.model_fields.items():
        yield from _annotation_problems(field.annotation, list(field.metadata), f"{where}.{name}", seen)


def operation_input_problems(operation: Operation) -> list[str]:
    """What an operation's parameters and body break of the input conventions (empty: none)."""
    name = f"{operation.view_func.__module__}.{operation.view_func.__name__}"
    problems: list[str] = []
    for model in operation.models:
        problems.extend(_model_problems(model, name, set()))
    return problems


# --- strict JSON bodies ------------------------------------------------------------------------------


class BodyRefused(ValueError):
    """A request body that is not strict JSON; the API answers 400 with this reason."""


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            value = json_parse(raw=request.body, field="body")
        except XapiValidationError as exc:
            raise BodyRefused(str(exc)) from exc
        if not isinstance(value, dict):
            raise BodyRefused("body: must be a JSON object")
        return value


# --- the OpenAPI document ----------------------------------------------------------------------------

_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


class TandemOpenAPISchema(OpenAPISchema):
    """Ninja's schema plus the standard error answers of every operation, refusing name collisions."""

    def responses(self, operation: Operation) -> dict[int, Any]:
        result = super().responses(operation)
        for status, description in STANDARD_ERRORS.items():
            result.setdefault(
                status, {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}
            )
        if "ErrorOut" not in self.schemas:
            self.add_schema_definitions({"ErrorOut": ErrorOut.model_json_schema(ref_template=REF_TEMPLATE)})
        return result

    def add_schema_definitions(self, definitions: dict[str, Any]) -> None:
        for name, definition in definitions.items():
            known = self.schemas.get(name)
            if known is not None and known != definition:
                raise ConfigError(
                    f"Two different schemas are both named {name!r} in the OpenAPI document; give one its own "
                    f"name (for an enum parameter: tandem.api.common.choices(..., title=...)). "
                    f"One: {known}; the other: {definition}"
                )
        super().add_schema_definitions(definitions)
