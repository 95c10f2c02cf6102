"""The secretariat's approvals page: who was asked, opened, decided; resend; change; policy."""

from __future__ import annotations

from sqlalchemy import select

from drafts.approvals import ApprovalDefault, ApprovalPolicy, ApprovalRequest
from drafts.models import AuditEvent, Draft, Initiative, Role
from tests.approvals.helpers import (
    add_approver,
    link_in,
    make_draft,
    path_of,
    post_decision,
    request_mail,
    send,
    snapshot,
)
from tests.conftest import make_user


def test_the_page_shows_who_was_asked_who_opened_and_who_decided(app, db, client, smtp,
                                                                 editor, viewer):
    rikke = add_approver(db, "Rikke Formand")
    karl = add_approver(db, "Karl Formand", "koge")
    draft = make_draft(db, editor, municipalities=["roskilde", "koge"])
    send(app, db, draft, editor)
    post_decision(client, path_of(link_in(request_mail(smtp, rikke))), "approve")
    client.get(path_of(link_in(request_mail(smtp, karl))))
    assert client.login("viewer").status_code == 302

    page = client.get(f"/drafts/{draft.id}/approvals").get_data(as_text=True)

    assert "1 af 2 har godkendt" in page
    assert page.count("Godkendt") >= 1 and "Ikke besvaret endnu" in page
    assert "Send linket igen" not in page  # a viewer only reads


def test_a_viewer_cannot_send_for_approval(app, db, client, smtp, editor, viewer, peek):
    add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    client.login("viewer")
    before = peek(snapshot)

    assert client.post_form(f"/drafts/{draft.id}/approvals/send").status_code == 403

    assert peek(snapshot) == before and smtp.messages == []


def test_sending_from_the_page_names_a_municipality_without_a_chair(db, editor_client, editor,
                                                                   smtp, peek):
    draft = make_draft(db, editor, municipalities=["herlev"])

    refused = editor_client.post_form(f"/drafts/{draft.id}/approvals/send")

    assert refused.status_code == 422
    assert "Herlev har ingen udvalgsformand" in refused.get_data(as_text=True)
    assert peek(lambda s: s.get(Draft, draft.id).status) == "draft"


def test_resending_mails_a_new_link_and_the_old_one_stops_working(app, db, client, smtp,
                                                                  editor, editor_client):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    [request] = send(app, db, draft, editor)
    old = path_of(link_in(request_mail(smtp, chair)))

    done = editor_client.post_form(f"/drafts/{draft.id}/approvals/{request.id}/resend")

    assert done.status_code == 303
    new = path_of(link_in(request_mail(smtp, chair)))
    stranger = app.test_client()
    assert stranger.get(old).status_code == 410
    assert stranger.get(new).status_code == 200


def test_an_editor_of_another_initiative_cannot_resend(app, db, client, smtp, editor):
    add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    [request] = send(app, db, draft, editor)
    make_user(db, "unge", Role.EDITOR, ("youth",))
    client.login("unge")

    assert client.post_form(f"/drafts/{draft.id}/approvals/{request.id}/resend"
                            ).status_code == 403
    assert len(smtp.messages) == 1


def test_an_admin_can_ask_another_approver_instead(app, db, admin_client, smtp, editor, peek):
    rikke = add_approver(db, "Rikke Formand")
    sofie = add_approver(db, "Sofie Suppleant", role="deputy")
    draft = make_draft(db, editor)
    [request] = send(app, db, draft, editor)
    old = path_of(link_in(request_mail(smtp, rikke)))

    done = admin_client.post_form(f"/drafts/{draft.id}/approvals/{request.id}/change",
                                  {"approver_id": str(sofie.id)})

    assert done.status_code == 303
    assert len(smtp.to(sofie.email)) == 1
    page = admin_client.get(old).get_data(as_text=True)
    assert "Du bliver ikke længere bedt om at godkende" in page
    live = peek(lambda s: s.scalars(select(ApprovalRequest.approver_id).where(
        ApprovalRequest.voided_at.is_(None))).all())
    assert live == [sofie.id]


