"""An edit of what will be published voids the approvals and asks again, with a new link."""

from __future__ import annotations

from sqlalchemy import select

from drafts.approvals import ApprovalRequest
from drafts.models import Draft
from schedules.models import Delivery
from tests.approvals.helpers import (
    add_approver,
    edit,
    link_in,
    make_draft,
    path_of,
    post_decision,
    request_mail,
    send,
)


def approved(app, db, client, smtp, editor):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    send(app, db, draft, editor)
    old = path_of(link_in(request_mail(smtp, chair)))
    assert post_decision(client, old, "approve").status_code == 303
    return draft, chair, old


def test_an_edit_after_approval_voids_it_and_asks_again_with_a_new_link(app, db, client, smtp,
                                                                        editor, peek):
    draft, chair, old = approved(app, db, client, smtp, editor)

    assert edit(app, db, draft, editor, body="Kom og hør **det nye** orkester.") == ["body"]

    assert peek(lambda s: s.get(Draft, draft.id).status) == "in_review"
    assert peek(lambda s: s.scalars(select(Delivery.status)).all()) == ["cancelled"]
    first, second = smtp.to(chair.email)
    new = path_of(link_in(second))
    assert new != old
    requests = peek(lambda s: s.scalars(select(ApprovalRequest).order_by(
        ApprovalRequest.id)).all())
    assert [(r.version, r.decision, r.void_reason) for r in requests] == [
        (1, "approve", "content_changed"), (2, None, "")]


def test_the_old_link_says_the_text_changed_and_shows_the_current_version(app, db, client,
                                                                          smtp, editor):
    draft, chair, old = approved(app, db, client, smtp, editor)
    edit(app, db, draft, editor, body="Kom og hør **det nye** orkester.")

    page = client.get(old)

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Teksten er ændret, siden du blev spurgt" in text
    assert "det nye" in text
    assert 'name="decision"' not in text


def test_the_old_link_cannot_approve_the_new_text(app, db, client, smtp, editor, peek):
    draft, chair, old = approved(app, db, client, smtp, editor)
    edit(app, db, draft, editor, body="Kom og hør **det nye** orkester.")

    refused = post_decision(client, old, "approve", content_hash=draft.content_hash)

    assert refused.status_code == 409
    assert peek(lambda s: s.get(Draft, draft.id).status) == "in_review"


def test_the_new_link_approves_the_new_text_and_schedules_it_again(app, db, client, smtp,
                                                                   editor, peek):
    draft, chair, old = approved(app, db, client, smtp, editor)
    edit(app, db, draft, editor, body="Kom og hør **det nye** orkester.")

    assert post_decision(client, path_of(link_in(request_mail(smtp, chair))),
                         "approve").status_code == 303

    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"
    statuses = peek(lambda s: sorted(s.scalars(select(Delivery.status)).all()))
    assert statuses == ["cancelled", "scheduled"]


def test_a_new_publishing_time_alone_keeps_the_approval(app, db, client, smtp, editor, peek):
    draft, chair, old = approved(app, db, client, smtp, editor)
    later = draft.desired_at.astimezone(draft.desired_at.tzinfo)

    assert edit(app, db, draft, editor, desired_at=(later.replace(tzinfo=None)).isoformat(),
                title=draft.title) == []

    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"
    assert len(smtp.to(chair.email)) == 1


def test_an_edit_after_a_rejection_asks_nobody_until_it_is_sent_again(app, db, client, smtp,
                                                                      editor, peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    send(app, db, draft, editor)
    assert post_decision(client, path_of(link_in(request_mail(smtp, chair))), "reject",
                         "Nej").status_code == 303

    edit(app, db, draft, editor, body="En bedre tekst.")

    assert peek(lambda s: s.get(Draft, draft.id).status) == "draft"
    assert len(smtp.to(chair.email)) == 1
