"""End to end with real parts: a real SMTP server gets the request, headless Chromium follows the
link and approves, and the worker publishes on the sandbox through the real Facebook adapter;
after that the share kit arrives. An edit after approval stops publication until re-approved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from drafts.models import Draft, Role, User
from publisher.auth import hash_password
from publisher.flows.approval_jobs import run_jobs
from schedules.models import Delivery
from tests.api.helpers import ApiClient, issue_token
from tests.approvals.helpers import (
    add_approver,
    link_in,
    make_draft,
    path_of,
    plain,
    post_decision,
    request_mail,
    sandbox_posts,
    send,
    worker_tick,
)

TEXT = "Koncert i Roskilde\n\nKom og hør orkestret."


def author_in(app) -> User:
    from drafts.models import Initiative

    with app.extensions["db_sessionmaker"]() as db:
        music = db.scalar(select(Initiative).where(Initiative.slug == "music"))
        user = User(username="projektchef", name="Mette Projektchef", role=Role.EDITOR.value,
                    email="mette@example.org", password_hash=hash_password("x" * 20),
                    initiatives=[music])
        db.add(user)
        db.commit()
        return user


def draft_status(app, draft_id: int) -> str:
    with app.extensions["db_sessionmaker"]() as db:
        return db.get(Draft, draft_id).status


@pytest.mark.browser
def test_mail_link_browser_approval_then_the_worker_publishes_on_the_sandbox(
        live_app, smtp, page, sandbox):
    author = author_in(live_app)
    with live_app.extensions["db_sessionmaker"]() as db:
        chair = add_approver(db, "Rikke Formand")
        draft = make_draft(db, author, desired_at="")  # as soon as it is approved
        send(live_app, db, draft, author)
    assert worker_tick(live_app, sandbox) == 0  # nothing goes out before approval

    page.goto(path_of(link_in(request_mail(smtp, chair))))
    page.get_by_role("button", name="Godkend", exact=True).click()
    expect(page.get_by_role("status").last).to_contain_text("Du har godkendt det")
    assert draft_status(live_app, draft.id) == "scheduled"
    assert worker_tick(live_app, sandbox) == 1

    assert sandbox_posts(sandbox) == [TEXT]
    assert draft_status(live_app, draft.id) == "published"
    smtp.clear()
    assert run_jobs(live_app)["share_kits"] == 1
    [kit] = smtp.to(chair.email)
    assert "Udgivet" in kit["Subject"]
    assert re.search(r"/l/[A-Za-z0-9]+", plain(kit))


def test_an_edit_after_approval_stops_publication_until_it_is_approved_again(
        app, db, client, smtp, editor, sandbox, peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor, desired_at="")
    send(app, db, draft, editor)
    assert post_decision(client, path_of(link_in(request_mail(smtp, chair))),
                         "approve").status_code == 303

    edited = ApiClient(app, issue_token(db, editor)).patch(
        f"/drafts/{draft.id}", json={"body": "Kom og hør det **nye** orkester."})
    assert edited.status_code == 200

    assert worker_tick(app, sandbox) == 0
    assert sandbox_posts(sandbox) == []
    assert peek(lambda s: s.get(Draft, draft.id).status) == "in_review"
    assert post_decision(client, path_of(link_in(request_mail(smtp, chair))),
                         "approve").status_code == 303
    assert worker_tick(app, sandbox) == 1
    assert sandbox_posts(sandbox) == ["Koncert i Roskilde\n\nKom og hør det nye orkester."]
    assert peek(lambda s: sorted(s.scalars(select(Delivery.status)).all())) == [
        "cancelled", "published"]
