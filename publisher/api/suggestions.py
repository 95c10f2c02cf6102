"""Activity suggestions over the API: the secretariat's inbox, accept into a draft, decline.

Only administrators (the secretariat) see suggestions: they hold the sender's contact details.
The public form itself is not part of the API.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import fields, validate
from sqlalchemy import select

from drafts.models import Initiative
from drafts.suggestions import REASON_MAX, NotPending, Suggestion, SuggestionStatus
from publisher.api import problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.schemas import CodedSchema, Text, _one_of
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.errors import problem
from publisher.flows.inbound import suggestions as flow


class SuggestionSchema(ma.Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": [s.value for s in SuggestionStatus]})
    title = fields.String(required=True)
    text = fields.String(required=True)
    starts_at = fields.DateTime(required=True, allow_none=True)
    ends_at = fields.DateTime(required=True, allow_none=True)
    place = fields.String(required=True)
    municipality = fields.String(required=True, metadata={"description": "Municipality slug."})
    organisation = fields.String(required=True)
    contact_name = fields.String(required=True, metadata={
        "description": "Empty once the contact details have been erased."})
    contact_email = fields.String(required=True)
    contact_phone = fields.String(required=True)
    image_url = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    decline_reason = fields.String(required=True)
    draft_id = fields.Integer(required=True, allow_none=True)
    contact_erased_at = fields.DateTime(required=True, allow_none=True)


class SuggestionFilterSchema(CodedSchema):
    status = fields.String(load_default=None, validate=_one_of([s.value for s in SuggestionStatus]))


class AcceptSchema(CodedSchema):
    initiative = Text(required=True, validate=validate.Length(min=1, max=64),
                      metadata={"description": "Slug of the initiative the draft belongs to."})


class DeclineSchema(CodedSchema):
    reason = Text(load_default="", validate=validate.Length(max=REASON_MAX),
                  metadata={"description": "Told to the sender by email."})


class AcceptedSchema(ma.Schema):
    suggestion = fields.Nested(SuggestionSchema, required=True)
    draft_id = fields.Integer(required=True)


def present(item: Suggestion) -> dict[str, Any]:
    from flask import url_for

    image = (url_for("media.serve", name=item.media.stored_name, _external=True)
             if item.media else None)
    return {
        "id": item.id, "status": item.status, "title": item.title, "text": item.text,
        "starts_at": item.starts_at, "ends_at": item.ends_at, "place": item.place,
        "municipality": item.municipality.slug, "organisation": item.organisation,
        "contact_name": item.contact_name, "contact_email": item.contact_email,
        "contact_phone": item.contact_phone, "image_url": image, "created_at": item.created_at,
        "decided_at": item.decided_at, "decline_reason": item.decline_reason,
        "draft_id": item.draft_id, "contact_erased_at": item.contact_erased_at,
    }


def _secretariat_only() -> Any:
    if not current_user().is_admin:
        return problems.forbidden(_("Only the secretariat (administrators) sees suggestions."))
    return None


def _find(suggestion_id: int) -> Suggestion | Any:
    """The suggestion, or the problem answer: 403 for anyone but the secretariat, 404."""
    refused = _secretariat_only()
    if refused is not None:
        return refused
    found = get_session().get(Suggestion, suggestion_id)
    if found is None:
        return problem(404, _("No such suggestion"), _("There is no suggestion with this id."))
    return found


def _decided() -> Any:
    return problem(409, _("Already decided"),
                   _("Someone has already decided on this suggestion."))


@bp.route("/suggestions", methods=["GET"], tags=["suggestions"])
@bp.arguments(SuggestionFilterSchema, location="query")
@bp.response(200, SuggestionSchema(many=True))
@documented(401, 403, 422)
@bp.doc(operationId="listSuggestions")
def list_suggestions(args: dict[str, Any]) -> Any:
    """List activity suggestions from the public, newest first (optionally by status)."""
    refused = _secretariat_only()
    if refused is not None:
        return refused
    query = select(Suggestion).order_by(Suggestion.created_at.desc(), Suggestion.id.desc())
    if args.get("status"):
        query = query.where(Suggestion.status == args["status"])
    return [present(s) for s in get_session().scalars(query.limit(500))]


@bp.route("/suggestions/<int:suggestion_id>", methods=["GET"], tags=["suggestions"])
@bp.response(200, SuggestionSchema)
@documented(401, 403, 404)
@bp.doc(operationId="getSuggestion")
def get_suggestion(suggestion_id: int) -> Any:
    """One suggestion."""
    found = _find(suggestion_id)
    return present(found) if isinstance(found, Suggestion) else found


@bp.route("/suggestions/<int:suggestion_id>/accept", methods=["POST"], tags=["suggestions"])
@bp.arguments(AcceptSchema, example={"initiative": "youth"})
@bp.response(201, AcceptedSchema)
@documented(400, 401, 403, 404, 409, 422)
@bp.doc(operationId="acceptSuggestion")
def accept_suggestion(args: dict[str, Any], suggestion_id: int) -> Any:
    """Turn the suggestion into a draft of `initiative`; the sender is told by email."""
    found = _find(suggestion_id)
    if not isinstance(found, Suggestion):
        return found
    db = get_session()
    initiative = db.scalars(select(Initiative).where(
        Initiative.slug == args["initiative"], Initiative.active.is_(True))).first()
    if initiative is None:
        return problems.invalid([problems.coded_error("initiative", "unknown_initiative")])
    try:
        draft = flow.accept(db, current_settings(), found, initiative, actor=actor(),
                            user_id=current_user().id, now=now())
    except NotPending:
        db.rollback()
        return _decided()
    return {"suggestion": present(found), "draft_id": draft.id}, 201


@bp.route("/suggestions/<int:suggestion_id>/decline", methods=["POST"], tags=["suggestions"])
@bp.arguments(DeclineSchema, example={"reason": "Det ligger uden for Kulturmetropolens område."})
@bp.response(200, SuggestionSchema)
@documented(400, 401, 403, 404, 409, 422)
@bp.doc(operationId="declineSuggestion")
def decline_suggestion(args: dict[str, Any], suggestion_id: int) -> Any:
    """Decline the suggestion with a reason; the sender is told by email."""
    found = _find(suggestion_id)
    if not isinstance(found, Suggestion):
        return found
    db = get_session()
    try:
        flow.decline(db, current_settings(), found, args["reason"], user_id=current_user().id,
                     now=now())
    except NotPending:
        db.rollback()
        return _decided()
    return present(found)
