"""The approval flow end to end: send for approval, decisions and what follows, edits, holds.

    send_for_approval  draft → in_review, one request (and one mail) per approver of the policy
    decide_by_link     the approver's decision; a met policy approves the draft and schedules its
                       deliveries in the same transaction (schedules.outbox); a rejection or a
                       comment tells the author; a withdrawn approval takes it off the schedule
    ask_again_after_edit  an edit voids the approvals and asks the same policy again (called by
                       the editing flow, publisher/flows/editing.py)
    admin_approve      policy "no outside approver": an administrator's own approval, audited

Callers commit; mails queued here leave right after that commit (publisher.mail).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approval_decisions import DecisionRefused, Outcome, decide, lock_draft
from drafts.approval_timing import is_held, release
from drafts.approvals import (
    ApprovalRequest,
    Decision,
    Mode,
    Policy,
    PolicyError,
    VoidReason,
    add_request,
    effective_policy,
    ensure_policy_row,
    policy_satisfied,
    request_approval,
    resolve_approvers,
    void_on_edit,
    void_requests,
)
from drafts.models import Approver, ChannelAccount, Draft
from drafts.states import Actor, Status, audit, transition
from publisher.config import current_settings
from publisher.flows import notices
from publisher.flows.firstday import published, rules
from schedules.outbox import ScheduleError, schedule_draft, withdraw

SYSTEM: Actor = ("system", None, "approvals")


class FlowRefused(Exception):
    """The step is not possible for the draft as it is now; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def accounts_for(session: Session, draft: Draft) -> list[ChannelAccount]:
    """Where the draft goes: the central account of each chosen channel, or, for a channel with
    no central account, the accounts of the draft's municipalities."""
    rows = list(session.scalars(select(ChannelAccount).where(
        ChannelAccount.active.is_(True), ChannelAccount.platform.in_(draft.channels or []))
        .order_by(ChannelAccount.id)))
    tagged = {m.id for m in draft.municipalities}
    chosen: list[ChannelAccount] = []
    for platform in draft.channels or []:
        central = [a for a in rows if a.platform == platform and a.municipality_id is None]
        chosen += central or [a for a in rows if a.platform == platform
                              and a.municipality_id in tagged]
    return chosen


def send_for_approval(session: Session, draft: Draft, *, actor: Actor, requested_by: str,
                      now: datetime) -> list[ApprovalRequest]:
    """Send the draft to its approvers (again); raise PolicyError / FlowRefused /
    rules.NotReady (a platform would refuse it, or its time has passed), change nothing."""
    if draft.status not in (Status.DRAFT, Status.IN_REVIEW, Status.REJECTED):
        raise FlowRefused(draft.status)
    rules.ensure_ready(session, current_settings(), draft, now)
    row = ensure_policy_row(session, draft, now, actor[2])
    policy = Policy.of(row)
    approvers, problems = resolve_approvers(session, draft, policy)
    if problems:
        raise PolicyError(problems)
    row.held_at = None
    row.asked_at = now  # the deadline is fitted to the time left from now
    if draft.status == Status.REJECTED:
        transition(session, draft, "reopen", actor=actor, now=now)
    if draft.status == Status.DRAFT:
        transition(session, draft, "submit", actor=actor, now=now)
    if policy.mode == Mode.NONE:
        void_requests(session, draft, now, VoidReason.SUPERSEDED, actor=actor)
        audit(session, action="approval_requested", actor=actor, now=now, draft=draft,
              details={"mode": Mode.NONE.value})
        return []
    requests = request_approval(session, draft, now, requested_by=requested_by,
                                link_days=current_settings().approval_link_days,
                                approvers=approvers, actor=actor)
    for request in requests:
        notices.queue_request(session, request, now)
    reconsider(session, draft, now, actor)  # the approvals kept may already be enough
    return requests


def schedule_or_hold(session: Session, draft: Draft, now: datetime, actor: Actor) -> bool:
    """Schedule an approved draft's deliveries, unless its deadline hold says a person decides."""
    if is_held(session, draft):
        notices.notify_secretariat(session, draft, "approved_late", now)
        return False
    try:
        schedule_draft(session, draft, accounts_for(session, draft), now, actor=actor)
    except ScheduleError as exc:
        audit(session, action="schedule_failed", actor=actor, now=now, draft=draft,
              details={"reason": str(exc)})
        notices.notify_secretariat(session, draft, "not_scheduled", now, who=str(exc))
        return False
    return True


def unapprove(session: Session, draft: Draft, now: datetime, actor: Actor) -> None:
    """Take an approved (or scheduled) draft back to review: its approval no longer holds."""
    if draft.status == Status.SCHEDULED:
        withdraw(session, draft, now, why="approval withdrawn", actor=actor)
    transition(session, draft, "withdraw", actor=actor, now=now)
    transition(session, draft, "submit", actor=actor, now=now)


