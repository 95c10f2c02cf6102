"""Helpers for the approval tests: approvers, drafts, sending for approval, reading the mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drafts.approvals import ApprovalRequest
from drafts.models import Approver, Draft, Municipality, User
from drafts.service import create_draft
from drafts.validation import clean_draft_input
from publisher.flows import approval

ZONE = ZoneInfo("Europe/Copenhagen")
MUNICIPALITIES = {"albertslund", "fureso", "halsnaes", "helsingor", "herlev", "ishoj", "koge",
                  "roskilde", "rodovre"}
INITIATIVES = {"music", "youth", "culture-health"}
LINK = re.compile(r"https?://\S+/a/[A-Za-z0-9_.\-]+")


def add_approver(db: Session, name: str, municipality: str = "roskilde", role: str = "chair",
                 **kw: Any) -> Approver:
    muni = db.scalar(select(Municipality).where(Municipality.slug == municipality))
    slug = name.lower().replace(" ", ".")
    approver = Approver(name=name, email=kw.pop("email", f"{slug}@example.org"),
                        municipality=muni, role=role, **kw)
    db.add(approver)
    db.commit()
    return approver


def add_x_account(db: Session) -> None:
    """An active X account, so a draft for X can be sent for approval (no account: refused)."""
    from drafts.models import ChannelAccount

    db.add(ChannelAccount(platform="x", name="@kulturmetropolen", external_id="1",
                          credentials_env="KMP_X", options={}))
    db.commit()


def make_draft(db: Session, author: User | None, media: list[Any] | None = None,
               **fields: Any) -> Draft:
    """A draft made through the domain service, due in three days unless told otherwise."""
    when = (datetime.now(UTC) + timedelta(days=3)).astimezone(ZONE)
    raw: dict[str, Any] = {"title": "Koncert i Roskilde", "body": "Kom og hør **orkestret**.",
                           "initiative": "music", "municipalities": ["roskilde"],
                           "channels": ["facebook"],
                           "desired_at": when.replace(tzinfo=None, microsecond=0,
                                                      second=0).isoformat()}
    raw.update(fields)
    data, errors = clean_draft_input(raw, zone=ZONE, municipalities=MUNICIPALITIES,
                                     initiatives=INITIATIVES)
    assert data is not None, errors
    actor = ("user", author.id, author.username) if author else ("system", None, "tests")
    draft = create_draft(db, data, actor=actor, author_id=author.id if author else None,
                         now=datetime.now(UTC), media=media)
    db.commit()
    return draft


def send(app: Flask, db: Session, draft: Draft, by: User | None = None) -> list[ApprovalRequest]:
    """Send the draft for approval as `by` would, and commit (the mails leave then)."""
    actor = ("user", by.id, by.username) if by else ("system", None, "tests")
    with app.app_context():
        requests = approval.send_for_approval(
            db, draft, actor=actor, requested_by=by.name if by else "Sekretariatet",
            now=datetime.now(UTC))
        db.commit()
    for request in requests:  # load what tests read, then end that read (SQLite's write lock)
        _ = (request.approver.email, request.approver.name, request.draft.title)
    db.commit()
    return requests


def plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None, "no text/plain part"
    return str(part.get_content())


def html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None, "no text/html part"
    return str(part.get_content())


def link_in(message: EmailMessage) -> str:
    """The approval link in the mail's plain-text part."""
    found = LINK.findall(plain(message))
    assert len(set(found)) == 1, found
    return str(found[0])


def path_of(link: str) -> str:
    return "/a/" + link.rsplit("/a/", 1)[1]


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def post_decision(client: Any, path: str, decision: str, comment: str = "",
                  content_hash: str | None = None) -> Any:
    """Open the approver's page like a browser, then send the decision with its CSRF field."""
    page = client.get(path).get_data(as_text=True)
    if content_hash is None:
        found = re.search(r'name="content_hash" value="([0-9a-f]+)"', page)
        assert found, "no decision form on the page"
        content_hash = found.group(1)
    return client.post(path, data={"csrf_token": csrf(page), "decision": decision,
                                   "comment": comment, "content_hash": content_hash})


def snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table, as text, to compare the database before and after."""
    from publisher.models import metadata

    dump = {}
    for table in metadata.sorted_tables:
        rows = session.execute(table.select()).all()
        dump[table.name] = sorted(repr(tuple(row)) for row in rows)
    return dump


def request_mail(smtp: Any, approver: Approver, index: int = -1) -> EmailMessage:
    """The `index`-th mail the approver got (the newest by default)."""
    found = smtp.to(approver.email)
    assert found, f"no mail to {approver.email}"
    return found[index]


def edit(app: Flask, db: Session, draft: Draft, by: User, **changes: Any) -> list[str]:
    """Edit the draft through the editing flow, as the web form and the API do."""
    from publisher.flows.editing import edit_draft
    from publisher.flows.manage.media import raw_input

    with app.app_context():
        data, errors = clean_draft_input({**raw_input(draft), **changes}, zone=ZONE,
                                         municipalities=MUNICIPALITIES, initiatives=INITIATIVES)
        assert data is not None, errors
        changed = edit_draft(db, draft, data, actor=("user", by.id, by.username),
                               now=datetime.now(UTC))
        db.commit()
    return changed


def poster_media(upload_dir: str, alt: str) -> Any:
    """A checked, stored JPEG poster as a Media row (not yet attached to a draft)."""
    import io

    from PIL import Image, ImageDraw

    from drafts.images import ImageRules, check_and_store
    from drafts.models import Media

    image = Image.new("RGB", (1080, 1350), "#0b4f8a")
    ImageDraw.Draw(image).rectangle((60, 60, 1020, 1290), outline="white", width=12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    from pathlib import Path

    rules = ImageRules(10 * 1024 * 1024, 200, 8000, 40_000_000)
    stored = check_and_store(out.getvalue(), rules, Path(upload_dir))
    return Media(filename="plakat.jpg", stored_name=stored.stored_name,
                 mime_type=stored.mime_type, width=stored.width, height=stored.height,
                 size_bytes=stored.size_bytes, sha256=stored.sha256, alt_text=alt)


def facebook_to(sandbox: Any) -> Any:
    """An adapter factory: the real Facebook adapter (facebook-sdk over HTTP) on the sandbox."""
    import requests

    from channels.base import Account, ChannelSettings
    from channels.facebook import FacebookAdapter

    def factory(account: Any) -> Any:
        return FacebookAdapter(
            Account("facebook", account.name, account.external_id, {"access_token": "tok"}),
            ChannelSettings(base_url=sandbox.url("facebook"), timeout=5.0), requests.Session())

    return factory


def worker_tick(app: Flask, sandbox: Any) -> int:
    """One tick of the publishing worker, in-process, against the sandbox; wait for its work."""
    from schedules.settings import ScheduleSettings
    from schedules.worker import Worker

    settings = app.extensions["publisher_settings"]
    worker = Worker(app.extensions["db_sessionmaker"], facebook_to(sandbox),
                    ScheduleSettings(public_base_url=settings.base_url,
                                     upload_dir=settings.upload_dir),
                    worker_id="w-approvals")
    claimed = worker.tick()
    worker.drain(30)
    worker.stop(grace=5)
    return claimed


def sandbox_posts(sandbox: Any) -> list[str]:
    """The messages of the posts on the sandbox's Facebook pages."""
    return [p["message"] for p in sandbox.store.collection("facebook", "posts").values()]
