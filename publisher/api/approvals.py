"""Approvals over the API: send, read, set the policy, remind, change an approver, approve as
an administrator (policy "none"), release a deadline hold — the same flows as the web page.

The API never decides on an approver's behalf: approvers decide only through their emailed link.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import fields, validate

from drafts.approvals import MAX_HOURS, ApprovalRequest, Decision, Mode, PolicyError, Rule
from drafts.models import Approver
from drafts.validation import FieldError
from publisher.api import problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.drafts import _load, _not_yours, _version_conflict
from publisher.api.schemas import CodedSchema, IfMatchSchema, Text, _one_of, _range
from publisher.auth import actor
from publisher.db import get_session
from publisher.errors import problem
from publisher.flows import approval
from publisher.flows.approval_status import status_dict, status_of
from publisher.flows.firstday import rules
from publisher.flows.manage.policy import check_policy, set_policy
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
    mail_status = fields.String(
        required=True, allow_none=True,
        metadata={"enum": ["pending", "sending", "sent", "failed", "cancelled", None],
                  "description": "The newest mail with the link: `failed` means it will not "
                                 "arrive and the secretariat was told; `sent_at` is only set "
                                 "once the mail server accepted a mail."})
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
    except rules.NotReady as exc:
        db.rollback()
        return _not_ready(exc)
    except approval.FlowRefused:
        db.rollback()
        return problem(409, _("This draft cannot be sent for approval now"),
                       _("The draft is %(status)s.", status=draft.status),
                       current_status=draft.status)
    db.commit()
    return _status(draft)


# ------------------------------------------------------------------ what the secretariat does


class PolicyInSchema(CodedSchema):
    """A draft's own approval policy (administrators)."""

    mode = Text(required=True, validate=_one_of([m.value for m in Mode]), metadata={
        "description": "chairs: the committee chair of each of the draft's municipalities "
                       "(their deputy when away); list: the approvers in approver_ids; none: "
                       "no outside approver, an administrator approves "
                       "(POST /drafts/{id}/approvals/approve)."})
    rule = Text(required=True, validate=_one_of([r.value for r in Rule]),
                metadata={"description": "all: everyone asked must approve; any: one is enough."})
    approver_ids = fields.List(fields.Integer(strict=True, validate=_range(1, 2**31 - 1)),
                               load_default=list, validate=validate.Length(
                                   max=100, error="too_long:{max}"),
                               metadata={"description": "For mode list: ids from GET /approvers."})
    deadline_hours = fields.Integer(strict=True, required=True, validate=_range(0, MAX_HOURS),
                                    metadata={"description": "Hours before the publishing time "
                                                             "by which it must be approved."})
    reminder_hours = fields.Integer(strict=True, required=True, validate=_range(0, MAX_HOURS),
                                    metadata={"description": "Remind approvers this many hours "
                                                             "after asking (0: never)."})


class ChangeApproverSchema(CodedSchema):
    approver_id = fields.Integer(strict=True, required=True, validate=_range(1, 2**31 - 1),
                                 metadata={"description": "Who to ask instead (GET /approvers)."})


POLICY_EXAMPLE = {"mode": "none", "rule": "all", "approver_ids": [], "deadline_hours": 2,
                  "reminder_hours": 24}


def _refusal(code: str, draft: Any) -> Any:
    texts = {
        "outside_approvers": (
            "Kladdens politik kræver godkendere udefra; de godkender via deres link. Sæt "
            "politikken til mode none for at godkende som administrator.",
            "This draft's policy asks outside approvers; they approve by their emailed link. "
            "Set the policy's mode to none to approve as an administrator."),
        "voided": ("Den anmodning er ikke længere åben.", "That request is no longer open."),
        "inactive_approver": ("Godkenderen er inaktiv eller har ingen e-mailadresse.",
                              "That approver is inactive or has no email address."),
        "time_passed": ("Udgivelsestidspunktet er passeret. Vælg et nyt tidspunkt først.",
                        "The publishing time has passed. Choose a new time first."),
    }
    da, en = texts.get(code, (f"Kladden er {draft.status}.", f"The draft is {draft.status}."))
    return problems.refused(409, code, en if lang() == "en" else da,
                            current_status=draft.status)


def _not_ready(exc: rules.NotReady) -> Any:
    """422: the platform rules the draft breaks (or its time has passed), one entry each."""
    return problems.invalid([
        FieldError(f"channels.{p.channel}" if p.channel else "", p.code, p.message("da"),
                   p.message("en")) for p in exc.problems])


def _admin_only() -> Any:
    return problems.forbidden(_("Only administrators can do this."))


def _editable(draft_id: int, *, admin: bool = False) -> tuple[Any, Any]:
    """The draft locked for change, or the problem answer."""
    user = current_user()
    draft = _load(draft_id, for_update=True)
    if draft is None:
        return None, problems.not_found()
    if admin and not user.is_admin:
        return None, _admin_only()
    if not user.may_edit(draft):
        return None, _not_yours(user)
    return draft, None


