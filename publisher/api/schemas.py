"""Marshmallow schemas of API v1: they check request shapes and generate the OpenAPI document.

Validation errors carry *codes*, not English sentences: every field's error messages are replaced
by their keys (`required`, `invalid`, `null`, ...) and our validators raise codes such as
`invalid_choice:a, b`, so `publisher.api.problems` can turn them into problem+json entries with a
message in the request's language. What a value *means* (known slugs, lengths, dates, the DST
rules) is checked by `drafts.validation.clean_draft_input`, the same as for the web form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import marshmallow as ma
from marshmallow import EXCLUDE, INCLUDE, RAISE, fields, validate

from drafts.models import CHANNEL_NAMES, Kind
from drafts.states import SYSTEM_ACTIONS, TRANSITIONS, Status
from drafts.validation import LIMITS

PERSON_ACTIONS = sorted({a for acts in TRANSITIONS.values() for a in acts} - SYSTEM_ACTIONS)
MAX_PAGE = 100_000
MAX_PER_PAGE = 100
MAX_QUERY = 200


def _code_messages(field: fields.Field) -> None:
    """Make a field (and the fields inside it) report error keys instead of English text."""
    field.error_messages = {key: key for key in field.error_messages}
    for inner in (getattr(field, "inner", None), getattr(field, "key_field", None),
                  getattr(field, "value_field", None)):
        if isinstance(inner, fields.Field):
            _code_messages(inner)


class Text(fields.String):
    """A string that a database can store: no NUL characters, no lone surrogates.

    Refused with code `invalid_characters`; single-line fields (title, venue, address, price,
    audience) also refuse control characters and direction overrides with that code, and fold
    line breaks into a space (drafts/text_rules.py)."""

    default_error_messages = {"invalid_characters": "invalid_characters"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("invalid_characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("invalid_characters") from None
        return text


MAX_MUNICIPALITIES = 100  # a list longer than any organisation's is refused before it is read


def _items(low: int, high: int) -> validate.Length:
    """A list of `low`…`high` items (minItems / maxItems in the document)."""
    return validate.Length(min=low, max=high, error="out_of_range:{min}-{max}")


def _one_of(choices: Sequence[Any]) -> validate.OneOf:
    return validate.OneOf(choices, error="invalid_choice:{choices}")


def _range(low: int, high: int) -> validate.Range:
    return validate.Range(min=low, max=high, error="out_of_range:{min}-{max}")


class CodedSchema(ma.Schema):
    """Base schema: unknown fields are refused and errors come out as codes."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "unknown_field", "type": "invalid_type"}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _code_messages(field_obj)


# ---------------------------------------------------------------------------------------------
# Requests


def _described_text(name: str, description: str, **kw: Any) -> Text:
    meta: dict[str, Any] = {"description": description}
    if name in LIMITS:
        meta["maxLength"] = LIMITS[name]
    return Text(metadata=meta, **kw)


_MOMENT = ("ISO 8601. With an offset (2025-05-01T10:00:00+02:00 or ...Z) it is that instant; "
           "without one (2025-05-01T10:00) it is wall-clock time in the organisation's zone "
           "(Europe/Copenhagen). A time in the spring DST gap is refused; one in the autumn "
           "overlap needs the matching *_fold (0 = first, summer time; 1 = second). "
           "null or \"\" clears it.")


def _moment() -> Text:
    return Text(allow_none=True, metadata={"description": _MOMENT})


def _fold() -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=_one_of((0, 1)),
                          metadata={"description": "0 or 1: which of the two autumn-overlap "
                                                   "instants a wall-clock time means."})


