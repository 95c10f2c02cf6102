"""Running one claimed delivery: reconcile if the platform may have it, publish, record the outcome.

Each step is its own short transaction, fenced by the claim token, and no transaction is open
while an adapter talks to its platform:

    start      check the claim, the content and the lateness; open an Attempt row; commit
    (platform) find_existing and/or publish; every platform id is checkpointed at once
    finish     write the outcome on the delivery and the Attempt; maybe publish the draft; commit

What an error means decides what happens next (DESIGN §5):
    RETRYABLE  → scheduled again after a jittered backoff (≥ Retry-After); failed after max tries
    PERMANENT  → failed at once, and the secretariat is told (`notify("failed", delivery)`)
    UNKNOWN    → unconfirmed: the next run asks find_existing before anything is sent again
and find_existing answers: found → published; None → publish; an error → held for a person.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import takewhile
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from channels.base import Adapter, Cause, ChannelError, ErrorKind, Post, Published, cause_of
from drafts.models import Draft, utcnow
from drafts.states import Actor, Status, audit, transition
from schedules.claim import Claim
from schedules.models import Attempt, Delivery, DeliveryStatus, HeldReason
from schedules.posts import AdapterFactory, build_post
from schedules.retry import backoff_seconds
from schedules.settings import ScheduleSettings

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
Notify = Callable[[str, Any], None]
Clock = Callable[[], datetime]
WORKER: Actor = ("system", None, "worker")


class LeaseLost(Exception):
    """Another worker has taken the delivery over; stop without writing anything more."""


def _ignore(kind: str, subject: Any) -> None:
    pass


@dataclass
class Dispatch:
    """What run_delivery needs besides the claim: where to write, how to call, whom to tell."""

    sessions: SessionFactory
    adapter_factory: AdapterFactory
    settings: ScheduleSettings = field(default_factory=ScheduleSettings)
    notify: Notify = _ignore
    worker_id: str = ""
    clock: Clock = utcnow
    rng: random.Random = field(default_factory=random.Random)


def run_delivery(dispatch: Dispatch, claim: Claim) -> str:
    """Run one claimed delivery to its next resting state; return the outcome word."""
    return _Run(dispatch, claim).run()


class _Run:
    def __init__(self, dispatch: Dispatch, claim: Claim) -> None:
        self.d = dispatch
        self.claim = claim
        self.post: Post | None = None
        self.adapter: Adapter | None = None
        self.attempt_id = 0
        self.to_notify: list[tuple[str, Delivery]] = []

    # the steps ------------------------------------------------------------------------------

    def run(self) -> str:
        try:
            outcome = self._start()
            if outcome is None and self.claim.needs_reconcile:
                found = self._reconcile()
                outcome = self._begin_publish() if found == "absent" else found
            if outcome is None:
                outcome = self._publish()
        except LeaseLost:
            log.warning("delivery %s: lease lost; another worker reconciles it",
                        self.claim.delivery_id)
            outcome = "lost_lease"
        if outcome == "failed":
            self._discard_leftovers()
        for kind, delivery in self.to_notify:
            try:
                self.d.notify(kind, delivery)
            except Exception:  # the outcome is recorded; a mail problem must not undo that
                log.exception("delivery %s: could not notify %s", delivery.id, kind)
        return outcome

    def _start(self) -> str | None:
        """Check the claim and what may be done; open the attempt. None: go on."""
        with self.d.sessions() as s:
            d = self._fenced(s)
            now = self.d.clock()
            if self.claim.needs_reconcile:
                if d.draft.content_hash != d.content_hash:
                    return self._held(s, d, HeldReason.CONTENT_CHANGED, "content changed while "
                                      "the outcome was unknown; cannot match the old text")
                self._open_attempt(s, d, "reconcile", now)
            else:
                stop = self._may_publish(s, d, now)
                if stop is not None:
                    return stop
            return self._prepare(s, d)

    def _may_publish(self, s: Session, d: Delivery, now: datetime) -> str | None:
        """Refuse a publish the draft no longer wants, or one that is too late; else open it."""
        draft = d.draft
        if draft.content_hash != d.content_hash or draft.status != Status.SCHEDULED:
            self._open_attempt(s, d, "publish", now)
            return self._finish(s, d, DeliveryStatus.CANCELLED, "cancelled",
                                detail=f"draft is {draft.status}; content or approval changed")
        late = now - (d.next_attempt_at or d.due_at)
        if d.attempts == 0 and late > self.d.settings.lateness:
            self._open_attempt(s, d, "publish", now)
            return self._held(s, d, HeldReason.LATE, f"{int(late.total_seconds())} s late")
        if d.attempts >= self.d.settings.max_attempts:
            self._open_attempt(s, d, "publish", now)
            reason = d.last_error if d.last_error not in ("", "outcome_unknown") else (
                "platform_unavailable")
            return self._failed(s, d, reason, "no tries left; the platform never confirmed")
        d.attempts += 1
        self._open_attempt(s, d, "publish", now)
        return None

    def _prepare(self, s: Session, d: Delivery) -> str | None:
        """Build the post and the adapter (no network), then commit the start."""
        first = s.scalar(select(func.min(Attempt.started_at)).where(Attempt.delivery_id == d.id))
        settings = self.d.settings
        self.post = build_post(
            d, public_base_url=settings.public_base_url, upload_dir=settings.upload_dir,
            created_after=min(first, d.due_at) if first else d.due_at,
        )
        self.post.checkpoint = self._checkpoint
        try:
            self.adapter = self.d.adapter_factory(d.account)
        except ChannelError as exc:
            return self._failed(s, d, exc.reason, exc.detail)
        except (KeyError, ValueError) as exc:
            return self._failed(s, d, "misconfigured", f"cannot build the adapter: {exc!r}")
        s.commit()
        return None

    def _begin_publish(self) -> str | None:
        """After reconciliation found nothing: open a publish attempt (same checks as start)."""
        with self.d.sessions() as s:
            d = self._fenced(s)
            stop = self._may_publish(s, d, self.d.clock())
            if stop is not None:
                return stop
            s.commit()
            return None

    def _reconcile(self) -> str:
        assert self.adapter is not None and self.post is not None
        try:
            found = self.adapter.find_existing(self.post)
        except ChannelError as exc:
            return self._after_lookup_error(exc.kind, exc.reason, exc.detail, exc.retry_after)
        except LeaseLost:
            raise
        except Exception as exc:  # a bug in an adapter must not become a guess
            log.exception("delivery %s: find_existing crashed", self.claim.delivery_id)
            return self._after_lookup_error(ErrorKind.UNKNOWN, "platform_error", repr(exc), None)
        if found is not None:
            return self._published(found, "found")
        with self.d.sessions() as s:
            self._fenced(s)
            self._close_attempt(s, "absent", "", "")
            s.commit()
        return "absent"

    def _publish(self) -> str:
        assert self.adapter is not None and self.post is not None
        try:
            published = self.adapter.publish(self.post)
        except ChannelError as exc:
            return self._after_error(exc)
        except LeaseLost:
            raise
        except Exception as exc:  # the call may have gone through before the crash
            log.exception("delivery %s: publish crashed", self.claim.delivery_id)
            return self._after_error(ChannelError(ErrorKind.UNKNOWN, "outcome_unknown", repr(exc)))
        return self._published(published, "published")

    # outcomes -------------------------------------------------------------------------------

    def _after_error(self, exc: ChannelError) -> str:
        if exc.kind == ErrorKind.PERMANENT and exc.reason == "duplicate":
            found = self._lookup_quietly()  # X: "duplicate" means it is probably there already
            if found is not None:
                return self._published(found, "found")
        with self.d.sessions() as s:
            d = self._fenced(s)
            now = self.d.clock()
            if exc.kind == ErrorKind.RETRYABLE and not exc.costs_attempt:
                # A step that shows nothing was cut short; the adapter finds its result by
                # lookup next time, so neither the budget nor a reconciliation is spent on it.
                d.attempts = max(0, d.attempts - 1)
                d.next_attempt_at = now + timedelta(seconds=exc.retry_after or 1.0)
                return self._finish(s, d, DeliveryStatus.SCHEDULED, "retry", exc.reason,
                                    exc.detail)
            if exc.kind == ErrorKind.RETRYABLE:
                if d.attempts >= self.d.settings.max_attempts:
                    return self._failed(s, d, exc.reason, exc.detail)
                delay = self._backoff(d.attempts, exc.retry_after)
                d.next_attempt_at = now + timedelta(seconds=delay)
                return self._finish(s, d, DeliveryStatus.SCHEDULED, "retry", exc.reason,
                                    exc.detail)
            if exc.kind == ErrorKind.UNKNOWN:
                d.next_attempt_at = now + timedelta(seconds=self.d.settings.unconfirmed_delay)
                return self._finish(s, d, DeliveryStatus.UNCONFIRMED, "unconfirmed", exc.reason,
                                    exc.detail)
            if exc.cause == Cause.CONFIGURATION:
                self._weigh_account_evidence(s, d, exc.reason, now)
            return self._failed(s, d, exc.reason, exc.detail)

    def _weigh_account_evidence(self, s: Session, d: Delivery, reason: str,
                                now: datetime) -> None:
        """Mark the account failing once enough permanent account errors came in a row.

        One answer can be a proxy's or a passing glitch; `account_failing_after` publish tries
        in a row on this account (this one included) that all failed with a configuration
        cause are evidence. Any other finished try in between breaks the run.
        """
        needed = self.d.settings.account_failing_after
        earlier = s.execute(
            select(Attempt.outcome, Attempt.error)
            .join(Delivery, Delivery.id == Attempt.delivery_id)
            .where(Delivery.account_id == d.account_id, Attempt.action == "publish",
                   Attempt.finished_at.is_not(None), Attempt.id != self.attempt_id)
            .order_by(Attempt.finished_at.desc(), Attempt.id.desc())
            .limit(max(needed - 1, 0))
        ).all()
        in_a_row = 1 + len(list(takewhile(
            lambda row: row.outcome == "failed" and cause_of(row.error) == Cause.CONFIGURATION,
            earlier)))
        if in_a_row >= needed:
            d.account.health = "failing"
            d.account.health_detail = reason
            d.account.checked_at = now

    def _after_lookup_error(
        self, kind: ErrorKind, reason: str, detail: str, retry_after: float | None
    ) -> str:
        """find_existing could not answer: a passing failure asks again later, else a person."""
        with self.d.sessions() as s:
            d = self._fenced(s)
            tries = s.scalar(select(func.count(Attempt.id)).where(
                Attempt.delivery_id == d.id, Attempt.action == "reconcile")) or 0
            if kind == ErrorKind.RETRYABLE and tries < self.d.settings.max_attempts:
                delay = self._backoff(tries, retry_after)
                d.next_attempt_at = self.d.clock() + timedelta(seconds=delay)
                return self._finish(s, d, DeliveryStatus.UNCONFIRMED, "retry", reason, detail)
            d.last_error, d.last_error_detail = reason, detail
            return self._held(s, d, HeldReason.CANNOT_TELL, detail, error=reason)

    def _discard_leftovers(self) -> None:
        """Ask the adapter to remove what the failed delivery left; keep a list of the rest."""
        if self.adapter is None or self.post is None:
            return
        self.post.checkpoint = None  # the claim is released; the state is written below
        try:
            left = self.adapter.discard(self.post)
        except Exception:  # cleaning up is a courtesy; the failure is already recorded
            log.exception("delivery %s: could not clean up", self.claim.delivery_id)
            left = ["(cleanup failed; see the log)"]
        state = dict(self.post.state)
        if left:
            state["leftovers"] = left
        with self.d.sessions() as s:
            s.execute(update(Delivery)
                      .where(Delivery.id == self.claim.delivery_id,
                             Delivery.status == DeliveryStatus.FAILED.value)
                      .values(state=state)
                      .execution_options(synchronize_session=False))
            s.commit()

    def _lookup_quietly(self) -> Published | None:
        assert self.adapter is not None and self.post is not None
        try:
            return self.adapter.find_existing(self.post)
        except ChannelError:
            return None

    def _published(self, published: Published, outcome: str) -> str:
        with self.d.sessions() as s:
            d = self._fenced(s)
            now = self.d.clock()
            d.external_id = published.external_id
            d.external_url = published.url or ""
            d.published_at = now
            d.last_error = d.last_error_detail = ""
            d.next_attempt_at = None
            result = self._finish(s, d, DeliveryStatus.PUBLISHED, outcome, commit=False)
            _maybe_publish_draft(s, d.draft_id, now)
            s.commit()
            return result

    def _failed(self, s: Session, d: Delivery, reason: str, detail: str) -> str:
        self.to_notify.append(("failed", d))
        return self._finish(s, d, DeliveryStatus.FAILED, "failed", reason, detail)

    def _held(self, s: Session, d: Delivery, why: HeldReason, detail: str,
              error: str = "") -> str:
        d.held_reason = why.value
        self.to_notify.append(("held", d))
        return self._finish(s, d, DeliveryStatus.HELD, "held", error, detail)

    def _finish(
        self, s: Session, d: Delivery, status: DeliveryStatus, outcome: str, error: str = "",
        detail: str = "", *, commit: bool = True,
    ) -> str:
        """Put the delivery to rest in `status`, release the claim, close the attempt."""
        d.status = status.value
        d.lease_until = None
        d.claim_token = d.claimed_by = ""
        d.updated_at = self.d.clock()
        if error:
            d.last_error, d.last_error_detail = error, detail[:2000]
        self._close_attempt(s, outcome, error, detail)
        if commit:
            s.commit()
            _load_for_notify(s, d)
        return outcome

    # plumbing -------------------------------------------------------------------------------

    def _fenced(self, s: Session) -> Delivery:
        """The delivery, locked, if our claim still holds it; else LeaseLost."""
        d = s.scalars(
            select(Delivery)
            .where(Delivery.id == self.claim.delivery_id,
                   Delivery.claim_token == self.claim.token,
                   Delivery.status == DeliveryStatus.RUNNING.value)
            .with_for_update()
        ).first()
        if d is None:
            raise LeaseLost(self.claim.delivery_id)
        return d

    def _open_attempt(self, s: Session, d: Delivery, action: str, now: datetime) -> None:
        attempt = Attempt(delivery_id=d.id, worker=self.d.worker_id, action=action,
                          started_at=now)
        s.add(attempt)
        s.flush()
        self.attempt_id = attempt.id

    def _close_attempt(self, s: Session, outcome: str, error: str, detail: str) -> None:
        attempt = s.get(Attempt, self.attempt_id)
        if attempt is not None:
            attempt.finished_at = self.d.clock()
            attempt.outcome = outcome
            attempt.error = error
            attempt.detail = detail[:2000]

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        settings = self.d.settings
        return backoff_seconds(attempt, settings.backoff_base, settings.backoff_cap,
                               retry_after, self.d.rng)

    def _checkpoint(self, key: str, value: Any) -> None:
        """Persist the post's platform ids now, in a transaction of their own."""
        assert self.post is not None
        with self.d.sessions() as s:
            result = s.execute(
                update(Delivery)
                .where(Delivery.id == self.claim.delivery_id,
                       Delivery.claim_token == self.claim.token,
                       Delivery.status == DeliveryStatus.RUNNING.value)
                .values(state=dict(self.post.state), updated_at=self.d.clock())
                .execution_options(synchronize_session=False)
            )
            s.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(self.claim.delivery_id)


