"""Who is asked and when a draft counts as approved: chairs, deputies, lists, any-of, all-of."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from drafts.approval_decisions import decide
from drafts.approvals import (
    ApprovalPolicy,
    Mode,
    Policy,
    PolicyError,
    Rule,
    effective_policy,
    policy_satisfied,
    resolve_approvers,
)
from drafts.models import AuditEvent, Draft
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


def set_policy(db, draft, **rules) -> None:
    row = db.scalar(select(ApprovalPolicy).where(ApprovalPolicy.draft_id == draft.id))
    if row is None:
        row = ApprovalPolicy(draft_id=draft.id)
        db.add(row)
    Policy(**rules).copy_to(row)
    db.commit()


def test_by_default_the_chair_of_each_tagged_municipality_is_asked(app, db, smtp, editor):
    roskilde = add_approver(db, "Rikke Formand")
    koge = add_approver(db, "Karl Formand", "koge")
    add_approver(db, "Kim Kulturchef", "koge", role="culture_chief")
    add_approver(db, "Hanne Formand", "halsnaes")
    draft = make_draft(db, editor, municipalities=["roskilde", "koge"])

    requests = send(app, db, draft, editor)

    assert sorted(r.approver.name for r in requests) == ["Karl Formand", "Rikke Formand"]
    assert [len(smtp.to(a.email)) for a in (roskilde, koge)] == [1, 1]
    assert len(smtp.messages) == 2


def test_the_deputy_is_asked_when_the_chair_is_away(app, db, smtp, editor):
    chair = add_approver(db, "Rikke Formand", away=True)
    deputy = add_approver(db, "Sofie Suppleant", role="deputy", deputy_of=chair)

    [request] = send(app, db, make_draft(db, editor), editor)

    assert request.approver_id == deputy.id
    assert smtp.to(chair.email) == [] and len(smtp.to(deputy.email)) == 1


def test_a_municipality_without_a_chair_is_named_and_nothing_is_sent(app, db, smtp, editor,
                                                                    peek):
    add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor, municipalities=["roskilde", "herlev"])

    with pytest.raises(PolicyError) as refused:
        send(app, db, draft, editor)

    db.rollback()
    assert [p.code for p in refused.value.problems] == ["no_chair"]
    assert "Herlev" in refused.value.problems[0].message("da")
    assert peek(lambda s: s.get(Draft, draft.id).status) == "draft"
    assert smtp.messages == []


def test_an_away_chair_without_a_deputy_stops_the_sending(app, db, smtp, editor):
    add_approver(db, "Rikke Formand", away=True)
    draft = make_draft(db, editor)

    with pytest.raises(PolicyError) as refused:
        send(app, db, draft, editor)

    assert [p.code for p in refused.value.problems] == ["away"]


def test_a_chosen_list_asks_exactly_those_approvers(app, db, smtp, editor):
    add_approver(db, "Rikke Formand")
    chief = add_approver(db, "Kim Kulturchef", role="culture_chief")
    other = add_approver(db, "Ole Kulturchef", "koge", role="culture_chief")
    draft = make_draft(db, editor)
    set_policy(db, draft, mode=Mode.LIST.value, approver_ids=(chief.id, other.id))

    requests = send(app, db, draft, editor)

    assert sorted(r.approver.name for r in requests) == ["Kim Kulturchef", "Ole Kulturchef"]


def test_the_initiatives_defaults_apply_until_the_draft_has_its_own_policy(db, editor):
    from drafts.approvals import ApprovalDefault

    draft = make_draft(db, editor)
    db.add(ApprovalDefault(initiative_id=draft.initiative_id, mode="none", rule="any",
                           approver_ids=[], deadline_hours=2, reminder_hours=0))
    db.commit()

    assert effective_policy(db, draft) == Policy("none", "any", (), 2, 0)
    set_policy(db, draft, mode="chairs", rule="all")
    assert effective_policy(db, draft).mode == "chairs"


def two_asked(app, db, editor, rule: str):
    a = add_approver(db, "Rikke Formand")
    b = add_approver(db, "Karl Formand", "koge")
    draft = make_draft(db, editor, municipalities=["roskilde", "koge"])
    set_policy(db, draft, mode=Mode.CHAIRS.value, rule=rule)
    requests = {r.approver_id: r for r in send(app, db, draft, editor)}
    return draft, requests[a.id], requests[b.id]


def test_with_any_of_one_approval_approves_the_draft(app, db, smtp, editor):
    draft, first, _ = two_asked(app, db, editor, Rule.ANY.value)
    now = datetime.now(UTC)

    outcome = decide(db, first, "approve", "", now)

    assert outcome.approved_now and draft.status == "approved"


def test_with_all_of_one_approval_is_not_enough(app, db, smtp, editor):
    draft, first, second = two_asked(app, db, editor, Rule.ALL.value)
    now = datetime.now(UTC)

    assert not decide(db, first, "approve", "", now).approved_now
    assert draft.status == "in_review" and not policy_satisfied(db, draft)
    assert decide(db, second, "approve", "", now).approved_now
    assert draft.status == "approved"


def test_with_all_of_one_rejection_rejects_the_draft_and_tells_the_author(app, db, client,
                                                                          smtp, editor, peek):
    draft, first, _ = two_asked(app, db, editor, Rule.ALL.value)
    path = path_of(link_in(smtp.to(first.approver.email)[0]))

    assert post_decision(client, path, "reject", "Forkert dato").status_code == 303

    assert peek(lambda s: s.get(Draft, draft.id).status) == "rejected"
    [notice] = smtp.to(editor.email)
    assert "Afvist" in notice["Subject"] or "Rejected" in notice["Subject"]
    assert "Forkert dato" in plain(notice) and "Rikke Formand" in plain(notice)


def test_with_any_of_a_rejection_waits_for_the_other_approver(app, db, smtp, editor):
    draft, first, second = two_asked(app, db, editor, Rule.ANY.value)
    now = datetime.now(UTC)

    assert not decide(db, first, "reject", "", now).rejected_now
    assert draft.status == "in_review"
    assert decide(db, second, "reject", "", now).rejected_now


def test_a_comment_tells_the_author_and_leaves_the_request_open(app, db, client, smtp, editor,
                                                                peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    [request] = send(app, db, draft, editor)
    path = path_of(link_in(request_mail(smtp, chair)))

    assert post_decision(client, path, "comment", "Nævn gerne billetprisen").status_code == 303

    [notice] = smtp.to(editor.email)
    assert "Nævn gerne billetprisen" in plain(notice)
    assert peek(lambda s: s.get(Draft, draft.id).status) == "in_review"
    assert post_decision(client, path, "approve").status_code == 303
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"


def test_an_empty_comment_is_refused_with_a_message_and_changes_nothing(app, db, client, smtp,
                                                                        editor, peek):
    chair = add_approver(db, "Rikke Formand")
    [request] = send(app, db, make_draft(db, editor), editor)
    path = path_of(link_in(request_mail(smtp, chair)))

    refused = post_decision(client, path, "comment", "   ")

    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert peek(lambda s: s.get(type(request), request.id).decision) is None


def test_without_an_outside_approver_an_admin_approves_on_the_approvals_page(
        app, db, admin_client, admin, smtp, peek):
    draft = make_draft(db, admin)
    set_policy(db, draft, mode=Mode.NONE.value)

    sent = admin_client.post_form(f"/drafts/{draft.id}/approvals/send")
    assert sent.status_code == 303 and smtp.messages == []
    approved = admin_client.post_form(f"/drafts/{draft.id}/approvals/approve")

    assert approved.status_code == 303
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"
    [event] = peek(lambda s: s.scalars(select(AuditEvent).where(
        AuditEvent.action == "approved_without_outside_approver")).all())
    assert (event.actor_type, event.actor_label) == ("user", "admin")
    assert peek(lambda s: s.scalar(select(Delivery.channel).where(
        Delivery.draft_id == draft.id))) == "facebook"


def test_an_admin_cannot_approve_in_place_of_outside_approvers(app, db, admin_client, admin,
                                                               smtp, peek):
    add_approver(db, "Rikke Formand")
    draft = make_draft(db, admin)
    send(app, db, draft, admin)

    refused = admin_client.post_form(f"/drafts/{draft.id}/approvals/approve")

    assert refused.status_code == 409
    assert peek(lambda s: s.get(Draft, draft.id).status) == "in_review"


def test_resolving_approvers_changes_nothing(db, editor):
    add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)

    approvers, problems = resolve_approvers(db, draft, Policy())

    assert [a.name for a in approvers] == ["Rikke Formand"] and problems == []
    assert not db.new and not db.dirty