@bp.route("/drafts/<int:draft_id>/approvals/policy", methods=["PUT"], tags=["approvals"])
@bp.arguments(PolicyInSchema, example=POLICY_EXAMPLE)
@bp.response(200, ApprovalStatusSchema)
@documented(400, 401, 403, 404, 422)
@bp.doc(operationId="setApprovalPolicy")
def put_policy(data: dict[str, Any], draft_id: int) -> Any:
    """Set who must approve this draft, the rule, the deadline and the reminder (admins).

    If the draft is in review and now meets the policy, it is approved (and scheduled) at once.
    """
    draft, refusal = _editable(draft_id, admin=True)
    if refusal is not None:
        return refusal
    db = get_session()
    found, policy_problems = check_policy(db, data["mode"], data["rule"], data["approver_ids"],
                                          data["deadline_hours"], data["reminder_hours"])
    if found is None:
        return problems.invalid([FieldError(p.code, "invalid", p.da, p.en)
                                 for p in policy_problems])
    user = current_user()
    set_policy(db, draft, found, now=now(), actor=actor(), by=user.name)
    db.commit()
    return _status(draft)


@bp.route("/drafts/<int:draft_id>/approvals/approve", methods=["POST"], tags=["approvals"])
@bp.response(200, ApprovalStatusSchema)
@documented(401, 403, 404, 409, 422)
@bp.doc(operationId="approveAsAdministrator")
def approve_as_admin(draft_id: int) -> Any:
    """An administrator's own approval, for a draft whose policy has no outside approver
    (mode none); the draft is scheduled. Otherwise 409 with code outside_approvers."""
    return _admin_step(draft_id, approval.admin_approve)


@bp.route("/drafts/<int:draft_id>/approvals/release", methods=["POST"], tags=["approvals"])
@bp.response(200, ApprovalStatusSchema)
@documented(401, 403, 404, 409, 422)
@bp.doc(operationId="releaseApprovalHold")
def release_hold(draft_id: int) -> Any:
    """Lift the deadline hold (admins); an approved draft is then scheduled."""
    return _admin_step(draft_id, approval.release_hold)


def _admin_step(draft_id: int, step: Any) -> Any:
    """Run an administrator's approval step (`step(session, draft, now, actor)`) and answer
    with the approval status, or with what refused it (nothing changes then)."""
    draft, refusal = _editable(draft_id, admin=True)
    if refusal is not None:
        return refusal
    db = get_session()
    try:
        step(db, draft, now(), actor())
    except rules.NotReady as exc:
        db.rollback()
        return _not_ready(exc)
    except approval.FlowRefused as exc:
        db.rollback()
        return _refusal(exc.code, draft)
    db.commit()
    return _status(draft)


def _request_of(draft: Any, request_id: int) -> ApprovalRequest | None:
    found = get_session().get(ApprovalRequest, request_id)
    return found if found is not None and found.draft_id == draft.id else None


def _no_request() -> Any:
    return problems.no_such(_("No such approval request"),
                            _("This draft has no approval request with this id."))


@bp.route("/drafts/<int:draft_id>/approvals/<int:request_id>/remind", methods=["POST"],
          tags=["approvals"])
@bp.response(200, ApprovalStatusSchema)
@documented(401, 403, 404, 409)
@bp.doc(operationId="remindApprover")
def remind(draft_id: int, request_id: int) -> Any:
    """Mail the approver again with a new link (their older link stops working)."""
    draft, refusal = _editable(draft_id)
    if refusal is not None:
        return refusal
    found = _request_of(draft, request_id)
    if found is None:
        return _no_request()
    db = get_session()
    try:
        approval.resend(db, found, now(), actor())
    except approval.FlowRefused as exc:
        db.rollback()
        return _refusal(exc.code, draft)
    db.commit()
    return _status(draft)


@bp.route("/drafts/<int:draft_id>/approvals/<int:request_id>/approver", methods=["PUT"],
          tags=["approvals"])
@bp.arguments(ChangeApproverSchema, example={"approver_id": 3})
@bp.response(200, ApprovalStatusSchema)
@documented(400, 401, 403, 404, 409, 422)
@bp.doc(operationId="changeApprover")
def change_approver(data: dict[str, Any], draft_id: int, request_id: int) -> Any:
    """Ask another approver instead of this request's one (admins)."""
    draft, refusal = _editable(draft_id, admin=True)
    if refusal is not None:
        return refusal
    found = _request_of(draft, request_id)
    if found is None:
        return _no_request()
    db = get_session()
    approver = db.get(Approver, data["approver_id"])
    if approver is None:
        return problems.invalid([FieldError("approver_id", "unknown", "Ukendt godkender.",
                                            "Unknown approver.")])
    try:
        approval.change_approver(db, found, approver, now(), actor(), current_user().name)
    except approval.FlowRefused as exc:
        db.rollback()
        return _refusal(exc.code, draft)
    db.commit()
    return _status(draft)
