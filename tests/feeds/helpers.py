"""Publishing articles and events for the feeds' tests, through the real draft service."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from drafts.models import ChannelAccount, Draft
from drafts.service import create_draft
from drafts.states import transition
from drafts.validation import clean_draft_input
from publisher.flows.feeds.jobs import publish_changes
from schedules.outbox import schedule_draft

ZONE = ZoneInfo("Europe/Copenhagen")
ACTOR = ("system", None, "test")
BASE = "http://127.0.0.1:5000"
MUNICIPALITIES = {"albertslund", "fureso", "halsnaes", "helsingor", "herlev", "ishoj", "koge",
                  "roskilde", "rodovre"}


def publish(db, title: str, *, now: datetime, kind: str = "article", initiative: str = "music",
            municipalities: tuple[str, ...] = ("halsnaes",), at: datetime | None = None,
            body: str = "Tekst om **noget**.", **event: str) -> Draft:
    """Create, approve and schedule a draft for the website at `at` (default: a minute ago)."""
    raw = {"title": title, "body": body, "initiative": initiative, "kind": kind,
           "municipalities": list(municipalities), "channels": ["website"], **event}
    data, errors = clean_draft_input(raw, zone=ZONE, municipalities=MUNICIPALITIES,
                                     initiatives={"music", "youth", "culture-health"})
    assert errors == [], errors
    draft = create_draft(db, data, actor=ACTOR, author_id=None, now=now)
    transition(db, draft, "approve", actor=ACTOR, now=now)
    accounts = list(db.scalars(select(ChannelAccount).where(ChannelAccount.platform == "website")))
    schedule_draft(db, draft, accounts, now, due_at=at or now - timedelta(minutes=1))
    db.commit()
    return draft


def sync(db, now: datetime) -> int:
    """Run the worker's public-record step at `now`."""
    return publish_changes(db, now, BASE)
