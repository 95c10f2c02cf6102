"""Problem 2: an approver who was deactivated, or whose email changed, could still approve with
the link already mailed; the decision counted and the draft was scheduled."""

from __future__ import annotations

from sqlalchemy import select

from drafts.approvals import ApprovalRequest
from drafts.models import Draft
from tests.approvals.helpers import (
    add_approver,
    link_in,
    make_draft,
    path_of,
    post_decision,
    request_mail,
    send,
)


def _edit(client, approver, **changes):
    values = {"name": approver.name, "email": approver.email,
              "municipality": str(approver.municipality_id), "role": approver.role,
              "deputy_of": str(approver.deputy_of_id or ""), "locale": approver.locale,
              "active": "1" if approver.active else ""}
    values.update(changes)
    values = {k: v for k, v in values.items() if v != ""}
    return client.post_form(f"/admin/approvers/{approver.id}", values)


def _asked(app, db, smtp, editor):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    send(app, db, draft, editor)
    return chair, draft, path_of(link_in(request_mail(smtp, chair)))


def test_a_deactivated_approver_cannot_approve_with_the_mailed_link(
        app, db, smtp, client, admin, editor, peek):
    chair, draft, path = _asked(app, db, smtp, editor)
    client.login("admin")
    assert _edit(client, chair, active="").status_code == 302
    response = client.post(path, data={"csrf_token": client.csrf_token(), "decision": "approve",
                                       "content_hash": draft.content_hash})
    assert response.status_code == 403
    assert peek(lambda s: s.get(Draft, draft.id).status) == "in_review"
    assert peek(lambda s: s.scalars(select(ApprovalRequest.decision)).all()) == [None]


def test_the_page_says_plainly_that_an_inactive_approver_cannot_decide(
        app, db, smtp, client, editor):
    chair, _draft, path = _asked(app, db, smtp, editor)
    chair.active = False  # deactivated behind the flow's back, e.g. straight in the database
    db.commit()
    response = client.get(path)
    assert response.status_code == 403
    assert "ikke længere godkende" in response.get_data(as_text=True)


def test_deactivating_an_approver_asks_their_deputy_instead(
        app, db, smtp, client, admin, editor, peek):
    chair, draft, old_path = _asked(app, db, smtp, editor)
    deputy = add_approver(db, "Dorte Suppleant", role="deputy", deputy_of=chair)
    client.login("admin")
    assert _edit(client, chair, active="").status_code == 302
    new_path = path_of(link_in(request_mail(smtp, deputy)))
    assert client.get(old_path).status_code == 403
    assert post_decision(client, new_path, "approve").status_code == 303
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"


def test_a_changed_email_voids_the_old_link_and_asks_at_the_new_address(
        app, db, smtp, client, admin, editor, peek):
    chair, draft, old_path = _asked(app, db, smtp, editor)
    client.login("admin")
    assert _edit(client, chair, email="rikke.ny@example.org").status_code == 302
    old = client.post(old_path, data={"csrf_token": client.csrf_token(),
                                      "decision": "approve", "content_hash": draft.content_hash})
    assert old.status_code in (409, 410)
    assert peek(lambda s: s.get(Draft, draft.id).status) == "in_review"
    new_path = path_of(link_in(smtp.to("rikke.ny@example.org")[-1]))
    assert post_decision(client, new_path, "approve").status_code == 303
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"


def test_an_approver_moved_without_a_deputy_makes_the_secretariat_choose(
        app, db, smtp, client, admin, editor, peek):
    chair, draft, old_path = _asked(app, db, smtp, editor)
    koge = add_approver(db, "Ole Formand", "koge")
    client.login("admin")
    assert _edit(client, chair, municipality=str(koge.municipality_id)).status_code == 302
    subjects = [str(m["Subject"]) for m in smtp.messages]
    assert any("Vælg en anden godkender" in s for s in subjects), subjects
    live = peek(lambda s: s.scalars(select(ApprovalRequest).where(
        ApprovalRequest.voided_at.is_(None))).all())
    assert live == []
