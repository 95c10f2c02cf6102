"""Deadlines that fit the slot: the approval deadline is in the future when the mail is sent,
compose and the draft page say which deadline applies, and holds show why and how to release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from drafts.approval_timing import due_reminders, hold
from drafts.approvals import ApprovalPolicy, fitted_deadline
from drafts.mailbox import OutgoingMail
from drafts.models import Draft
from publisher.flows import approval as approval_flow
from tests.firstday.helpers import arrange

SLOT = datetime(2027, 5, 20, 12, 0, tzinfo=UTC)


def test_a_slot_far_ahead_keeps_the_policys_lead_time():
    asked = SLOT - timedelta(days=3)
    assert fitted_deadline(SLOT, 24, asked) == SLOT - timedelta(hours=24)


def test_a_slot_two_hours_ahead_gives_the_approvers_half_the_time_left():
    asked = SLOT - timedelta(hours=2)
    assert fitted_deadline(SLOT, 24, asked) == asked + timedelta(hours=1)


def test_a_slot_minutes_ahead_has_the_publishing_time_as_its_deadline():
    asked = SLOT - timedelta(minutes=5)
    assert fitted_deadline(SLOT, 24, asked) == SLOT


def test_the_window_is_never_shorter_than_the_floor_when_there_is_time_for_it():
    asked = SLOT - timedelta(minutes=20)
    assert fitted_deadline(SLOT, 24, asked) == asked + timedelta(minutes=15)


def _send(app: Flask, db, draft_id: int) -> datetime:
    now = datetime.now(UTC)
    with app.test_request_context():
        draft = db.get(Draft, draft_id)
        approval_flow.send_for_approval(
            db, draft, actor=("system", None, "test"), requested_by="Sekretariatet", now=now
        )
        db.commit()
    return now


def test_the_mail_for_a_slot_two_hours_ahead_asks_for_an_answer_in_the_future(app, db, chairs):
    draft_id = arrange(db, ahead=timedelta(hours=2))
    sent = _send(app, db, draft_id)
    row = db.scalar(select(ApprovalPolicy).where(ApprovalPolicy.draft_id == draft_id))
    assert row is not None and row.asked_at is not None
    deadline = fitted_deadline(db.get(Draft, draft_id).desired_at, row.deadline_hours, row.asked_at)
    assert sent < deadline < db.get(Draft, draft_id).desired_at
    mail = db.scalars(select(OutgoingMail).where(OutgoingMail.draft_id == draft_id)).first()
    assert mail is not None
    assert "Svar venligst senest" in mail.text_body
    db.commit()


def test_a_short_window_sends_no_reminder_at_once(app, db, chairs):
    draft_id = arrange(db, ahead=timedelta(hours=2))
    sent = _send(app, db, draft_id)
    assert due_reminders(db, sent + timedelta(minutes=1)) == []
    db.commit()


def test_the_draft_page_says_which_deadline_applies_before_sending(admin_client, db):
    draft_id = arrange(db, ahead=timedelta(hours=2))
    page = admin_client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    note = page[page.index('id="deadline-note"') :]
    assert "Sendes den til godkendelse nu, skal godkenderne svare senest" in note
    assert " kl. " in note[: note.index("</p>")]


def test_a_held_draft_shows_why_and_the_release_button_on_its_page_and_in_the_queue(
    app, admin_client, db, chairs
):
    draft_id = arrange(db, ahead=timedelta(hours=2))
    _send(app, db, draft_id)
    with app.test_request_context():
        assert hold(db, db.get(Draft, draft_id), datetime.now(UTC))
        db.commit()
    page = admin_client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    box = page[page.index('id="hold"') :]
    assert "Godkendelsen var ikke på plads inden fristen" in box
    assert f'action="/drafts/{draft_id}/approvals/release"' in box
    queue = admin_client.get("/queue").get_data(as_text=True)
    assert f'href="/drafts/{draft_id}#hold"' in queue
    assert "ikke godkendt inden fristen" in queue
