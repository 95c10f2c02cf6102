"""Helpers for the schedule tests: drafts ready to schedule, a fake adapter that records what it
was given, a notify callback that remembers, and a clock that only moves when told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channels.base import Adapter, ChannelError, Post, Published
from drafts.models import ChannelAccount, Draft
from drafts.service import create_draft
from drafts.states import transition
from drafts.validation import clean_draft_input
from schedules.claim import Claim, claim_due
from schedules.models import Delivery
from schedules.outbox import schedule_draft

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACTOR = ("user", None, "tester")
CPH = ZoneInfo("Europe/Copenhagen")


class FixedClock:
    """A clock for the code under test: it moves only when the test says so."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


Result = Published | ChannelError | Callable[[Post], Published | None] | None


@dataclass
class FakeAdapter(Adapter):
    """Answers from scripts, one entry per call (the last one repeats), and records every call."""

    publish_script: list[Result] = field(default_factory=list)
    find_script: list[Result] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)

    def __post_init__(self) -> None:
        pass  # no account, settings or HTTP session: nothing is called over the network

    def _answer(self, script: list[Result], post: Post) -> Published | None:
        if not script:
            raise AssertionError("unexpected call")
        result = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(result, ChannelError):
            raise result
        if callable(result):
            return result(post)
        return result

    def publish(self, post: Post) -> Published:
        self.calls.append(("publish", post.marker, dict(post.state)))
        self.posts.append(post)
        answer = self._answer(self.publish_script, post)
        assert answer is not None
        return answer

    def find_existing(self, post: Post) -> Published | None:
        self.calls.append(("find_existing", post.marker, dict(post.state)))
        self.posts.append(post)
        return self._answer(self.find_script, post)

    def actions(self) -> list[str]:
        return [c[0] for c in self.calls]


@dataclass
class Notes:
    """A notify callback that remembers what it was told."""

    seen: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(self, kind: str, subject: Any) -> None:
        self.seen.append((kind, subject))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.seen]


def account(session: Session, platform: str = "x", external_id: str = "1700000000000000001",
            **kwargs: Any) -> ChannelAccount:
    """Get or create an account, reset to a clean state (PostgreSQL keeps accounts between
    tests)."""
    found = session.scalar(select(ChannelAccount).where(
        ChannelAccount.platform == platform, ChannelAccount.external_id == external_id))
    if found is None:
        found = ChannelAccount(platform=platform, external_id=external_id, name=platform)
        session.add(found)
    found.name = kwargs.get("name", f"{platform} {external_id}")
    found.active = True
    found.token_expires_at = kwargs.get("token_expires_at")
    found.health, found.health_detail, found.checked_at = "unknown", "", None
    found.options = kwargs.get("options", {})
    session.flush()
    return found


def approved_draft(session: Session, now: datetime = NOW, **raw: Any) -> Draft:
    base = {"title": "Koncert i Roskilde", "body": "Kom og hør **orkestret**.",
            "initiative": "music", "municipalities": ["roskilde"], "channels": ["x"]}
    base.update(raw)
    data, errors = clean_draft_input(base, zone=CPH, municipalities={"roskilde", "koge"},
                                     initiatives={"music"})
    assert errors == []
    draft = create_draft(session, data, actor=ACTOR, author_id=None, now=now)
    transition(session, draft, "approve", actor=ACTOR, now=now)
    return draft


def scheduled(session: Session, n_accounts: int = 1, due_at: datetime = NOW,
              **raw: Any) -> tuple[Draft, list[Delivery]]:
    """A committed, scheduled draft with one delivery per (fresh) X account."""
    accounts = [account(session, "x", f"17000000000000000{i:02d}") for i in range(n_accounts)]
    draft = approved_draft(session, **raw)
    deliveries = schedule_draft(session, draft, accounts, NOW, due_at=due_at, actor=ACTOR)
    session.commit()
    return draft, deliveries


def claim_one(session: Session, now: datetime, worker: str = "w-test",
              lease: float = 300) -> Claim:
    [claim] = claim_due(session, now, worker, 10, lease)
    return claim


def reload(sessions: sessionmaker[Session], delivery_id: int) -> Delivery:
    with sessions() as s:
        d = s.get(Delivery, delivery_id)
        assert d is not None
        _ = (d.draft.status, list(d.attempt_rows))
        s.expunge_all()
        return d
