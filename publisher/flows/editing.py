"""Editing a draft: one function per use case, each doing its steps visibly and in this order.

    create_draft  a new draft from checked input
    edit_draft    apply an edit; when what will be published changed: (1) the draft service bumps
                  the version and sends the draft back to draft, (2) the outbox withdraws the
                  deliveries not started and flags those in flight, (3) the approvals of older
                  versions are voided and the same policy is asked again. When only the desired
                  time changed, the outbox moves the scheduled deliveries not yet started.
    reschedule    move the desired time (and a scheduled draft's deliveries not yet started)
    cancel        void the live approval requests, cancel the draft and withdraw its deliveries

Asking again mails the approvers, so the default step needs an app context; it is an argument
(`ask_again`) so that a caller can pass its own. Callers commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from drafts import service
from drafts.approvals import VoidReason, void_requests
from drafts.models import Draft, Media
from drafts.states import EDITABLE, Actor, Status
from drafts.validation import DraftInput
from publisher.flows import approval
from schedules import outbox
from schedules.models import Delivery
from schedules.plan import QuietPeriod
from schedules.slots import quiet_periods_for

AskAgain = Callable[[Session, Draft, datetime], None]
# Statuses whose deliveries follow a change of the desired time at once.
ON_THE_WAY = (Status.APPROVED.value, Status.SCHEDULED.value)


class InQuietPeriod(Exception):
    """The new time of an item already on its way falls in a quiet period; nothing changed."""

    def __init__(self, periods: list[QuietPeriod]) -> None:
        super().__init__(", ".join(p.title for p in periods))
        self.periods = periods


def _refuse_quiet(session: Session, draft: Draft, when: datetime | None) -> None:
    if when is None or draft.status not in ON_THE_WAY:
        return
    periods = quiet_periods_for(session, draft, when)
    if periods:
        raise InQuietPeriod(periods)


def create_draft(session: Session, data: DraftInput, *, actor: Actor, author_id: int | None,
                 now: datetime, media: list[Media] | None = None) -> Draft:
    """Create a draft from checked input (no commit)."""
    return service.create_draft(session, data, actor=actor, author_id=author_id, now=now,
                                media=media)


def edit_draft(
    session: Session, draft: Draft, data: DraftInput, *, actor: Actor, now: datetime,
    new_media: list[Media] | None = None, remove_media: set[int] | None = None,
    alt_texts: dict[int, str] | None = None,
    ask_again: AskAgain = approval.ask_again_after_edit,
) -> list[str]:
    """Apply an edit and what it sets off; return the changed published fields (no commit).

    Raises InQuietPeriod (before changing anything) when a scheduled item is moved into one."""
    if data.desired_at != draft.desired_at:
        _refuse_quiet(session, draft, data.desired_at)
    desired_before = draft.desired_at
    changed = service.update_draft(session, draft, data, actor=actor, now=now,
                                   new_media=new_media, remove_media=remove_media,
                                   alt_texts=alt_texts)
    if changed:
        outbox.withdraw_after_edit(session, draft, now)
        ask_again(session, draft, now)
    elif draft.desired_at != desired_before:
        outbox.follow_desired_time(session, draft, now)
    return changed


def reschedule(session: Session, draft: Draft, due_at: datetime, now: datetime, *,
               actor: Actor) -> list[Delivery]:
    """Move the desired time and the deliveries not yet started; return those moved."""
    if Status(draft.status) not in EDITABLE:
        raise service.NotEditable(draft.status)
    _refuse_quiet(session, draft, due_at)
    return outbox.reschedule(session, draft, due_at, now, actor=actor)


def cancel(session: Session, draft: Draft, now: datetime, *, actor: Actor) -> None:
    """Cancel the draft: its approval links stop working and its deliveries are withdrawn."""
    void_requests(session, draft, now, VoidReason.WITHDRAWN, actor=actor)
    outbox.cancel_draft(session, draft, now, actor=actor)