def test_a_policy_with_bad_hours_is_refused_with_messages_and_changes_nothing(
        db, admin_client, admin, peek):
    draft = make_draft(db, admin)
    before = peek(snapshot)

    refused = admin_client.post_form(f"/drafts/{draft.id}/approvals/policy", {
        "mode": "chairs", "rule": "all", "deadline_hours": "-3", "reminder_hours": "many"})

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="policy-deadline_hours"' in page and 'aria-invalid="true"' in page
    assert "Angiv et helt antal timer" in page
    assert peek(snapshot) == before


def test_switching_to_any_of_approves_a_draft_that_already_has_one_approval(
        app, db, client, admin_client, smtp, editor, peek):
    rikke = add_approver(db, "Rikke Formand")
    add_approver(db, "Karl Formand", "koge")
    draft = make_draft(db, editor, municipalities=["roskilde", "koge"])
    send(app, db, draft, editor)
    post_decision(client, path_of(link_in(request_mail(smtp, rikke))), "approve")

    saved = admin_client.post_form(f"/drafts/{draft.id}/approvals/policy", {
        "mode": "chairs", "rule": "any", "deadline_hours": "24", "reminder_hours": "24"})

    assert saved.status_code == 303
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"
    assert peek(lambda s: s.scalar(select(ApprovalPolicy.rule))) == "any"
    assert peek(lambda s: s.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "approval_policy_changed"))) is not None


def test_the_initiative_defaults_are_for_admins_only(db, editor_client, peek):
    assert editor_client.get("/admin/approval-defaults").status_code == 403
    music = db.scalar(select(Initiative.id).where(Initiative.slug == "music"))
    db.commit()
    assert editor_client.post_form(f"/admin/approval-defaults/{music}", {
        "mode": "none", "rule": "any", "deadline_hours": "1", "reminder_hours": "0"}
    ).status_code == 403
    assert peek(lambda s: s.scalars(select(ApprovalDefault)).all()) == []


def test_a_new_drafts_policy_comes_from_its_initiatives_defaults(app, db, admin_client, admin,
                                                                 smtp, peek):
    chief = add_approver(db, "Kim Kulturchef", role="culture_chief")
    draft = make_draft(db, admin)
    assert admin_client.get("/admin/approval-defaults").status_code == 200

    saved = admin_client.post_form(f"/admin/approval-defaults/{draft.initiative_id}", {
        "mode": "list", "rule": "any", "approvers": [str(chief.id)], "deadline_hours": "48",
        "reminder_hours": "12"})

    assert saved.status_code == 303
    [request] = send(app, db, draft, admin)
    assert request.approver_id == chief.id
    row = peek(lambda s: s.scalar(select(ApprovalPolicy)))
    assert (row.mode, row.rule, row.approver_ids, row.deadline_hours) == (
        "list", "any", [chief.id], 48)


def test_sending_again_keeps_the_approvals_already_given_for_this_version(
        app, db, client, editor_client, smtp, editor, peek):
    rikke = add_approver(db, "Rikke Formand")
    karl = add_approver(db, "Karl Formand", "koge")
    draft = make_draft(db, editor, municipalities=["roskilde", "koge"])
    send(app, db, draft, editor)
    post_decision(client, path_of(link_in(request_mail(smtp, rikke))), "approve")

    again = editor_client.post_form(f"/drafts/{draft.id}/approvals/send")

    assert again.status_code == 303
    assert len(smtp.to(rikke.email)) == 1 and len(smtp.to(karl.email)) == 2
    live = peek(lambda s: sorted((r.approver_id, r.decision) for r in s.scalars(
        select(ApprovalRequest).where(ApprovalRequest.voided_at.is_(None)))))
    assert live == sorted([(rikke.id, "approve"), (karl.id, None)])
