"""The feeds' worker jobs: keep the public record in step, deliver webhooks, send digests.

`run_feed_jobs(app, now)` runs each once; the worker calls it every few seconds. Each step
commits on its own and claims its rows, so several workers may run it at once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from drafts.models import utcnow
from publisher.config import Settings
from publisher.flows.feeds import digests, notices
from publisher.flows.feeds.items import item_path, sync
from publisher.flows.feeds.models import PublicItem
from publisher.flows.feeds.ssrf import networks
from publisher.flows.feeds.webhooks import deliver_due, enqueue
from publisher.mail import MailSettings, smtp_transport

log = logging.getLogger(__name__)


def publish_changes(session: Session, now: datetime, base_url: str) -> int:
    """Sync the public record and queue a webhook message per change (one commit)."""
    changes = sync(session, now)

    def url(item: PublicItem) -> str:
        return base_url.rstrip("/") + item_path(item)

    enqueue(session, changes, now, url)
    session.commit()
    return len(changes)


def run_feed_jobs(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Run every feed job once; return what each did."""
    now = now or utcnow()
    settings: Settings = app.extensions["publisher_settings"]
    counts: dict[str, int] = {}
    with app.app_context():
        with app.extensions["db_sessionmaker"]() as session:
            try:
                counts["changes"] = publish_changes(session, now, settings.base_url)
            except Exception:
                log.exception("syncing the public record failed; it runs again next time")
                session.rollback()
        with app.extensions["db_sessionmaker"]() as session:
            outcomes = deliver_due(
                session, now, allowed=networks(settings.webhook_allow_networks),
                timeout=settings.webhook_timeout,
                on_pause=lambda s, sub, at: notices.webhook_paused(s, settings, sub, at))
            for outcome, n in outcomes.items():
                counts[f"webhook_{outcome}"] = n
        with app.extensions["db_sessionmaker"]() as session:
            mail = MailSettings.of(settings)
            sent = digests.send_due(session, now, mail, settings.base_url, smtp_transport(mail))
            for outcome, n in sent.items():
                counts[f"digest_{outcome}"] = n
    return counts
