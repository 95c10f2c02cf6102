"""Words for the approval pages: history entries, refusals, and "what happens next"."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from drafts.approval_timing import is_held
from drafts.approvals import ApprovalRequest, Decision, Policy, Rule, current_requests
from drafts.states import Status
from publisher.flows.delivery_views import deliveries_of
from publisher.flows.firstday import published
from publisher.i18n import local_datetime
from publisher.web.labels import APPROVAL_EVENTS, EVENT_LABELS, label

# A long, readable time without seconds or zone name (the pages say "Copenhagen time").


def long_time(value: Any) -> str:
    """A UTC instant as a long Copenhagen time in the current language."""
    if value is None:
        return ""
    return local_datetime(value)


def event_detail(action: str, details: dict[str, Any]) -> str:
    """The words a history entry adds: whom was asked, a comment."""
    if action == "approval_requested" and details.get("approvers"):
        return ", ".join(str(n) for n in details["approvers"])
    if action == "approver_changed":
        return f"{details.get('from', '')} → {details.get('to', '')}"
    if details.get("comment"):
        return f"“{details['comment']}”"
    return ""


def event_text(action: str) -> str:
    """A history entry's words."""
    if action in APPROVAL_EVENTS:
        return str(APPROVAL_EVENTS[action])
    return label(EVENT_LABELS, action)


def decision_text(decision: str | None) -> str:
    return {
        Decision.APPROVE.value: _("Approved"), Decision.REJECT.value: _("Rejected"),
        Decision.COMMENT.value: _("Commented"), Decision.WITHDRAWN.value: _("Withdrew approval"),
    }.get(decision or "", _("Not answered yet"))


def refused_text(code: str) -> str:
    """Why a decision could not be recorded."""
    return {
        "voided": _("This request is no longer open: the text has changed or someone else has "
                    "been asked. Nothing was recorded."),
        "changed": _("The text has changed since you were asked. Nothing was recorded."),
        "published": _("It has already been published, so it can no longer be changed here."),
        "cancelled": _("The draft has been cancelled. Nothing will be published."),
        "expired": _("The link has expired. Ask the secretariat for a new one."),
        "already_decided": _("You have already answered, so this answer was not recorded. Ask "
                             "the secretariat if you have changed your mind."),
        "comment_required": _("Write a comment before you send it."),
        "live": _("It is already published on one or more channels, so the approval can no "
                  "longer be withdrawn and it can no longer be rejected here. Contact the "
                  "secretariat if it must be removed."),
    }.get(code, _("That is not possible now."))


def _when(draft: Any) -> str:
    if draft.desired_at is None:
        return _("as soon as possible")
    return long_time(draft.desired_at)


def what_next(session: Session, request: ApprovalRequest, policy: Policy) -> str:
    """After (or before) a decision: what will happen, in plain words."""
    draft = request.draft
    if draft.status == Status.PUBLISHED:
        return _("It has been published.")
    done = published.progress(deliveries_of(session, draft))
    if done is not None and done.published:
        return _("Published on %(n)s of %(total)s channels.", n=done.published, total=done.total)
    if draft.status == Status.CANCELLED:
        return _("The draft has been cancelled. Nothing will be published.")
    decision = request.decision
    if draft.status == Status.REJECTED and decision != Decision.REJECT:
        return _("It was rejected, and the author has been told. You will get a new email if a "
                 "new version needs your approval.")
    if decision is None or decision == Decision.COMMENT:
        return _("Read it through and answer below. Nothing is published without the approval "
                 "it needs.")
    if decision == Decision.REJECT:
        return _("You rejected it, and the author has been told. Nothing is published unless a "
                 "new version is approved.")
    if decision == Decision.WITHDRAWN:
        return _("You withdrew your approval. It will not be published unless it is approved "
                 "again.")
    if draft.status == Status.SCHEDULED:
        return _("You approved it. It will be published %(when)s.", when=_when(draft))
    if draft.status == Status.APPROVED and is_held(session, draft):
        return _("You approved it. The deadline had passed, so the secretariat will choose a new "
                 "time before it is published.")
    if draft.status == Status.APPROVED:
        return _("You approved it. The secretariat will schedule it.")
    requests = current_requests(session, draft)
    approved = sum(1 for r in requests if r.decision == Decision.APPROVE)
    if policy.rule == Rule.ALL:
        return _("You approved it. It will be published when all approvers have approved "
                 "(%(done)s of %(total)s so far).", done=approved, total=len(requests))
    return _("You approved it.")
