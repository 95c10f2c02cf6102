"""Approvals over the API: send a draft for approval, and read where its approvals stand.

The API never decides on an approver's behalf: approvers decide only through their emailed link.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import fields

from drafts.approvals import Decision, Mode, PolicyError, Rule
from drafts.validation import FieldError
from publisher.api import problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.drafts import _load, _not_yours, _version_conflict
from publisher.api.schemas import CodedSchema, IfMatchSchema, _range
from publisher.db import get_session
from publisher.errors import problem
from publisher.flows import approval
from publisher.flows.approval_status import status_dict, status_of
from publisher.i18n import lang


class SendSchema(CodedSchema):
    """Sending for approval; optionally only if the draft is still at `version`."""

    version = fields.Integer(strict=True, validate=_range(1, 2**31 - 1),
                             metadata={"description": "Act only if the draft is still at this "
                                                      "version (409 otherwise)."})


class PolicySchema(ma.Schema):
    mode = fields.String(required=True, metadata={"enum": [m.value for m in Mode]})
    rule = fields.String(required=True, metadata={"enum": [r.value for r in Rule]})
    approver_ids = fields.List(fields.Integer(), required=True)
    deadline_hours = fields.Integer(required=True)
    reminder_hours = fields.Integer(required=True)
    from_initiative_defaults = fields.Boolean(required=True)


class ApproverRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    municipality = fields.String(required=True, allow_none=True)


class ApprovalRequestSchema(ma.Schema):
    id = fields.Integer(required=True)
    approver = fields.Nested(ApproverRefSchema, required=True)
    version = fields.Integer(required=True)
    content_hash = fields.String(required=True)
    requested_by = fields.String(required=True)
    asked_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)
    expires_at = fields.DateTime(required=True)
    opened_at = fields.DateTime(required=True, allow_none=True)
    reminded_at = fields.DateTime(required=True, allow_none=True)
    decision = fields.String(required=True, allow_none=True,
                             metadata={"enum": [d.value for d in Decision]})
    decided_at = fields.DateTime(required=True, allow_none=True)
    comment = fields.String(required=True)
    voided_at = fields.DateTime(required=True, allow_none=True)
    void_reason = fields.String(required=True, allow_none=True)


class PolicyProblemSchema(ma.Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)


class ApprovalStatusSchema(ma.Schema):
    draft_id = fields.Integer(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    policy = fields.Nested(PolicySchema, required=True)
    deadline = fields.DateTime(required=True, allow_none=True)
    held_at = fields.DateTime(required=True, allow_none=True,
                              metadata={"description": "Set when the deadline passed unapproved."})
    satisfied = fields.Boolean(required=True)
    requests = fields.List(fields.Nested(ApprovalRequestSchema), required=True,
                           metadata={"description": "Open requests for the current version."})
    earlier_requests = fields.List(fields.Nested(ApprovalRequestSchema), required=True)
    problems = fields.List(fields.Nested(PolicyProblemSchema), required=True,
                           metadata={"description": "What stops sending it for approval now."})


def _status(draft: Any, code: int = 200) -> Any:
    return status_dict(status_of(get_session(), draft), lang()), code


@bp.route("/drafts/<int:draft_id>/approvals", methods=["GET"], tags=["approvals"])
@bp.response(200, ApprovalStatusSchema)
@documented(401, 404)
@bp.doc(operationId="getApprovals")
def get_approvals(draft_id: int) -> Any:
    """Where the draft's approvals stand: policy, who was asked, opened, decided."""
    draft = _load(draft_id)
    if draft is None:
        return problems.not_found()
    return _status(draft)


@bp.route("/drafts/<int:draft_id>/approvals", methods=["POST"], tags=["approvals"])
@bp.arguments(IfMatchSchema, location="headers")
@bp.arguments(SendSchema, required=False, example={"version": 3})
@bp.response(200, ApprovalStatusSchema)
@documented(400, 401, 403, 404, 409, 422)
@bp.doc(operationId="sendForApproval")
def send_for_approval(headers: dict[str, Any], data: dict[str, Any], draft_id: int) -> Any:
    """Send the draft to the approvers its policy names (again, if it is in review).

    Each approver gets an email with a link of their own; they decide there. With the policy
    "no outside approver" the draft only moves to in review, for an administrator to approve.
    """
    user = current_user()
    draft = _load(draft_id, for_update=True)
    if draft is None:
        return problems.not_found()
    if not user.may_edit(draft):
        return _not_yours(user)
    conflict = _version_conflict(draft, headers.get("if_match"), (data or {}).get("version"))
    if conflict is not None:
        return conflict
    db = get_session()
    try:
        approval.send_for_approval(db, draft, actor=("api", user.id, user.username),
                                        requested_by=user.name, now=now())
    except PolicyError as exc:
        db.rollback()
        return problems.invalid([FieldError("policy", p.code, p.da, p.en)
                                 for p in exc.problems])
    except approval.FlowRefused:
        db.rollback()
        return problem(409, _("This draft cannot be sent for approval now"),
                       _("The draft is %(status)s.", status=draft.status),
                       current_status=draft.status)
    db.commit()
    return _status(draft)
