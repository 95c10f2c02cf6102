"""Tracked short links and the share kit sent after publication."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from drafts.states import transition
from drafts.tracking import LinkClick, TrackedLink, link_for
from publisher.flows.approval_jobs import run_jobs
from schedules.models import Delivery
from tests.approvals.helpers import (
    add_approver,
    html,
    link_in,
    make_draft,
    path_of,
    plain,
    post_decision,
    request_mail,
    send,
)

SHORT = re.compile(r"http://publisher\.test(/l/[A-Za-z0-9]+)")


def test_a_tracked_link_redirects_and_counts_clicks_per_day(db, client, editor, peek):
    draft = make_draft(db, editor)
    link = link_for(db, draft, draft.municipalities[0], "https://kulturmetropolen.dk/koncert",
                    datetime.now(UTC))
    db.commit()

    first = client.get(f"/l/{link.code}")
    client.get(f"/l/{link.code}", environ_base={"REMOTE_ADDR": "192.0.2.2"})  # another visitor

    assert first.status_code == 302
    assert first.headers["Location"] == "https://kulturmetropolen.dk/koncert"
    assert "Set-Cookie" not in first.headers
    clicks = peek(lambda s: [(c.day, c.clicks) for c in s.scalars(select(LinkClick))])
    assert clicks == [(datetime.now(UTC).date(), 2)]


def test_the_click_count_keeps_no_personal_data():
    assert [c.name for c in LinkClick.__table__.columns] == ["link_id", "day", "clicks"]


def test_an_unknown_short_link_is_not_found_and_counts_nothing(client, peek):
    assert client.get("/l/abcdefgh").status_code == 404
    assert client.get("/l/%3Cscript%3E").status_code == 404
    assert peek(lambda s: s.scalars(select(LinkClick)).all()) == []


def published(app, db, client, smtp, editor):
    """A draft approved by the Roskilde chair and published (as the worker would)."""
    chair = add_approver(db, "Rikke Formand")
    chief = add_approver(db, "Kim Kulturchef", role="culture_chief")
    draft = make_draft(db, editor, channels=["facebook", "website"])
    send(app, db, draft, editor)
    assert post_decision(client, path_of(link_in(request_mail(smtp, chair))),
                         "approve").status_code == 303
    now = datetime.now(UTC)
    db.expire_all()
    for delivery in db.scalars(select(Delivery).where(Delivery.draft_id == draft.id)):
        delivery.status = "published"
        delivery.external_url = f"https://example.test/{delivery.channel}/1"
    transition(db, draft, "publish", actor=("system", None, "worker"), now=now)
    _ = (chair.email, chief.email, list(draft.municipalities))  # loaded before the commit
    db.commit()
    smtp.clear()
    return draft, chair, chief


def test_after_publication_the_approver_and_the_culture_chief_get_the_share_kit(
        app, db, client, smtp, editor):
    draft, chair, chief = published(app, db, client, smtp, editor)

    counts = run_jobs(app)

    assert counts["share_kits"] == 1
    for person in (chair, chief):
        [kit] = smtp.to(person.email)
        text = plain(kit)
        assert "https://example.test/website/1" in text
        assert "https://example.test/facebook/1" in text
        assert "for borgerne i Roskilde" in text
        assert SHORT.search(text) and 'lang="da"' in html(kit)


def test_the_share_kits_short_link_leads_to_the_article_and_counts_for_the_municipality(
        app, db, client, smtp, editor, peek):
    draft, chair, _ = published(app, db, client, smtp, editor)
    run_jobs(app)
    short = SHORT.search(plain(smtp.to(chair.email)[0])).group(1)

    followed = client.get(short)

    assert followed.headers["Location"] == "https://example.test/website/1"
    link = peek(lambda s: s.scalar(select(TrackedLink)))
    assert link.municipality_id == draft.municipalities[0].id
    assert peek(lambda s: s.scalar(select(LinkClick.clicks))) == 1


def test_the_share_kit_is_sent_once(app, db, client, smtp, editor):
    published(app, db, client, smtp, editor)
    run_jobs(app)
    first = len(smtp.messages)

    assert run_jobs(app)["share_kits"] == 0
    assert len(smtp.messages) == first == 2