def _load_for_notify(s: Session, d: Delivery) -> None:
    """Load what a notification shows, so it can be read after the session is gone."""
    s.refresh(d)
    _ = (d.draft.title, d.account.name)


def _maybe_publish_draft(s: Session, draft_id: int, now: datetime) -> None:
    """Publish the draft once every delivery it still has is published."""
    draft = s.get(Draft, draft_id, with_for_update=True)  # one finisher at a time per draft
    if draft is None or draft.status != Status.SCHEDULED:
        return
    statuses = s.scalars(select(Delivery.status).where(
        Delivery.draft_id == draft_id, Delivery.status != DeliveryStatus.CANCELLED.value)).all()
    if statuses and all(st == DeliveryStatus.PUBLISHED for st in statuses):
        transition(s, draft, "publish", actor=WORKER, now=now)


def retry_now(
    session: Session, delivery: Delivery, now: datetime, *, confirmed_absent: bool = False,
    actor: Actor = WORKER,
) -> None:
    """A person's "retry now" after fixing the cause (no commit).

    failed or held (late) → scheduled for now, with a fresh count of tries. Held because nobody
    could tell whether it went out → unconfirmed, so it is looked for before it is sent again,
    unless the person has checked the platform and says it is not there (`confirmed_absent`).
    """
    status = DeliveryStatus(delivery.status)
    if status not in (DeliveryStatus.FAILED, DeliveryStatus.HELD):
        raise ValueError(f"a {status.value} delivery cannot be retried")
    draft = delivery.draft
    if draft.content_hash != delivery.content_hash or draft.status != Status.SCHEDULED:
        raise ValueError("the draft changed or is no longer scheduled; schedule it again")
    unknown = status == DeliveryStatus.HELD and delivery.held_reason != HeldReason.LATE
    delivery.status = (DeliveryStatus.UNCONFIRMED if unknown and not confirmed_absent
                       else DeliveryStatus.SCHEDULED).value
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.held_reason = ""
    delivery.updated_at = now
    session.flush()
    audit(session, action="delivery_retry", actor=actor, now=now, draft=draft,
          details={"delivery": delivery.id, "channel": delivery.channel, "from": status.value,
                   "to": delivery.status})
