"""A draft's images over the API: upload (multipart, with alt text), change alt text, remove.

The same checks as the draft form (publisher.flows.manage.media): JPEG, PNG or WebP, the size,
side and pixel limits of the settings, the number of images per draft, and the alt text's length.
Every change is a new version of the draft and voids earlier approvals, as in the form.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from drafts.service import NotEditable
from drafts.validation import LIMITS, FieldError
from publisher.api import problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.drafts import _detail, _load, _not_yours, _version_conflict
from publisher.api.schemas import CodedSchema, DraftSchema, IfMatchSchema, Text, _range
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.errors import problem
from publisher.flows.manage.media import Problem, add_images, change_image

ALT = {"description": "What the image shows, for people who cannot see it.",
       "maxLength": LIMITS["alt_text"]}


class UploadSchema(CodedSchema):
    """multipart/form-data: the image file, its alt text, optionally the version you saw."""

    class Meta:
        unknown = "exclude"

    image = Upload(required=True, metadata={"description": "JPEG, PNG or WebP."})
    alt_text = Text(load_default="", validate=validate.Length(
        max=LIMITS["alt_text"], error="too_long:{max}"), metadata=ALT)
    version = fields.Integer(validate=_range(1, 2**31 - 1), metadata={
        "description": "Act only if the draft is still at this version (409 otherwise)."})


class AltTextSchema(CodedSchema):
    alt_text = Text(required=True, validate=validate.Length(
        max=LIMITS["alt_text"], error="too_long:{max}"), metadata=ALT)


def _invalid(found: list[Problem]) -> Any:
    return problems.invalid([FieldError(f, "invalid", m, m) for f, m in found])


def _not_editable(draft: Any) -> Any:
    return problem(409, _("This draft can no longer be edited"),
                   _("It is %(status)s.", status=draft.status), current_status=draft.status)


def _editable(draft_id: int, if_match: str | None, version: int | None) -> tuple[Any, Any]:
    user = current_user()
    draft = _load(draft_id, for_update=True)
    if draft is None:
        return None, problems.not_found()
    if not user.may_edit(draft):
        return None, _not_yours(user)
    conflict = _version_conflict(draft, if_match, version)
    return (None, conflict) if conflict is not None else (draft, None)


@bp.route("/drafts/<int:draft_id>/media", methods=["POST"], tags=["media"])
@bp.arguments(IfMatchSchema, location="headers")
@bp.arguments(UploadSchema, location="files",
              example={"alt_text": "Plakaten for sommerkoncerten", "image": "(the file)"})
@bp.response(201, DraftSchema)
@documented(400, 401, 403, 404, 409, 413, 422)
@bp.doc(operationId="uploadDraftImage")
def upload(headers: dict[str, Any], form: dict[str, Any], draft_id: int) -> Any:
    """Add an image to the draft, with its alt text (multipart/form-data: image, alt_text)."""
    draft, refusal = _editable(draft_id, headers.get("if_match"), form.get("version"))
    if refusal is not None:
        return refusal
    db = get_session()
    try:
        _added, found = add_images(db, draft, request.files.getlist("image"),
                                   [form.get("alt_text", "")], current_settings(), actor=actor(),
                                   now=now())
    except NotEditable:
        db.rollback()
        return _not_editable(draft)
    if found:
        db.rollback()
        return _invalid(found)
    db.commit()
    return _detail(draft, 201)


def _image(draft: Any, media_id: int) -> Any:
    if media_id in {m.id for m in draft.media}:
        return None
    return problems.no_such(_("No such image"), _("This draft has no image with this id."))


@bp.route("/drafts/<int:draft_id>/media/<int:media_id>", methods=["PATCH"], tags=["media"])
@bp.arguments(IfMatchSchema, location="headers")
@bp.arguments(AltTextSchema, example={"alt_text": "Publikum foran scenen i Byparken"})
@bp.response(200, DraftSchema)
@documented(400, 401, 403, 404, 409, 422)
@bp.doc(operationId="updateDraftImage")
def patch_image(headers: dict[str, Any], data: dict[str, Any], draft_id: int,
                media_id: int) -> Any:
    """Change an image's alt text."""
    draft, refusal = _editable(draft_id, headers.get("if_match"), None)
    if refusal is not None:
        return refusal
    missing = _image(draft, media_id)
    if missing is not None:
        return missing
    return _change(draft, media_id, alt_text=data["alt_text"])


@bp.route("/drafts/<int:draft_id>/media/<int:media_id>", methods=["DELETE"], tags=["media"])
@bp.arguments(IfMatchSchema, location="headers")
@bp.response(200, DraftSchema)
@documented(401, 403, 404, 409)
@bp.doc(operationId="removeDraftImage")
def delete_image(headers: dict[str, Any], draft_id: int, media_id: int) -> Any:
    """Remove an image from the draft."""
    draft, refusal = _editable(draft_id, headers.get("if_match"), None)
    if refusal is not None:
        return refusal
    missing = _image(draft, media_id)
    if missing is not None:
        return missing
    return _change(draft, media_id, remove=True)


def _change(draft: Any, media_id: int, **change: Any) -> Any:
    db = get_session()
    try:
        found = change_image(db, draft, media_id, current_settings(), actor=actor(), now=now(),
                             **change)
    except NotEditable:
        db.rollback()
        return _not_editable(draft)
    if found:
        db.rollback()
        return _invalid(found)
    db.commit()
    return _detail(draft)
