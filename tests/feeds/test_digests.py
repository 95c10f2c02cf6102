"""Email digests: confirmed by the contact first, sent to a real SMTP server (aiosmtpd) with
List-Unsubscribe, and stopped by a one-click POST (RFC 8058)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from drafts.models import Role
from publisher.flows.feeds.jobs import run_feed_jobs
from publisher.flows.feeds.models import Subscription
from tests.conftest import make_user
from tests.feeds.helpers import publish

NOW = datetime.now(UTC).replace(microsecond=0)


def create_digest(client, db, smtp, cadence="weekly", municipality="halsnaes"):
    make_user(db, "sekretariat", Role.ADMIN)
    client.login("sekretariat")
    response = client.post_form("/subscriptions/new", {
        "name": "Halsnæs ugebrev", "contact_email": "kultur@halsnaes.dk", "delivery": "digest",
        "cadence": cadence, "municipality": municipality})
    assert response.status_code == 201, response.get_data(as_text=True)
    return read(db, db.query(Subscription).one().id)


def read(db, sub_id):
    """The subscription's fields now, ending the read (SQLite locks the file while a session
    has a transaction open)."""
    db.expire_all()
    sub = db.get(Subscription, sub_id)
    found = type("Seen", (), {"id": sub.id, "status": sub.status,
                              "confirmed_at": sub.confirmed_at})
    db.commit()
    return found


def confirm_link(smtp):
    [mail] = smtp.to("kultur@halsnaes.dk")
    return re.search(r"http://127\.0\.0\.1:5000(/s/confirm/\S+)",
                     mail.get_body(("plain",)).get_content()).group(1)


def test_a_digest_waits_for_its_contact_to_confirm_by_email(app, client, db, smtp):
    sub = create_digest(client, db, smtp)
    assert sub.status == "pending"
    link = confirm_link(smtp)
    assert "Ja, send mig" in client.get(link).get_data(as_text=True)  # GET only asks
    assert read(db, sub.id).status == "pending"
    client.post_form(link)
    assert read(db, sub.id).status == "active"


def test_no_digest_is_sent_before_confirmation(app, client, db, smtp):
    create_digest(client, db, smtp)
    publish(db, "Koncert i Halsnæs", now=NOW)
    run_feed_jobs(app, NOW + timedelta(days=8))
    assert len(smtp.to("kultur@halsnaes.dk")) == 1  # only the confirmation


def confirmed_digest(app, client, db, smtp):
    sub = create_digest(client, db, smtp)
    client.post_form(confirm_link(smtp))
    client.post_form("/logout")
    return read(db, sub.id)


def test_a_weekly_digest_arrives_with_the_new_items_and_list_unsubscribe(app, client, db, smtp):
    sub = confirmed_digest(app, client, db, smtp)
    start = sub.confirmed_at
    publish(db, "Koncert i Halsnæs", now=start + timedelta(days=1))
    publish(db, "Køge-nyt", now=start + timedelta(days=1), municipalities=("koge",))
    run_feed_jobs(app, start + timedelta(days=2))
    run_feed_jobs(app, start + timedelta(days=6))
    assert len(smtp.to("kultur@halsnaes.dk")) == 1  # not yet a week
    run_feed_jobs(app, start + timedelta(days=7, minutes=1))
    digest = smtp.to("kultur@halsnaes.dk")[-1]
    text = digest.get_body(("plain",)).get_content()
    assert "Koncert i Halsnæs" in text and "Køge-nyt" not in text
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://127\.0\.0\.1:5000/s/unsubscribe/\S+>",
                        str(digest["List-Unsubscribe"]).strip())
    run_feed_jobs(app, start + timedelta(days=7, minutes=2))
    assert len(smtp.to("kultur@halsnaes.dk")) == 2  # once per period


def test_one_click_unsubscribe_stops_the_digest_without_a_session_or_csrf(app, client, db, smtp):
    sub = confirmed_digest(app, client, db, smtp)
    start = sub.confirmed_at
    publish(db, "Koncert", now=start + timedelta(days=1))
    run_feed_jobs(app, start + timedelta(days=8))
    header = str(smtp.to("kultur@halsnaes.dk")[-1]["List-Unsubscribe"])
    path = header.strip().strip("<>").removeprefix("http://127.0.0.1:5000")
    fresh = app.test_client()  # a mail client: no cookie, no CSRF token
    response = fresh.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert read(db, sub.id).status == "cancelled"
    publish(db, "Endnu en koncert", now=start + timedelta(days=9))
    run_feed_jobs(app, start + timedelta(days=16))
    assert len(smtp.to("kultur@halsnaes.dk")) == 2  # confirmation and the one digest


def test_an_unsubscribe_link_that_was_tampered_with_is_not_found(client):
    assert client.post("/s/unsubscribe/abc.def", data={"List-Unsubscribe": "One-Click"}
                       ).status_code == 404


def test_a_period_without_new_items_sends_nothing(app, client, db, smtp):
    sub = confirmed_digest(app, client, db, smtp)
    run_feed_jobs(app, sub.confirmed_at + timedelta(days=8))
    assert len(smtp.to("kultur@halsnaes.dk")) == 1
