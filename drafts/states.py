"""The draft lifecycle: every status change goes through `transition`, which audits it.

    draft → in_review → approved → scheduled → published
    with rejected and cancelled; an edit of what will be published sends an item back to draft.
Per-delivery states (failed, unconfirmed, held) belong to schedules/.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from drafts.models import AuditEvent, Draft

# Who did something, for the audit trail: (type, id, label), e.g. ("user", 7, "mette").
Actor = tuple[str, int | None, str]


class Status(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# status → {action: next status}. Actions are what people (or the system) do.
TRANSITIONS: dict[Status, dict[str, Status]] = {
    Status.DRAFT: {"submit": Status.IN_REVIEW, "approve": Status.APPROVED,
                   "cancel": Status.CANCELLED},
    Status.IN_REVIEW: {"approve": Status.APPROVED, "reject": Status.REJECTED,
                       "withdraw": Status.DRAFT, "cancel": Status.CANCELLED},
    Status.APPROVED: {"schedule": Status.SCHEDULED, "withdraw": Status.DRAFT,
                      "cancel": Status.CANCELLED},
    Status.SCHEDULED: {"publish": Status.PUBLISHED, "unschedule": Status.APPROVED,
                       "withdraw": Status.DRAFT, "cancel": Status.CANCELLED},
    Status.PUBLISHED: {},
    Status.REJECTED: {"reopen": Status.DRAFT, "cancel": Status.CANCELLED},
    Status.CANCELLED: {"reopen": Status.DRAFT},
}

# Actions only the system (worker, approval flow) performs, never a person through the UI/API.
SYSTEM_ACTIONS = frozenset({"publish"})
# Actions that need the admin role when a person performs them.
ADMIN_ACTIONS = frozenset({"approve"})
# Statuses in which the content may still be edited by a person.
EDITABLE = frozenset({Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED,
                      Status.REJECTED})


class InvalidTransition(Exception):
    """The action is not possible from the draft's current status."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action} a draft that is {status}")
        self.status = status
        self.action = action


def allowed_actions(status: str, *, is_admin: bool = False) -> list[str]:
    """Actions a person may take on a draft in `status`."""
    actions = TRANSITIONS[Status(status)]
    return [
        a for a in actions
        if a not in SYSTEM_ACTIONS and (is_admin or a not in ADMIN_ACTIONS)
    ]


def audit(
    session: Session,
    *,
    action: str,
    actor: Actor,
    now: datetime,
    draft: Draft | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event; `actor` is (type, id, label)."""
    event = AuditEvent(
        at=now,
        actor_type=actor[0],
        actor_id=actor[1],
        actor_label=actor[2],
        action=action,
        draft_id=draft.id if draft is not None else None,
        version=draft.version if draft is not None else None,
        details=details or {},
    )
    session.add(event)
    return event


def transition(
    session: Session,
    draft: Draft,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    note: str = "",
) -> Status:
    """Move `draft` by `action`, audit it, and return the new status."""
    current = Status(draft.status)
    target = TRANSITIONS[current].get(action)
    if target is None:
        raise InvalidTransition(current.value, action)
    draft.status = target.value
    draft.updated_at = now
    session.flush()
    details: dict[str, Any] = {"from": current.value, "to": target.value}
    if note:
        details["note"] = note
    audit(session, action=action, actor=actor, now=now, draft=draft, details=details)
    return target
