"""Deadlines and reminders: held at the deadline with the secretariat told; one reminder before."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drafts.approvals import ApprovalPolicy, ApprovalRequest
from drafts.models import AuditEvent, Draft
from publisher.flows.approval_jobs import hold_overdue, remind
from schedules.models import Delivery
from tests.approvals.helpers import (
    add_approver,
    link_in,
    make_draft,
    path_of,
    plain,
    post_decision,
    request_mail,
    send,
)

SECRETARIAT = "sekretariat@kulturmetropolen.dk"


def asked(app, db, smtp, editor):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    [request] = send(app, db, draft, editor)
    return draft, request, chair


def test_at_the_deadline_an_unapproved_draft_is_held_and_the_secretariat_told(
        app, db, smtp, editor, peek):
    draft, _, _ = asked(app, db, smtp, editor)
    deadline = draft.desired_at - timedelta(hours=24)

    with app.app_context():
        assert hold_overdue(db, deadline - timedelta(minutes=1)) == 0
        assert hold_overdue(db, deadline + timedelta(minutes=1)) == 1
        assert hold_overdue(db, deadline + timedelta(minutes=2)) == 0

    held = peek(lambda s: s.scalar(select(ApprovalPolicy.held_at).where(
        ApprovalPolicy.draft_id == draft.id)))
    assert held == deadline + timedelta(minutes=1)
    [notice] = smtp.to(SECRETARIAT)
    assert draft.title in notice["Subject"] and f"/drafts/{draft.id}" in plain(notice)
    assert peek(lambda s: s.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "approval_held"))) == "approval_held"


def test_an_approval_after_the_deadline_is_not_scheduled_until_released(
        app, db, client, admin_client, smtp, editor, peek):
    draft, _, chair = asked(app, db, smtp, editor)
    with app.app_context():
        hold_overdue(db, draft.desired_at - timedelta(hours=23))
    smtp.clear()

    link = path_of(link_in(_resent_mail(app, db, smtp, chair)))
    assert post_decision(client, link, "approve").status_code == 303

    assert peek(lambda s: s.get(Draft, draft.id).status) == "approved"
    assert peek(lambda s: s.scalars(select(Delivery)).all()) == []
    assert len(smtp.to(SECRETARIAT)) == 1
    released = admin_client.post_form(f"/drafts/{draft.id}/approvals/release")
    assert released.status_code == 303
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"


def _resent_mail(app, db, smtp, chair):
    """A fresh link for the approver (the test cleared the inbox): the secretariat resends."""
    from publisher.flows import approval

    request = db.scalar(select(ApprovalRequest).where(ApprovalRequest.approver_id == chair.id))
    with app.app_context():
        approval.resend(db, request, request.created_at, ("system", None, "tests"))
        db.commit()
    return request_mail(smtp, chair)


def test_undecided_approvers_get_one_reminder_with_a_new_link(app, db, client, smtp, editor):
    draft, request, chair = asked(app, db, smtp, editor)
    first_link = path_of(link_in(request_mail(smtp, chair)))
    reminder_time = draft.desired_at - timedelta(hours=48)

    with app.app_context():
        assert remind(db, reminder_time - timedelta(minutes=1)) == 0
        assert remind(db, reminder_time + timedelta(minutes=1)) == 1
        assert remind(db, reminder_time + timedelta(minutes=2)) == 0

    first, reminder = smtp.to(chair.email)
    assert "Påmindelse" in reminder["Subject"] or "Reminder" in reminder["Subject"]
    new_link = path_of(link_in(reminder))
    assert new_link != first_link
    assert client.get(first_link).status_code == 410
    assert client.get(new_link).status_code == 200


def test_an_approver_who_has_answered_gets_no_reminder(app, db, client, smtp, editor):
    draft, request, chair = asked(app, db, smtp, editor)
    assert post_decision(client, path_of(link_in(request_mail(smtp, chair))),
                         "reject").status_code == 303

    with app.app_context():
        assert remind(db, draft.desired_at - timedelta(hours=47)) == 0


def test_withdrawing_an_approval_takes_the_draft_off_the_schedule(app, db, client, smtp,
                                                                  editor, peek):
    draft, request, chair = asked(app, db, smtp, editor)
    path = path_of(link_in(request_mail(smtp, chair)))
    assert post_decision(client, path, "approve").status_code == 303
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"

    assert post_decision(client, path, "withdraw").status_code == 303

    assert peek(lambda s: s.get(Draft, draft.id).status) == "in_review"
    assert peek(lambda s: s.scalars(select(Delivery.status)).all()) == ["cancelled"]
    assert len(smtp.to(editor.email)) == 1 and len(smtp.to(SECRETARIAT)) == 1
    again = post_decision(client, path, "approve", content_hash=draft.content_hash)
    assert again.status_code == 409
