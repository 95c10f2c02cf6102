"""Which approval deadline applies, said before anyone is asked, and why a draft is held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approval_timing import is_held
from drafts.approvals import (
    ApprovalPolicy,
    Mode,
    Policy,
    deadline_of,
    draft_policy_row,
    effective_policy,
    initiative_default,
)
from drafts.models import Draft, Initiative


@dataclass(frozen=True)
class Hold:
    """A draft held for a person: since when, the deadline it missed."""

    since: datetime
    deadline: datetime | None


def policy_for(session: Session, draft: Draft, initiative_slug: str = "") -> Policy | None:
    """The policy sending would use: the draft's own, else its initiative's (None: unknown)."""
    if draft.id is not None:
        return effective_policy(session, draft)
    initiative = session.scalar(select(Initiative).where(Initiative.slug == initiative_slug))
    return initiative_default(session, initiative.id) if initiative is not None else None


def deadline_if_sent(
    session: Session, draft: Draft, now: datetime, initiative_slug: str = ""
) -> datetime | None:
    """The approval deadline that applies if the draft is sent for approval at `now` (None: no
    time chosen, no outside approver, or the time has passed)."""
    if draft.desired_at is None or draft.desired_at <= now:
        return None
    policy = policy_for(session, draft, initiative_slug)
    if policy is None or policy.mode == Mode.NONE:
        return None
    return deadline_of(draft, policy, asked_at=now)


def hold_of(session: Session, draft: Draft) -> Hold | None:
    """Why the draft is held, if it is (its approval came, or will come, after the deadline)."""
    if draft.id is None or not is_held(session, draft):
        return None
    row = draft_policy_row(session, draft)
    assert row is not None and row.held_at is not None
    return Hold(since=row.held_at, deadline=deadline_of(draft, Policy.of(row)))


def holds_of(session: Session, draft_ids: list[int]) -> dict[int, datetime]:
    """For a page of drafts: which are held, since when."""
    if not draft_ids:
        return {}
    rows = session.execute(
        select(ApprovalPolicy.draft_id, ApprovalPolicy.held_at).where(
            ApprovalPolicy.draft_id.in_(draft_ids), ApprovalPolicy.held_at.is_not(None)
        )
    )
    return {int(i): at for i, at in rows}
