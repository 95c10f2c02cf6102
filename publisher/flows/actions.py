"""What a person's action on a draft sets off, the same from the web UI and the JSON API.

A bare status change is not enough for most actions: sending for approval mails the approvers,
an administrator's approval schedules the deliveries, cancelling withdraws them. This module is
the one place that knows which flow each action belongs to. Callers commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from drafts.approvals import PolicyError, VoidReason, void_requests
from drafts.models import Draft, User
from drafts.states import (
    ADMIN_ACTIONS,
    SYSTEM_ACTIONS,
    TRANSITIONS,
    Actor,
    InvalidTransition,
    Status,
)
from drafts.states import transition as bare_transition
from publisher.config import current_settings
from publisher.flows.approval import FlowRefused, admin_approve, schedule_or_hold, send_for_approval
from publisher.flows.editing import cancel
from publisher.flows.firstday import published, rules
from publisher.flows.firstday.rules import RuleProblem
from schedules.outbox import unschedule, withdraw

KNOWN_ACTIONS = frozenset(a for moves in TRANSITIONS.values() for a in moves)


class ActionRefused(Exception):
    """The action cannot be done now; `status` is the HTTP status, the message says why."""

    def __init__(self, status: int, code: str, da: str, en: str,
                 problems: Sequence[RuleProblem] = ()) -> None:
        super().__init__(en)
        self.status = status
        self.code = code
        self.da = da
        self.en = en
        self.problems = list(problems)  # the platform rules broken, channel by channel

    def message(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da


def check_allowed(user: User, draft: Draft, action: str) -> None:
    """Refuse (403) what this user may never do to this draft."""
    if action in SYSTEM_ACTIONS:
        raise ActionRefused(403, "system_action", "Kun systemet udgiver.",
                            "Only the system publishes.")
    if not user.may_edit(draft):
        raise ActionRefused(403, "not_yours", "Du kan ikke ændre denne kladde.",
                            "You cannot change this draft.")
    if action in ADMIN_ACTIONS and not user.is_admin:
        raise ActionRefused(403, "admin_only", "Kun administratorer kan godkende direkte.",
                            "Only administrators can approve directly.")


def refused_for_rules(exc: rules.NotReady) -> ActionRefused:
    """The platform rules a draft breaks, as a refusal naming each channel and rule (422)."""
    return ActionRefused(422, exc.code, exc.message("da"), exc.message("en"),
                         problems=exc.problems)


def perform(session: Session, draft: Draft, action: str, *, user: User, actor: Actor,
            now: datetime, note: str = "") -> None:
    """Carry out `action` on `draft` with everything it sets off (no commit)."""
    if action not in KNOWN_ACTIONS:
        raise ActionRefused(400, "unknown_action", "Ukendt handling.", "Unknown action.")
    check_allowed(user, draft, action)
    if action not in TRANSITIONS[Status(draft.status)]:
        raise InvalidTransition(draft.status, action)
    if action in published.UNDOING:
        try:
            published.refuse_if_live(session, draft.id)
        except published.AlreadyLive as exc:
            raise ActionRefused(409, exc.code, exc.message("da"), exc.message("en")) from None
    try:
        if action == "schedule":  # the flows check submit and approve themselves
            rules.ensure_ready(session, current_settings(), draft, now)
        _dispatch(session, draft, action, user=user, actor=actor, now=now, note=note)
    except rules.NotReady as exc:
        raise refused_for_rules(exc) from None
    except PolicyError as exc:
        raise ActionRefused(
            422, "no_approvers",
            "Kladden kan ikke sendes til godkendelse: " + "; ".join(p.da for p in exc.problems),
            "The draft cannot be sent for approval: " + "; ".join(p.en for p in exc.problems),
        ) from None
    except FlowRefused as exc:
        if exc.code == "outside_approvers":
            raise ActionRefused(
                409, exc.code,
                "Kladden skal godkendes af dens politiske godkendere (se Godkendelse).",
                "This draft must be approved by its outside approvers (see Approvals).",
            ) from None
        raise InvalidTransition(draft.status, action) from None


def _dispatch(session: Session, draft: Draft, action: str, *, user: User, actor: Actor,
              now: datetime, note: str) -> None:
    if action == "submit":
        send_for_approval(session, draft, actor=actor, requested_by=user.name, now=now)
    elif action == "approve":
        admin_approve(session, draft, now, actor)
    elif action == "schedule":
        if not schedule_or_hold(session, draft, now, actor):
            raise ActionRefused(
                409, "not_scheduled",
                "Kladden kunne ikke planlægges (se historikken); sekretariatet har fået besked.",
                "The draft could not be scheduled (see its history); the secretariat was told.",
            )
    elif action == "unschedule":
        unschedule(session, draft, now, actor=actor)
    elif action == "cancel":
        cancel(session, draft, now, actor=actor)
    elif action == "withdraw":
        void_requests(session, draft, now, VoidReason.WITHDRAWN, actor=actor)
        if draft.status == Status.SCHEDULED:
            withdraw(session, draft, now, why="withdrawn to draft", actor=actor)
        bare_transition(session, draft, action, actor=actor, now=now, note=note)
    else:  # reject, reopen: a status change and nothing more
        bare_transition(session, draft, action, actor=actor, now=now, note=note)
