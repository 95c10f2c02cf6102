"""The approval mail over a real SMTP server: multipart, in the approver's language, retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from drafts.mailbox import OutgoingMail
from publisher.mail import send_pending
from tests.approvals.helpers import (
    add_approver,
    add_x_account,
    edit,
    html,
    link_in,
    make_draft,
    path_of,
    plain,
    request_mail,
    send,
)


def test_the_request_is_a_multipart_mail_with_the_exact_text_and_one_link(app, db, smtp,
                                                                          editor):
    chair = add_approver(db, "Rikke Formand")
    add_x_account(db)
    draft = make_draft(db, editor, channels=["facebook", "x"],
                       variants={"x": "Kort tekst til X #koncert"})

    send(app, db, draft, editor)

    [message] = smtp.to(chair.email)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["From"] == "Kulturmetropolen <noreply@kulturmetropolen.dk>"
    assert message["To"] == "Rikke Formand <rikke.formand@example.org>"
    assert message["Subject"] == "Til godkendelse: “Koncert i Roskilde”"
    assert message["Message-ID"] and message["Date"]
    text = plain(message)
    assert "Kom og hør orkestret." in text and "Kort tekst til X #koncert" in text
    assert "Musik beder dig godkende" in text
    assert "kl." in text  # the publishing time, in Copenhagen time
    assert link_in(message).startswith("http://publisher.test/a/")
    body = html(message)
    assert '<html lang="da">' in body and 'role="presentation"' in body
    assert body.count('href="http://publisher.test/a/') == 1


def test_an_approver_who_reads_english_gets_the_mail_in_english(app, db, smtp, editor):
    chair = add_approver(db, "Rikke Formand", locale="en")

    send(app, db, make_draft(db, editor), editor)

    [message] = smtp.to(chair.email)
    assert message["Subject"] == "Please approve: “Koncert i Roskilde”"
    assert "Musik asks you to approve this" in plain(message)
    assert '<html lang="en">' in html(message)


def test_a_mail_that_could_not_be_sent_is_retried_with_a_working_link(app, db, client, smtp,
                                                                      editor, peek):
    chair = add_approver(db, "Rikke Formand")
    smtp.server.stop()
    send(app, db, make_draft(db, editor), editor)
    [pending] = peek(lambda s: s.scalars(select(OutgoingMail)).all())
    assert (pending.status, pending.attempts) == ("pending", 1)
    assert pending.last_error

    smtp.server.start()
    with app.app_context():
        assert send_pending(db, datetime.now(UTC)) == {}  # not due yet: it backs off
        counts = send_pending(db, datetime.now(UTC) + timedelta(minutes=5))

    assert counts == {"sent": 1}
    path = path_of(link_in(request_mail(smtp, chair)))
    assert client.get(path).status_code == 200
    assert peek(lambda s: s.get(OutgoingMail, pending.id).status) == "sent"


def test_a_mail_for_a_request_voided_before_it_left_is_not_sent(app, db, smtp, editor, peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    smtp.server.stop()
    send(app, db, draft, editor)
    edit(app, db, draft, editor, body="Ny tekst.")  # voids the first request, asks again
    smtp.server.start()

    with app.app_context():
        counts = send_pending(db, datetime.now(UTC) + timedelta(minutes=5))

    assert counts == {"cancelled": 1, "sent": 1}
    [message] = smtp.to(chair.email)
    assert "Ny tekst." in plain(message)
