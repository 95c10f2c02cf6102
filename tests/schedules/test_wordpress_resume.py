"""WordPress resumes its steps instead of spending tries: with 20 % of the site's writes dropped
after they were committed, every delivery is published exactly once and nothing is left over.

Real worker, real website adapter (requests over HTTP), the sandbox's WordPress with accept-then-
drop faults on uploads, term creations, draft creations and the publish flips alike.
"""

from __future__ import annotations

import hashlib
import random
import time
from datetime import timedelta

import requests
from sqlalchemy import select

from channels.base import Account, ChannelSettings
from channels.website import WebsiteAdapter
from drafts.models import Media, utcnow
from schedules.models import Delivery
from schedules.outbox import schedule_draft
from schedules.settings import ScheduleSettings
from schedules.worker import Worker
from tests.schedules.helpers import account, approved_draft

DRAFTS = 20
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def wordpress_factory(sandbox):
    def factory(acc):
        settings = ChannelSettings(base_url=sandbox.url("wordpress"), timeout=2.0)
        credentials = {"application_password": "abcd efgh ijkl mnop"}
        return WebsiteAdapter(
            Account("website", acc.name, acc.external_id, credentials), settings, requests.Session()
        )

    return factory


def schedule_articles(session, upload_dir, n):
    """n articles with an image, an initiative (category) and two municipalities (tags)."""
    acc = account(session, "website", "redaktion")
    due = utcnow() - timedelta(seconds=1)
    ids = []
    for i in range(n):
        draft = approved_draft(
            session,
            title=f"Sommerkoncert {i:02d} på Ærø",
            body=f"Program for aften {i:02d}.",
            channels=["website"],
            municipalities=["roskilde", "koge"],
        )
        stored = f"{i:02d}.png"
        (upload_dir / stored).write_bytes(PNG)
        session.add(
            Media(
                draft_id=draft.id,
                filename=stored,
                stored_name=stored,
                mime_type="image/png",
                width=1,
                height=1,
                size_bytes=len(PNG),
                sha256=hashlib.sha256(PNG).hexdigest(),
                alt_text=f"Scene {i}",
            )
        )
        session.flush()
        session.refresh(draft)
        [delivery] = schedule_draft(session, draft, [acc], due, due_at=due)
        ids.append(delivery.id)
    session.commit()
    return ids


def run_until_settled(worker, sessions, seconds=120.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker.tick()
        worker.drain(5)
        with sessions() as s:
            open_ = s.scalars(
                select(Delivery.id).where(
                    Delivery.status.in_(["scheduled", "running", "unconfirmed"])
                )
            ).all()
        if not open_:
            return
        time.sleep(0.05)
    raise AssertionError(f"deliveries still open: {open_}")


def test_with_a_fifth_of_wordpress_writes_dropped_every_delivery_is_published_once_and_clean(
    session,
    sessions,
    sandbox,
    tmp_path,
):
    sandbox.faults.rng = random.Random(15)
    for op in ("upload", "publish"):  # "publish" covers terms, draft creation and the flip
        sandbox.fault(platform="wordpress", op=op, kind="accept_then_drop", rate=0.2)
    ids = schedule_articles(session, tmp_path, DRAFTS)
    settings = ScheduleSettings(
        upload_dir=str(tmp_path),
        backoff_base=0.2,
        backoff_cap=1.0,
        unconfirmed_delay=1.0,
        account_rate=100.0,
        account_burst=100,
    )
    worker = Worker(sessions, wordpress_factory(sandbox), settings, lambda *_: None, "w-wp")

    run_until_settled(worker, sessions)

    with sessions() as s:
        deliveries = list(s.scalars(select(Delivery).where(Delivery.id.in_(ids))))
        attempts = {d.id: [(a.action, a.outcome) for a in d.attempt_rows] for d in deliveries}
        states = {d.id: dict(d.state) for d in deliveries}
        published = {d.id: d.external_id for d in deliveries if d.status == "published"}
        budget = {d.id: d.attempts for d in deliveries}
    assert len(published) == DRAFTS, {d.id: d.status for d in deliveries}
    posts = list(sandbox.store.collection("wordpress", "posts").values())
    live = [p for p in posts if p["status"] in ("publish", "future", "private")]
    assert sorted(str(p["id"]) for p in live) == sorted(published.values())  # none doubled
    assert [p for p in posts if p["status"] not in ("publish", "future", "private")] == []
    media = sandbox.store.collection("wordpress", "media").values()
    featured = {p["featured_media"] for p in live}
    assert sorted(int(m["id"]) for m in media) == sorted(featured)  # no orphan media
    assert len(featured) == DRAFTS
    # The faults fired; lost answers on invisible steps cost no try and no reconciliation:
    # each delivery spent exactly one try of its budget, and was looked for on the platform
    # only after a lost answer to the flip (which found it live).
    assert sum(int(st.get("free_retries") or 0) for st in states.values()) > 0
    assert budget == dict.fromkeys(ids, 1)
    for rows in attempts.values():
        assert rows.count(("reconcile", "found")) == rows.count(("publish", "unconfirmed"))
        assert ("reconcile", "absent") not in rows


def test_a_delivery_that_fails_for_good_removes_its_draft_and_images_from_the_site(
    session,
    sessions,
    sandbox,
    tmp_path,
):
    # The publish flip is refused for good (the user may not publish): draft and image stay
    # behind unless the failed delivery cleans up after itself.
    sandbox.fault(platform="wordpress", op="update", kind="error", code="rest_forbidden/403")
    [delivery_id] = schedule_articles(session, tmp_path, 1)
    settings = ScheduleSettings(upload_dir=str(tmp_path), account_rate=100.0, account_burst=100)
    worker = Worker(sessions, wordpress_factory(sandbox), settings, lambda *_: None, "w-wp")

    run_until_settled(worker, sessions, seconds=30)

    with sessions() as s:
        failed = s.get(Delivery, delivery_id)
        status, last_error, state = failed.status, failed.last_error, dict(failed.state)
    assert (status, last_error) == ("failed", "permission_missing")
    assert sandbox.store.collection("wordpress", "posts") == {}
    assert sandbox.store.collection("wordpress", "media") == {}
    assert not state.get("post_id") and state["media_ids"] == [] and "leftovers" not in state