def follow_up(session: Session, outcome: Outcome, now: datetime) -> None:
    """What a recorded decision sets off: scheduling, unscheduling, telling people."""
    request = outcome.request
    draft, who = request.draft, request.approver.name
    if outcome.approved_now:
        schedule_or_hold(session, draft, now, request.as_actor())
    if outcome.unapproved_now:
        unapprove(session, draft, now, request.as_actor())
    if outcome.decision == Decision.REJECT:
        notices.notify_author(session, draft, "rejected", now, who=who,
                              comment=request.comment)
    elif outcome.decision == Decision.COMMENT:
        notices.notify_author(session, draft, "commented", now, who=who,
                              comment=request.comment)
    elif outcome.decision == Decision.WITHDRAWN:
        notices.notify_author(session, draft, "withdrawn", now, who=who)
        notices.notify_secretariat(session, draft, "withdrawn", now, who=who)


def decide_by_link(session: Session, request: ApprovalRequest, decision: Decision | str,
                   comment: str, now: datetime) -> Outcome:
    """Record an approver's decision and everything it sets off (no commit). Withdrawing or
    rejecting once any delivery is live is refused (DecisionRefused "live")."""
    if Decision(decision) in (Decision.WITHDRAWN, Decision.REJECT) and \
            published.live_count(session, request.draft_id):
        raise DecisionRefused("live")
    outcome = decide(session, request, decision, comment, now)
    if outcome.changed:
        follow_up(session, outcome, now)
    return outcome


def reconsider(session: Session, draft: Draft, now: datetime, actor: Actor) -> bool:
    """Approve a draft in review whose (changed) policy is now met; True if it was."""
    draft = lock_draft(session, draft.id)
    if draft.status != Status.IN_REVIEW or not policy_satisfied(session, draft):
        return False
    transition(session, draft, "approve", actor=actor, now=now)
    schedule_or_hold(session, draft, now, actor)
    return True


def admin_approve(session: Session, draft: Draft, now: datetime, actor: Actor) -> None:
    """An administrator's own approval, for a policy without outside approvers (audited)."""
    draft = lock_draft(session, draft.id)
    if effective_policy(session, draft).mode != Mode.NONE:
        raise FlowRefused("outside_approvers")
    if draft.status not in (Status.DRAFT, Status.IN_REVIEW):
        raise FlowRefused(draft.status)
    rules.ensure_ready(session, current_settings(), draft, now)
    transition(session, draft, "approve", actor=actor, now=now)
    audit(session, action="approved_without_outside_approver", actor=actor, now=now,
          draft=draft, details={"policy": Mode.NONE.value})
    schedule_or_hold(session, draft, now, actor)


def resend(session: Session, request: ApprovalRequest, now: datetime, actor: Actor) -> None:
    """Mail the approver again with a new link (the older link stops working)."""
    if not request.live or request.content_hash != request.draft.content_hash:
        raise FlowRefused("voided")
    notices.queue_request(session, request, now)
    audit(session, action="approval_resent", actor=actor, now=now, draft=request.draft,
          details={"request": request.id, "approver": request.approver.name})


def change_approver(session: Session, request: ApprovalRequest, approver: Approver,
                    now: datetime, actor: Actor, requested_by: str) -> ApprovalRequest:
    """Ask `approver` instead of the request's approver (the old request is voided)."""
    draft = lock_draft(session, request.draft_id)
    if draft.status != Status.IN_REVIEW or not request.live:
        raise FlowRefused(draft.status if request.live else "voided")
    if not approver.active or not approver.email:
        raise FlowRefused("inactive_approver")
    request.voided_at, request.void_reason = now, VoidReason.APPROVER_CHANGED.value
    new = add_request(session, draft, approver, now, requested_by=requested_by,
                      link_days=current_settings().approval_link_days)
    session.flush()
    audit(session, action="approver_changed", actor=actor, now=now, draft=draft,
          details={"from": request.approver.name, "to": approver.name, "request": new.id})
    notices.queue_request(session, new, now)
    return new


def release_hold(session: Session, draft: Draft, now: datetime, actor: Actor) -> bool:
    """Lift a deadline hold; schedule the draft if it is approved. True when it was scheduled."""
    draft = lock_draft(session, draft.id)
    if draft.status == Status.APPROVED and draft.desired_at is not None and \
            draft.desired_at <= now:
        raise FlowRefused("time_passed")
    release(session, draft, now, actor)
    if draft.status == Status.APPROVED:
        return schedule_or_hold(session, draft, now, actor)
    return False


def ask_again_after_edit(session: Session, draft: Draft, now: datetime) -> None:
    """Void the approvals of older versions and ask the same policy again (no commit)."""
    voided = void_on_edit(session, draft, now)
    if not voided or any(r.decision == Decision.REJECT for r in voided):
        return  # never asked, or rejected: the author sends it again when it is ready
    if draft.status != Status.DRAFT:
        return
    try:
        send_for_approval(session, draft, actor=SYSTEM, now=now,
                          requested_by=voided[0].requested_by)
    except (PolicyError, FlowRefused, rules.NotReady) as exc:
        audit(session, action="approval_not_requested", actor=SYSTEM, now=now, draft=draft,
              details={"reason": str(exc)})
        notices.notify_secretariat(session, draft, "not_asked", now, who=str(exc))
