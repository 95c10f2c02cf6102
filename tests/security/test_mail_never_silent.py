"""Problem 3: a line break in a title silently stopped every mail about that draft (the mail
library refused the subject, the outbox row ended `failed`) while the approvals page and the API
said "Link sendt", because `sent_at` was set before sending and nobody was told."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from drafts.approvals import ApprovalRequest
from drafts.mailbox import OutgoingMail
from drafts.models import Draft
from publisher.mail import send_pending
from tests.approvals.helpers import add_approver, make_draft, request_mail, send


def _requests(peek):
    return peek(lambda s: s.scalars(select(ApprovalRequest)).all())


def test_a_line_break_typed_in_a_title_is_folded_and_the_mail_goes(app, db, smtp, editor):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor, title="Koncert\u2028i\nRoskilde")
    send(app, db, draft, editor)
    assert draft.title == "Koncert i Roskilde"
    assert "Koncert i Roskilde" in str(request_mail(smtp, chair)["Subject"])


def test_an_older_title_with_a_line_break_still_gets_its_mail_out(app, db, smtp, editor, peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    db.get(Draft, draft.id).title = "Koncert\ni Roskilde"  # saved before titles were checked
    db.commit()
    send(app, db, draft, editor)
    assert "Koncert i Roskilde" in str(request_mail(smtp, chair)["Subject"])
    assert [r.sent_at is not None for r in _requests(peek)] == [True]


def test_a_link_is_marked_sent_only_once_the_mail_server_accepted_it(
        app, db, smtp, editor, peek):
    add_approver(db, "Rikke Formand")
    smtp.server.stop()
    send(app, db, make_draft(db, editor), editor)
    assert [r.sent_at for r in _requests(peek)] == [None]
    smtp.server.start()
    with app.app_context():
        mail_id = peek(lambda s: s.scalars(select(OutgoingMail.id)).one())
        send_pending(db, datetime.now(UTC), ids=[mail_id])
    assert [r.sent_at is not None for r in _requests(peek)] == [True]


def test_a_mail_that_fails_for_good_tells_the_secretariat_and_shows_as_failed(
        app, db, smtp, client, admin, editor, peek):
    add_approver(db, "Rikke Formand", email="rikke, formand@example.org")
    draft = make_draft(db, editor)
    send(app, db, draft, editor)

    [notice] = smtp.to("sekretariat@kulturmetropolen.dk")
    assert "kunne ikke afleveres" in str(notice["Subject"])
    assert [r.sent_at for r in _requests(peek)] == [None]
    client.login("admin")
    page = client.get(f"/drafts/{draft.id}/approvals").get_data(as_text=True)
    assert "kunne ikke afleveres" in page


def test_the_api_shows_the_failed_mail(app, db, smtp, admin, editor):
    from publisher.auth import new_api_token

    add_approver(db, "Rikke Formand", email="rikke, formand@example.org")
    draft = make_draft(db, editor)
    send(app, db, draft, editor)
    _token, secret = new_api_token(db, admin, "test", datetime.now(UTC))
    db.commit()
    answer = app.test_client().get(f"/api/v1/drafts/{draft.id}/approvals",
                                   headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    [request] = answer.get_json()["requests"]
    assert (request["mail_status"], request["sent_at"]) == ("failed", None)


def test_a_failed_notice_does_not_set_off_another_notice(app, db, smtp, editor, peek):
    """The failure notice itself failing must not loop."""
    from publisher.flows.notices import mail_failed
    from publisher.flows.security.mail_failures import NOTICE_KIND

    draft = make_draft(db, editor)
    with app.app_context():
        mail = OutgoingMail(kind=NOTICE_KIND, to_addr="x@example.org", to_name="", subject="s",
                            text_body="", html_body="", locale="da", draft_id=draft.id,
                            created_at=datetime.now(UTC), next_attempt_at=datetime.now(UTC),
                            status="failed")
        db.add(mail)
        db.commit()
        mail_failed(db, mail, datetime.now(UTC))
    assert peek(lambda s: s.scalars(select(OutgoingMail.kind)).all()) == [NOTICE_KIND]
