"""The publishing health screen, "retry now", and /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from drafts.models import AuditEvent, ChannelAccount
from drafts.service import create_draft
from drafts.states import transition
from drafts.validation import clean_draft_input
from publisher.auth import new_api_token
from schedules.models import Attempt, Delivery
from schedules.outbox import schedule_draft

NOW = datetime.now(UTC)


def _scheduled_draft(db, title="Koncert", initiative="music", due=None):
    raw = {"title": title, "body": "Tekst", "initiative": initiative,
           "municipalities": ["halsnaes"], "channels": ["facebook", "website"]}
    data, errors = clean_draft_input(raw, zone=ZoneInfo("Europe/Copenhagen"),
                                     municipalities={"halsnaes"},
                                     initiatives={"music", "youth"})
    assert errors == []
    actor = ("system", None, "test")
    draft = create_draft(db, data, actor=actor, author_id=None, now=NOW)
    transition(db, draft, "submit", actor=actor, now=NOW)
    transition(db, draft, "approve", actor=actor, now=NOW)
    accounts = list(db.scalars(select(ChannelAccount).where(
        ChannelAccount.platform.in_(["facebook", "website"]))))
    deliveries = schedule_draft(db, draft, accounts, NOW, due_at=due or NOW - timedelta(minutes=5))
    db.commit()
    return draft, deliveries


def test_the_health_screen_lists_failed_held_and_late_deliveries_with_reasons(
        admin_client, db):
    _, (fb, web) = _scheduled_draft(db)
    fb.status, fb.last_error = "failed", "token_expired"
    db.commit()
    page = admin_client.get("/publishing").get_data(as_text=True)
    assert "Adgangen til kontoen er udløbet" in page  # the reason in plain Danish
    assert "Forsinket" in page
    assert "Kulturmetropolen (Facebook-side)" in page
    assert 'role="img"' in page  # the status chart, with a text alternative


def test_retry_now_puts_a_failed_delivery_back_on_the_schedule_and_audits_it(admin_client, db):
    draft, (fb, _web) = _scheduled_draft(db)
    fb.status, fb.last_error, fb.attempts = "failed", "token_expired", 3
    db.commit()
    response = admin_client.post_form(f"/deliveries/{fb.id}/retry", {"back": "/publishing"})
    assert response.status_code == 303
    db.expire_all()
    again = db.get(Delivery, fb.id)
    assert (again.status, again.attempts) == ("scheduled", 0)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "delivery_retry"))


def test_retry_of_a_held_unknown_outcome_looks_for_the_post_first(admin_client, db):
    _, (fb, _web) = _scheduled_draft(db)
    fb.status, fb.held_reason = "held", "cannot_tell"
    db.commit()
    admin_client.post_form(f"/deliveries/{fb.id}/retry", {})
    db.expire_all()
    assert db.get(Delivery, fb.id).status == "unconfirmed"


def test_retry_refuses_a_delivery_that_is_not_failed_or_held(admin_client, db):
    _, (fb, _web) = _scheduled_draft(db)
    response = admin_client.post_form(f"/deliveries/{fb.id}/retry", {})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Delivery, fb.id).status == "scheduled"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "delivery_retry")) is None


def test_an_editor_cannot_retry_another_initiatives_delivery(client, db):
    from drafts.models import Role
    from tests.conftest import make_user

    make_user(db, "unge", Role.EDITOR, ("youth",))
    _, (fb, _web) = _scheduled_draft(db)
    fb.status = "failed"
    db.commit()
    client.login("unge")
    assert client.post_form(f"/deliveries/{fb.id}/retry", {}).status_code == 403


@pytest.fixture
def token(db, admin):
    _, secret = new_api_token(db, admin, "prometheus", NOW)
    db.commit()
    return secret


def test_metrics_need_an_api_token(client):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_metrics_report_queue_depth_lateness_and_outcomes_per_channel(client, db, token):
    _, (fb, web) = _scheduled_draft(db)
    fb.status, fb.published_at = "published", fb.due_at + timedelta(seconds=1.5)
    web.status, web.last_error = "failed", "token_invalid"
    db.add(Attempt(delivery_id=fb.id, action="publish", outcome="published", started_at=NOW))
    db.add(Attempt(delivery_id=web.id, action="publish", outcome="permanent", started_at=NOW))
    db.commit()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'publisher_deliveries{channel="facebook",status="published"} 1' in text
    assert 'publisher_deliveries{channel="website",status="failed"} 1' in text
    assert 'publisher_publish_lateness_seconds_bucket{channel="facebook",le="1"} 0' in text
    assert 'publisher_publish_lateness_seconds_bucket{channel="facebook",le="2"} 1' in text
    assert 'publisher_attempts_total{action="publish",channel="website",outcome="permanent"} 1' \
        in text
    assert 'publisher_deliveries_failed{channel="website",reason="token_invalid"} 1' in text
    assert "# TYPE publisher_publish_lateness_seconds histogram" in text


def test_metrics_count_overdue_deliveries(client, db, token):
    _scheduled_draft(db, due=datetime.now(UTC) - timedelta(minutes=10))
    text = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).get_data(
        as_text=True)
    assert "publisher_deliveries_overdue 2" in text


def test_moving_a_scheduled_drafts_time_moves_its_waiting_deliveries(app, db):
    from publisher.flows.editing import edit_draft

    draft, (fb, web) = _scheduled_draft(db, due=NOW + timedelta(days=1))
    web.status = "published"
    db.commit()
    raw = {"title": draft.title, "body": draft.body, "initiative": "music",
           "municipalities": ["halsnaes"], "channels": ["facebook", "website"],
           "desired_at": "2027-01-05T10:00"}
    data, _ = clean_draft_input(raw, zone=ZoneInfo("Europe/Copenhagen"),
                                municipalities={"halsnaes"}, initiatives={"music"})
    assert edit_draft(db, draft, data, actor=("user", None, "t"), now=NOW) == []
    db.commit()
    db.expire_all()
    assert db.get(Delivery, fb.id).due_at == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    assert db.get(Delivery, web.id).due_at == NOW + timedelta(days=1)  # already out: untouched
    assert db.get(type(draft), draft.id).status == "scheduled"


def test_the_queue_shows_each_deliverys_state_and_the_platform_link(admin_client, db):
    draft, (fb, web) = _scheduled_draft(db)
    fb.status, fb.external_url, fb.attempts = "published", "https://facebook.example/p/1", 2
    web.status = "failed"
    db.commit()
    page = admin_client.get("/queue").get_data(as_text=True)
    assert 'href="https://facebook.example/p/1"' in page
    assert "2 forsøg" in page
    assert "Fejlet" in page


def test_the_queue_shows_an_approvers_rejection_of_the_current_version(admin_client, db):
    from datetime import timedelta as td

    from drafts.approvals import ApprovalRequest
    from drafts.models import Approver, Municipality

    draft, _ = _scheduled_draft(db)
    muni = db.scalar(select(Municipality).where(Municipality.slug == "halsnaes"))
    chair = Approver(name="Formand Halsnæs", email="f@example.org", municipality=muni)
    db.add(chair)
    db.flush()
    db.add(ApprovalRequest(draft_id=draft.id, approver_id=chair.id,
                           content_hash=draft.content_hash, version=draft.version,
                           nonce_hash="x" * 64, expires_at=NOW + td(days=1),
                           decision="reject", decided_at=NOW, comment="Nej tak"))
    db.commit()
    page = admin_client.get("/queue").get_data(as_text=True)
    assert "Afvist af Formand Halsnæs" in page
