"""Webhooks: signed per Standard Webhooks (verified with the `standardwebhooks` library), sent to a
real local HTTP server, retried with backoff, paused with a mail to the owner, SSRF refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from drafts.states import transition
from publisher.flows.feeds.filters import Filter
from publisher.flows.feeds.jobs import run_feed_jobs
from publisher.flows.feeds.models import (
    PublicItem,
    Subscription,
    WebhookAttempt,
    WebhookMessage,
)
from publisher.flows.feeds.ssrf import UnsafeTarget, check_url, networks
from publisher.flows.feeds.subscriptions import SubscriptionError, SubscriptionInput, create
from publisher.flows.feeds.webhooks import BACKOFF, MAX_ATTEMPTS
from tests.feeds.helpers import ACTOR, publish

NOW = datetime.now(UTC).replace(microsecond=0)
ALLOWED = networks("127.0.0.2/32")


def subscribe(db, url, *, municipalities=("halsnaes",), email="web@halsnaes.dk"):
    sub, secret = create(db, SubscriptionInput(
        name="Halsnæs web", contact_email=email, delivery="webhook", webhook_url=url,
        filter=Filter(municipalities=tuple(municipalities))), now=NOW, actor="test",
        allowed=ALLOWED)
    db.commit()
    return sub, secret


def test_a_published_item_reaches_the_receiver_signed_and_verifiable(app, db, receiver):
    now = datetime.now(UTC)  # the library refuses timestamps more than 5 minutes off
    _, secret = subscribe(db, receiver.url)
    assert secret.startswith("whsec_")
    publish(db, "Koncert i Halsnæs", now=now)
    counts = run_feed_jobs(app, now)
    assert counts["webhook_delivered"] == 1
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    payload = Webhook(secret).verify(request["body"], headers)  # raises if the signature is off
    assert payload["type"] == "item.published"
    assert payload["data"]["title"] == "Koncert i Halsnæs"
    assert headers["webhook-id"].startswith("msg_")


def test_a_wrong_secret_does_not_verify(app, db, receiver):
    now = datetime.now(UTC)
    subscribe(db, receiver.url)
    publish(db, "Koncert", now=now)
    run_feed_jobs(app, now)
    request = receiver.requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    other = Webhook("whsec_" + "A" * 32)
    with pytest.raises(Exception, match="signature"):
        other.verify(request["body"], headers)


def test_updates_and_withdrawals_are_sent_as_their_own_events(app, db, receiver):
    _, secret = subscribe(db, receiver.url)
    draft = publish(db, "Koncert", now=NOW)
    run_feed_jobs(app, NOW)
    item = db.query(PublicItem).filter_by(draft_id=draft.id).one()
    item.content_hash = "edited-and-approved-again"
    db.commit()
    run_feed_jobs(app, NOW + timedelta(seconds=1))
    transition(db, draft, "cancel", actor=ACTOR, now=NOW)
    db.commit()
    run_feed_jobs(app, NOW + timedelta(seconds=2))
    types = [json.loads(r["body"])["type"] for r in receiver.requests]
    assert types == ["item.published", "item.updated", "item.withdrawn"]


def test_a_subscription_gets_only_the_items_its_filter_wants(app, db, receiver):
    subscribe(db, receiver.url, municipalities=("koge",))
    publish(db, "Halsnæs-nyt", now=NOW, municipalities=("halsnaes",))
    publish(db, "Køge-nyt", now=NOW, municipalities=("koge",))
    run_feed_jobs(app, NOW)
    assert [json.loads(r["body"])["data"]["title"] for r in receiver.requests] == ["Køge-nyt"]


def test_a_failing_receiver_gets_retries_with_growing_backoff(app, db, receiver):
    subscribe(db, receiver.url)
    receiver.answers = [(500, {})] * 3
    publish(db, "Koncert", now=NOW)
    run_feed_jobs(app, NOW)
    message = db.query(WebhookMessage).one()
    waits = []
    at = NOW
    for _ in range(3):
        db.refresh(message)
        waits.append((message.next_attempt_at - at).total_seconds())
        at = message.next_attempt_at
        db.commit()
        run_feed_jobs(app, at)
    db.refresh(message)
    assert message.status == "delivered"
    assert message.attempts == 4
    for wait, base in zip(waits, BACKOFF, strict=False):
        assert base * 0.9 <= wait <= base * 1.1
    assert len(receiver.requests) == 4
    assert db.query(WebhookAttempt).count() == 4  # the delivery log holds every try


def test_a_receiver_failing_for_a_day_pauses_the_subscription_and_mails_the_owner(
        app, db, receiver, smtp):
    sub, _ = subscribe(db, receiver.url)
    receiver.answers = [(503, {})] * MAX_ATTEMPTS
    publish(db, "Koncert", now=NOW)
    at = NOW
    run_feed_jobs(app, at)
    for _ in range(MAX_ATTEMPTS - 1):
        db.expire_all()
        message = db.query(WebhookMessage).one()
        at = message.next_attempt_at
        db.commit()
        run_feed_jobs(app, at)
    assert at - NOW > timedelta(hours=24)  # retried for about a day
    db.expire_all()
    assert db.get(Subscription, sub.id).status == "paused"
    assert db.query(WebhookMessage).one().status == "failed"
    assert len(receiver.requests) == MAX_ATTEMPTS
    [mail] = smtp.to("web@halsnaes.dk")
    assert "pause" in mail["Subject"]
    # a paused subscription gets nothing more until it is resumed
    publish(db, "Endnu en koncert", now=at)
    run_feed_jobs(app, at + timedelta(seconds=1))
    assert len(receiver.requests) == MAX_ATTEMPTS


@pytest.mark.parametrize("url", [
    "http://10.0.0.5/hook",  # private
    "http://192.168.1.10/hook",  # private
    "http://127.0.0.1:8080/hook",  # loopback
    "http://[::1]/hook",  # loopback (IPv6)
    "http://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
    "http://localhost/hook",  # a host name that resolves to loopback
    "http://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private
    "ftp://example.org/hook",  # not http(s)
])
def test_a_webhook_to_an_inside_address_is_refused(db, url):
    with pytest.raises(SubscriptionError) as refused:
        subscribe(db, url)
    assert refused.value.field == "webhook_url"


def test_a_name_that_resolves_inside_is_refused_by_the_guard():
    with pytest.raises(UnsafeTarget, match="loopback"):
        check_url("http://localhost:9/hook")


def test_a_redirect_to_an_inside_address_is_refused(app, db, receiver, inside_receiver):
    subscribe(db, receiver.url)
    receiver.answers = [(307, {"Location": inside_receiver.url})]
    publish(db, "Koncert", now=NOW)
    run_feed_jobs(app, NOW)
    message = db.query(WebhookMessage).one()
    assert message.status == "pending"  # retried later, never sent inside
    assert "refused" in message.last_error and "127.0.0.1" in message.last_error
    assert inside_receiver.requests == []


def test_the_connection_itself_is_checked_even_if_the_name_check_is_passed(inside_receiver):
    from publisher.flows.feeds.ssrf import guarded_session

    http = guarded_session(())
    with pytest.raises(Exception) as failed:
        http.post(inside_receiver.url, data=b"{}", timeout=5)
    assert "127.0.0.1" in str(failed.value)
    assert inside_receiver.requests == []
