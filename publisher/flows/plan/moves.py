"""Moving an item in the calendar: check, then reschedule through the one reschedule path.

A move is refused (nothing changed) when the item can no longer move, the time has passed, a
quiet period covers it, a channel's own `validate()` refuses the post at that time, or the
approvers would have no time left. Otherwise the item is rescheduled by the one editing use case
(`publisher.flows.editing.reschedule`): the desired time and the not-started deliveries move
together; then a deadline hold is
lifted (and approval asked again) when the new time gives the approvers time again.
Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from channels.base import Problem
from drafts.approval_timing import is_held, release
from drafts.approvals import Decision, Mode, current_requests, effective_policy
from drafts.localtime import AmbiguousLocalTime, NonexistentLocalTime, local_to_utc
from drafts.models import Draft
from drafts.states import Actor, Status
from publisher.config import Settings
from publisher.flows import approval as approval_flow
from publisher.flows import editing
from publisher.flows.accounts import build_adapter
from publisher.flows.plan.calendar import MOVABLE
from schedules.models import Delivery
from schedules.plan import QuietPeriod
from schedules.posts import build_post
from schedules.slots import parse_hhmm, quiet_periods_for


class MoveRefused(Exception):
    """The move is not possible; `code` says why and the other fields give the details."""

    def __init__(
        self,
        code: str,
        *,
        deadline: datetime | None = None,
        quiet: list[QuietPeriod] | None = None,
        problems: list[tuple[str, Problem]] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.deadline = deadline
        self.quiet = quiet or []
        self.problems = problems or []


@dataclass
class MoveResult:
    """What a move did and implies."""

    before: datetime | None
    after: datetime
    moved: list[Delivery] = field(default_factory=list)
    deadline: datetime | None = None  # when the approvers must have decided (None: no deadline)
    approval_asked_again: bool = False
    scheduled_again: bool = False


def platform_problems(
    session: Session, draft: Draft, when: datetime, settings: Settings
) -> list[tuple[str, Problem]]:
    """(account name, problem) for each rule a target account's adapter says `draft` breaks at
    `when`: the adapters' own `validate()`, never a copy of their rules."""
    found = []
    for account in approval_flow.accounts_for(session, draft):
        probe = Delivery(channel=account.platform, due_at=when, marker="calendar-check", state={})
        probe.draft = draft  # transient: never added to the session
        post = build_post(probe, public_base_url=settings.base_url, upload_dir=settings.upload_dir)
        found += [(account.name, p) for p in build_adapter(settings, account).validate(post)]
    return found


def approval_deadline(session: Session, draft: Draft, when: datetime) -> datetime | None:
    """When approval must be in if the item goes out at `when` (None: no outside approver)."""
    policy = effective_policy(session, draft)
    if policy.mode == Mode.NONE:
        return None
    return when - timedelta(hours=policy.deadline_hours)


def check_move(
    session: Session, draft: Draft, when: datetime, now: datetime, settings: Settings
) -> datetime | None:
    """Raise MoveRefused when `draft` cannot go out at `when`; return the approval deadline."""
    if draft.status not in MOVABLE:
        raise MoveRefused("not_movable")
    if when <= now:
        raise MoveRefused("in_past")
    quiet = quiet_periods_for(session, draft, when)
    if quiet:
        raise MoveRefused("quiet_period", quiet=quiet)
    errors = [
        (a, p) for a, p in platform_problems(session, draft, when, settings) if p.level == "error"
    ]
    if errors:
        raise MoveRefused("platform", problems=errors)
    deadline = approval_deadline(session, draft, when)
    if draft.status == Status.IN_REVIEW and deadline is not None and deadline <= now:
        raise MoveRefused("deadline_passed", deadline=deadline)
    return deadline


def move(
    session: Session,
    draft: Draft,
    when: datetime,
    now: datetime,
    *,
    actor: Actor,
    settings: Settings,
) -> MoveResult:
    """Check and move `draft` to `when` (UTC); raise MoveRefused and change nothing if not."""
    deadline = check_move(session, draft, when, now, settings)
    result = MoveResult(before=draft.desired_at, after=when, deadline=deadline)
    result.moved = editing.reschedule(session, draft, when, now, actor=actor)
    if is_held(session, draft) and (deadline is None or deadline > now):
        # The hold was for a deadline that has now moved out of the way.
        release(session, draft, now, actor)
        if draft.status == Status.IN_REVIEW:
            for request in current_requests(session, draft):
                if request.decision in (None, Decision.COMMENT.value):
                    approval_flow.resend(session, request, now, actor)
                    result.approval_asked_again = True
        elif draft.status == Status.APPROVED:
            result.scheduled_again = approval_flow.schedule_or_hold(session, draft, now, actor)
    return result


def parse_local(day: str, at: str, fold: str, zone: ZoneInfo) -> datetime:
    """A local date and 'HH:MM' from a form → UTC; MoveRefused('not_a_time' | 'gap' |
    'ambiguous') when it is not one instant (`deadline` carries the gap's suggestion)."""
    try:
        naive = datetime.combine(date.fromisoformat(day.strip()), parse_hhmm(at.strip()))
        if not 2000 <= naive.year <= 2100:
            raise ValueError(day)
    except ValueError:
        raise MoveRefused("not_a_time") from None
    try:
        return local_to_utc(naive, zone, int(fold) if fold in ("0", "1") else None)
    except NonexistentLocalTime as exc:
        raise MoveRefused("gap", deadline=exc.suggestion) from None
    except AmbiguousLocalTime:
        raise MoveRefused("ambiguous") from None