class DraftFieldsSchema(CodedSchema):
    """The fields of a draft that a client sends; all optional here."""

    kind = Text(metadata={"enum": [k.value for k in Kind], "description": "Default: post."})
    title = _described_text("title", "Required, not blank.")
    body = _described_text("body", "Markdown.")
    link = _described_text("link", "An absolute http(s) URL, or empty.")
    initiative = Text(metadata={"description": "Slug of an initiative (GET /initiatives)."})
    municipalities = fields.List(
        Text(), validate=_items(1, MAX_MUNICIPALITIES),
        metadata={"description": "Slugs of municipalities (GET /municipalities); "
                                 "at least one."})
    channels = fields.List(
        Text(metadata={"enum": list(CHANNEL_NAMES)}), validate=_items(0, len(CHANNEL_NAMES)),
        metadata={"description": "Channels to publish to."})
    desired_at = _moment()
    desired_at_fold = _fold()
    event_start = _moment()
    event_start_fold = _fold()
    event_end = _moment()
    event_end_fold = _fold()
    venue = _described_text("venue", "Events: where.")
    address = _described_text("address", "Events: the address.")
    price = _described_text("price", "Events: the price, as text.")
    ticket_url = _described_text("ticket_url", "Events: an absolute http(s) URL, or empty.")
    audience = _described_text("audience", "Events: who it is for.")
    variants = fields.Dict(
        keys=Text(metadata={"enum": list(CHANNEL_NAMES)}),
        values=Text(metadata={"maxLength": LIMITS["variant"]}),
        metadata={"description": "Per-channel text replacing title + body + link on that "
                                 "channel, e.g. {\"x\": \"...\"}. An empty text removes it."})


class DraftCreateSchema(DraftFieldsSchema):
    """A new draft. Unknown fields are refused (422, code unknown_field)."""

    title = _described_text("title", "Not blank.", required=True)
    initiative = Text(required=True, metadata={"description": "Slug of an initiative."})
    municipalities = fields.List(Text(), required=True, validate=_items(1, MAX_MUNICIPALITIES),
                                 metadata={"description": "Slugs of municipalities; at least one."})


class DraftPatchSchema(DraftFieldsSchema):
    """A partial update: given fields replace the current values, then the whole is checked."""

    version = fields.Integer(
        strict=True, validate=_range(1, 2**31 - 1),
        metadata={"description": "The version you edited; 409 if the draft has moved on. "
                                 "The If-Match header does the same."})


class TransitionSchema(CodedSchema):
    """An action on a draft."""

    action = Text(required=True, metadata={
        "enum": PERSON_ACTIONS,
        "description": "approve needs the admin role; publish is done only by the system.",
    })
    note = Text(validate=validate.Length(max=1000, error="too_long:{max}"),
                metadata={"description": "Kept in the draft's history."})
    version = fields.Integer(strict=True, validate=_range(1, 2**31 - 1),
                             metadata={"description": "Act only if the draft is still at this "
                                                      "version (409 otherwise)."})

    @ma.validates("action")
    def _known_action(self, value: str, **_: Any) -> None:
        if value in SYSTEM_ACTIONS:
            raise ma.ValidationError("system_action")
        if value not in PERSON_ACTIONS:
            raise ma.ValidationError("invalid_choice:" + ", ".join(PERSON_ACTIONS))


class IfMatchSchema(CodedSchema):
    """The optional If-Match header: the draft version the client saw (ETag)."""

    class Meta:
        unknown = EXCLUDE

    if_match = Text(data_key="If-Match",
                    metadata={"description": 'The ETag you got, e.g. "3" (or *).'})


class DraftFilterSchema(CodedSchema):
    """Filters and paging for the draft list."""

    class Meta:
        unknown = EXCLUDE

    status = Text(validate=_one_of([s.value for s in Status]))
    municipality = Text(metadata={"description": "A municipality slug."})
    initiative = Text(metadata={"description": "An initiative slug."})
    channel = Text(validate=_one_of(list(CHANNEL_NAMES)))
    kind = Text(validate=_one_of([k.value for k in Kind]))
    desired_from = Text(metadata={"description": "Desired time at or after this (ISO 8601; "
                                                 "without offset: Copenhagen time)."})
    desired_to = Text(metadata={"description": "Desired time before this; a date alone "
                                               "includes that whole day."})
    q = Text(validate=validate.Length(max=MAX_QUERY, error="too_long:{max}"),
             metadata={"description": "Words in the title or body (case-insensitive)."})
    page = fields.Integer(load_default=1, validate=_range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=None, validate=_range(1, MAX_PER_PAGE),
                              metadata={"description": "Default: the service's page size."})


class ReferenceFilterSchema(CodedSchema):
    """Whether to include inactive rows."""

    class Meta:
        unknown = EXCLUDE

    all = fields.Boolean(load_default=False,
                         metadata={"description": "true: include inactive ones too."})


# ---------------------------------------------------------------------------------------------
# Responses (dumped from dicts the views build)


class MunicipalitySchema(ma.Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)


class InitiativeSchema(ma.Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    subtitle = fields.String(required=True)
    home_municipality = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)


class ApproverSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": ["chair", "culture_chief", "deputy"]})
    municipality = fields.String(required=True, allow_none=True)
    deputy_of = fields.Integer(required=True, allow_none=True,
                               metadata={"description": "The approver this one stands in for."})
    away = fields.Boolean(required=True)
    active = fields.Boolean(required=True)


class MediaSchema(ma.Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    mime_type = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    alt_text = fields.String(required=True)


class DraftSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": [k.value for k in Kind]})
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": [s.value for s in Status]})
    version = fields.Integer(required=True)
    initiative = fields.String(required=True)
    municipalities = fields.List(fields.String(), required=True)
    channels = fields.List(fields.String(), required=True)
    desired_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class DeliverySchema(ma.Schema):
    id = fields.Integer(required=True)
    draft_id = fields.Integer(required=True)
    account_id = fields.Integer(required=True)
    channel = fields.String(required=True)
    account = fields.String(required=True, metadata={"description": "The channel account."})
    status = fields.String(required=True, metadata={
        "description": "scheduled, running, unconfirmed, published, failed, held or cancelled"})
    due_at = fields.DateTime(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(required=True, allow_none=True)
    last_error = fields.String(required=True, metadata={"description": "A reason key, or ''."})
    held_reason = fields.String(required=True, metadata={
        "description": "Why it waits for a person when held (late, cannot_tell, "
                       "content_changed), or ''."})
    error_kind = fields.String(required=True, metadata={
        "enum": ["", "retryable", "permanent", "unknown_outcome"],
        "description": "The class of the last error, or ''."})
    problem = fields.String(required=True, metadata={
        "description": "What is wrong, in plain words matching the status (request's "
                       "language): a retry is promised only while one is booked, with its "
                       "time; '' when nothing is wrong."})
    allowed_actions = fields.List(fields.String(metadata={"enum": ["retry", "cancel"]}),
                                  required=True, metadata={
        "description": "What you may do to it now: POST /deliveries/{id}/retry or /cancel."})
    external_id = fields.String(required=True, metadata={"description": "The platform's id."})
    external_url = fields.String(required=True, metadata={"description": "Link on the platform."})
    published_at = fields.DateTime(required=True, allow_none=True)


class DraftSchema(DraftSummarySchema):
    body = fields.String(required=True)
    body_html = fields.String(required=True, metadata={"description": "Sanitised HTML."})
    link = fields.String(required=True)
    event_start = fields.DateTime(required=True, allow_none=True)
    event_end = fields.DateTime(required=True, allow_none=True)
    venue = fields.String(required=True)
    address = fields.String(required=True)
    price = fields.String(required=True)
    ticket_url = fields.String(required=True)
    audience = fields.String(required=True)
    content_hash = fields.String(required=True)
    author = fields.String(required=True, allow_none=True)
    variants = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    channel_text = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True,
        metadata={"description": "The exact text each chosen channel will get."})
    media = fields.List(fields.Nested(MediaSchema), required=True)
    allowed_actions = fields.List(
        fields.String(), required=True,
        metadata={"description": "Transitions you may request now."})
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True, metadata={
        "description": "One per channel account once scheduled (schedule/cancel via transitions)."})


class DraftPageSchema(ma.Schema):
    items = fields.List(fields.Nested(DraftSummarySchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class AuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor_type = fields.String(required=True,
                               metadata={"description": "user, api, approver or system"})
    actor_label = fields.String(required=True)
    action = fields.String(required=True)
    version = fields.Integer(required=True, allow_none=True)
    details = fields.Dict(required=True)


class FieldErrorSchema(ma.Schema):
    field = fields.String(required=True,
                          metadata={"description": "The field (dotted for nested values); "
                                                   "empty for the request as a whole."})
    code = fields.String(required=True, metadata={
        "description": "What is wrong, for programs: e.g. required, unknown_field, invalid_type, "
                       "invalid_characters, invalid_url, too_long, out_of_range, invalid_choice, "
                       "invalid_datetime, dst_gap, dst_ambiguous."})
    message = fields.String(required=True,
                            metadata={"description": "In the request's language."})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (application/problem+json)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
    code = fields.String(metadata={"description": "Why, as a stable key (e.g. not_retryable)."})
    current_status = fields.String()
    current_version = fields.Integer()
    allowed_actions = fields.List(fields.String())
