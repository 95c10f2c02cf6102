"""The approver's page: what it shows, what happens after a decision, in the approver's language."""

from __future__ import annotations

from sqlalchemy import select

from drafts.approvals import ApprovalRequest
from drafts.mailbox import OutgoingMail
from drafts.models import Draft
from schedules.models import Delivery
from tests.approvals.helpers import (
    add_approver,
    add_x_account,
    link_in,
    make_draft,
    path_of,
    post_decision,
    request_mail,
    send,
)


def test_the_mailed_link_approves_and_schedules_the_draft(app, db, client, smtp, editor, peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor, channels=["facebook", "website"])
    [request] = send(app, db, draft, editor)

    response = post_decision(client, path_of(link_in(request_mail(smtp, chair))), "approve")

    assert response.status_code == 303
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"
    assert peek(lambda s: sorted(s.scalars(select(Delivery.channel).where(
        Delivery.draft_id == draft.id)).all())) == ["facebook", "website"]
    assert peek(lambda s: s.get(ApprovalRequest, request.id).decision) == "approve"


def test_the_page_shows_the_exact_text_per_channel_who_asked_and_the_history(
        app, db, client, smtp, editor):
    chair = add_approver(db, "Rikke Formand")
    add_x_account(db)
    draft = make_draft(db, editor, channels=["facebook", "x"],
                       variants={"x": "Kort tekst til X #koncert"})
    send(app, db, draft, editor)

    page = client.get(path_of(link_in(request_mail(smtp, chair)))).get_data(as_text=True)

    assert "Kom og hør orkestret." in page and "Kort tekst til X #koncert" in page
    assert "Spurgt af</dt><dd>Musik" in page
    assert "Udgivelsestidspunkt (dansk tid)" in page and " kl. " in page
    assert "Godkendere spurgt" in page and "Oprettet" in page
    assert 'name="decision" value="approve"' in page


def test_after_approving_the_page_says_what_happens_next(app, db, client, smtp, editor):
    rikke = add_approver(db, "Rikke Formand")
    add_approver(db, "Karl Formand", "koge")
    draft = make_draft(db, editor, municipalities=["roskilde", "koge"])
    send(app, db, draft, editor)
    path = path_of(link_in(request_mail(smtp, rikke)))

    after = client.get(post_decision(client, path, "approve").headers["Location"])

    text = after.get_data(as_text=True)
    assert "Tak. Dit svar er registreret." in text
    assert "når alle godkendere har godkendt (1 af 2 indtil nu)" in text
    assert "Træk min godkendelse tilbage" in text


def test_an_approver_who_reads_english_sees_the_page_in_english(app, db, client, smtp, editor):
    chair = add_approver(db, "Rikke Formand", locale="en")
    send(app, db, make_draft(db, editor), editor)

    page = client.get(path_of(link_in(request_mail(smtp, chair)))).get_data(as_text=True)

    assert '<html lang="en">' in page and "Exactly what will be published" in page


def test_an_unknown_decision_is_a_bad_request_and_changes_nothing(app, db, client, smtp,
                                                                  editor, peek):
    chair = add_approver(db, "Rikke Formand")
    [request] = send(app, db, make_draft(db, editor), editor)
    path = path_of(link_in(request_mail(smtp, chair)))

    assert post_decision(client, path, "publish-now").status_code == 400
    assert peek(lambda s: s.get(ApprovalRequest, request.id).decision) is None


def test_an_address_the_mail_server_refuses_is_not_retried(app, db, smtp, editor, peek):
    add_approver(db, "Rikke Formand", email="rikke, formand@example.org")

    send(app, db, make_draft(db, editor), editor)

    [mail] = peek(lambda s: s.scalars(select(OutgoingMail).where(
        OutgoingMail.kind == "approval_request")).all())  # (the secretariat is told: its own mail)
    assert (mail.status, mail.attempts) == ("failed", 1)


def test_the_page_is_never_cached_or_indexed(app, db, client, smtp, editor):
    chair = add_approver(db, "Rikke Formand")
    send(app, db, make_draft(db, editor), editor)

    page = client.get(path_of(link_in(request_mail(smtp, chair))))

    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_once_another_approver_rejected_the_page_offers_no_decision(app, db, client, smtp,
                                                                    editor):
    rikke = add_approver(db, "Rikke Formand")
    karl = add_approver(db, "Karl Formand", "koge")
    send(app, db, make_draft(db, editor, municipalities=["roskilde", "koge"]), editor)
    post_decision(client, path_of(link_in(request_mail(smtp, rikke))), "reject", "Nej tak")

    page = client.get(path_of(link_in(request_mail(smtp, karl)))).get_data(as_text=True)

    assert "Det er blevet afvist" in page and 'name="decision"' not in page
