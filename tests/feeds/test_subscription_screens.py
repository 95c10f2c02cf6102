"""The secretariat's subscription screens: create (secret shown once), private feed by token,
rotate, pause and resume, refused webhook targets, the health overview; admins only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import feedparser

from publisher.flows.feeds.models import Subscription
from tests.feeds.helpers import publish, sync

NOW = datetime.now(UTC).replace(microsecond=0)


def create(client, **fields):
    data = {"name": "Halsnæs web", "contact_email": "web@halsnaes.dk", "delivery": "feed",
            "municipality": "halsnaes", **fields}
    return client.post_form("/subscriptions/new", data)


def feed_path(page):
    url = re.search(r'value="http://127\.0\.0\.1:5000(/feeds/private/feed_[^"]+\.atom)"', page)
    return url.group(1)


def test_a_private_feed_url_is_shown_once_and_gives_the_filtered_feed(admin_client, db):
    publish(db, "Halsnæs-nyt", now=NOW)
    publish(db, "Køge-nyt", now=NOW, municipalities=("koge",))
    sync(db, NOW)
    response = create(admin_client)
    assert response.status_code == 201
    path = feed_path(response.get_data(as_text=True))
    parsed = feedparser.parse(admin_client.get(path).data)
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == ["Halsnæs-nyt"]
    sub_id = db.query(Subscription.id).scalar()
    db.commit()
    assert path.split("/")[-1].removesuffix(".atom") not in admin_client.get(
        f"/subscriptions/{sub_id}").get_data(as_text=True)  # never shown again


def test_rotating_the_feed_address_stops_the_old_one(admin_client, db):
    old = feed_path(create(admin_client).get_data(as_text=True))
    sub_id = db.query(Subscription.id).scalar()
    db.commit()
    new = feed_path(admin_client.post_form(f"/subscriptions/{sub_id}/rotate")
                    .get_data(as_text=True))
    assert admin_client.get(old).status_code == 404
    assert admin_client.get(new).status_code == 200


def test_a_cancelled_subscriptions_feed_is_gone(admin_client, db):
    path = feed_path(create(admin_client).get_data(as_text=True))
    sub_id = db.query(Subscription.id).scalar()
    db.commit()
    admin_client.post_form(f"/subscriptions/{sub_id}/cancel")
    assert admin_client.get(path).status_code == 404


def test_a_webhook_to_a_private_address_is_refused_with_a_clear_message(admin_client, db):
    response = create(admin_client, delivery="webhook", webhook_url="http://192.168.0.10/hook")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "192.168.0.10 er en privat adresse" in page
    assert db.query(Subscription).count() == 0


def test_a_webhook_secret_is_shown_once_as_whsec(admin_client):
    response = create(admin_client, delivery="webhook", webhook_url=_receiver_url())
    assert response.status_code == 201
    assert re.search(r'value="whsec_[A-Za-z0-9+/=]+"', response.get_data(as_text=True))


def _receiver_url():
    return "http://127.0.0.2:9/hook"  # the tests' allowed network; nothing is sent here


def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(admin_client, db):
    response = create(admin_client, name="", contact_email="ikke en adresse",
                      delivery="digest", cadence="daily", municipality="atlantis")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ukendt valg i filteret: atlantis" in page
    response = create(admin_client, name="", contact_email="ikke en adresse",
                      delivery="digest", cadence="daily")
    page = response.get_data(as_text=True)
    assert "Giv abonnementet et navn" in page
    assert "Skriv kontaktens e-mailadresse" in page
    assert "Vælg ugentlig eller månedlig" in page
    assert db.query(Subscription).count() == 0


def test_pause_and_resume_are_buttons_that_post(admin_client, db):
    create(admin_client, delivery="webhook", webhook_url=_receiver_url())
    sub_id = db.query(Subscription.id).scalar()
    db.commit()
    assert admin_client.post_form(f"/subscriptions/{sub_id}/pause").status_code == 303
    db.expire_all()
    assert db.get(Subscription, sub_id).status == "paused"
    db.commit()
    admin_client.post_form(f"/subscriptions/{sub_id}/resume")
    db.expire_all()
    assert db.get(Subscription, sub_id).status == "active"
    db.commit()
    assert admin_client.get(f"/subscriptions/{sub_id}/pause").status_code == 405


def test_the_overview_shows_every_subscription_and_its_health(admin_client, db):
    create(admin_client)
    create(admin_client, name="Køge kalender", municipality="koge")
    page = admin_client.get("/subscriptions").get_data(as_text=True)
    assert "Halsnæs web" in page and "Køge kalender" in page
    assert "Privat feed" in page


def test_only_admins_see_the_subscription_screens(editor_client):
    assert editor_client.get("/subscriptions").status_code == 403
    assert editor_client.get("/subscriptions/new").status_code == 403
