"""problem+json answers of API v1, with field errors in the request's language.

Every error the API gives goes through here, so its shape always matches `ProblemSchema`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from flask import Response
from flask_babel import gettext as _

from drafts.validation import FieldError
from publisher.errors import problem
from publisher.i18n import lang

# code → (Danish, English); "{p}" is the part of a code after its colon (e.g. the choices).
_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("Feltet skal udfyldes.", "This field is required."),
    "null": ("Feltet må ikke være null.", "This field may not be null."),
    "unknown_field": ("Ukendt felt.", "Unknown field."),
    "invalid_characters": ("Teksten indeholder tegn, der ikke kan gemmes (fx NUL).",
                           "The text contains characters that cannot be stored (such as NUL)."),
    "invalid_choice": ("Ugyldig værdi. Mulige værdier: {p}.",
                       "Invalid value. Possible values: {p}."),
    "out_of_range": ("Skal ligge i intervallet {p}.", "Must be in the range {p}."),
    "too_long": ("Højst {p} tegn.", "At most {p} characters."),
    "too_large": ("Tallet er for stort.", "The number is too large."),
    "unknown_initiative": ("Ukendt eller inaktiv indsats.", "Unknown or inactive initiative."),
    "system_action": ("Kun systemet udgiver; planlæg opslaget i stedet.",
                      "Only the system publishes; schedule the draft instead."),
    "invalid_json": ("Indholdet er ikke gyldig JSON.", "The body is not valid JSON."),
    "not_json": ("Send indholdet som JSON (Content-Type: application/json).",
                 "Send the body as JSON (Content-Type: application/json)."),
}
_FALLBACK = ("Ugyldig værdi.", "Invalid value.")

# What a field expects, for "wrong type" messages: (Danish, English).
_KINDS: tuple[tuple[type[ma.fields.Field], tuple[str, str]], ...] = (
    (ma.fields.Boolean, ("true eller false", "true or false")),
    (ma.fields.Integer, ("et heltal", "a whole number")),
    (ma.fields.String, ("tekst", "text")),
    (ma.fields.List, ("en liste", "a list")),
    (ma.fields.Dict, ("et objekt", "an object")),
)
_TYPE_CODES = {"invalid", "invalid_type", "invalid_utf8"}


def coded_error(field: str, code: str) -> FieldError:
    """A FieldError for one of our codes (optionally `code:parameter`)."""
    name, _sep, param = code.partition(":")
    da, en = _MESSAGES.get(name, _FALLBACK)
    return FieldError(field, name, da.replace("{p}", param), en.replace("{p}", param))


def _type_error(field: str, target: ma.fields.Field | None) -> FieldError:
    if target is None:
        return FieldError(field, "invalid_type", "Forventede et JSON-objekt.",
                          "Expected a JSON object.")
    for cls, (da, en) in _KINDS:
        if isinstance(target, cls):
            return FieldError(field, "invalid_type", f"Forventede {da}.", f"Expected {en}.")
    return FieldError(field, "invalid_type", *_FALLBACK)


def _flatten(messages: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path, code) pairs from marshmallow's nested error messages."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            key = str(key)
            if key == "_schema" or (path and key in ("key", "value")):
                yield from _flatten(value, path)
            else:
                yield from _flatten(value, (*path, key))
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _flatten(item, path)
    else:
        yield path, str(messages)


def _field_at(schema: ma.Schema | None, path: tuple[str, ...]) -> ma.fields.Field | None:
    """The schema field a path points at (list items and dict values included)."""
    if schema is None or not path:
        return None
    by_key = {(f.data_key or name): f for name, f in schema.fields.items()}
    target: ma.fields.Field | None = by_key.get(path[0])
    for _part in path[1:]:
        inner = getattr(target, "inner", None) or getattr(target, "value_field", None)
        target = inner if isinstance(inner, ma.fields.Field) else target
    return target


def from_marshmallow(messages: Any, schema: ma.Schema | None) -> list[FieldError]:
    """Turn marshmallow/webargs messages ({location: {field: [codes]}}) into FieldErrors."""
    found: list[FieldError] = []
    if isinstance(messages, dict) and messages and set(messages) <= {
        "json", "query", "querystring", "headers", "view_args", "form", "files"
    }:
        messages = {k: v for location in messages.values() for k, v in (
            location.items() if isinstance(location, dict) else [("_schema", location)])}
    for path, code in _flatten(messages):
        field = ".".join(path)
        if code in _TYPE_CODES:
            found.append(_type_error(field, _field_at(schema, path)))
        else:
            found.append(coded_error(field, code))
    return found


def _entries(errors: list[FieldError]) -> list[dict[str, str]]:
    language = lang()
    return [{"field": e.field, "code": e.code, "message": e.message(language)} for e in errors]


def invalid(errors: list[FieldError]) -> Response:
    """422: the input was understood but some fields are wrong."""
    first = errors[0].message(lang()) if errors else ""
    return problem(422, _("Some fields need correcting"), first, errors=_entries(errors))


def bad_request(code: str) -> Response:
    """400: the body could not be read at all (not JSON, or not valid JSON)."""
    error = coded_error("", code)
    return problem(400, _("The request could not be understood"), error.message(lang()),
                   errors=_entries([error]))


def unauthorized(invalid_token: bool) -> Response:
    """401 with the WWW-Authenticate challenge a bearer-token client expects."""
    response = problem(
        401, _("A valid API token is required"),
        _("Send it as the header Authorization: Bearer <token>."),
    )
    challenge = 'Bearer realm="publisher"'
    if invalid_token:
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def forbidden(detail: str) -> Response:
    return problem(403, _("You do not have access to this"), detail)


def not_found() -> Response:
    return problem(404, _("No such draft"), _("There is no draft with this id."))


def version_conflict(current: int, sent: str) -> Response:
    """409: the client edited an older version."""
    return problem(
        409, _("Someone else changed this first"),
        _("The draft is at version %(current)s, not %(sent)s. Fetch it again and redo your "
          "change.", current=current, sent=sent[:40]),
        current_version=current,
    )


def no_such(title: str, detail: str) -> Response:
    """404 for something other than a draft (a delivery, an account, an image …)."""
    return problem(404, title, detail)


def refused(status: int, code: str, message: str, **extra: Any) -> Response:
    """A use case's refusal (403 or 409) with its code and its message in the request's language."""
    titles = {403: _("You do not have access to this"), 409: _("This is not possible now")}
    return problem(status, titles.get(status, _("This is not possible now")), message, code=code,
                   **extra)
