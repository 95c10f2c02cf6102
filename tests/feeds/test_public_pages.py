"""Public pages: an item appears at its publishing time, carries Open Graph and (for events)
schema.org Event JSON-LD, and answers 410 once withdrawn."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from drafts.states import transition
from publisher.flows.feeds.items import withdraw
from publisher.flows.feeds.models import PublicItem
from tests.feeds.helpers import ACTOR, publish, sync

NOW = datetime.now(UTC).replace(microsecond=0)


def _item(db, draft):
    """The draft's public item, ending the read (SQLite locks the file while a session writes)."""
    item = db.query(PublicItem).filter_by(draft_id=draft.id).one()
    db.commit()
    return item


def test_an_article_is_not_public_before_its_publishing_time(client, db):
    publish(db, "Koncert i morgen", now=NOW, at=NOW + timedelta(hours=1))
    sync(db, NOW)
    assert db.query(PublicItem).count() == 0
    db.commit()
    assert "Koncert i morgen" not in client.get("/news").get_data(as_text=True)


def test_an_article_appears_on_the_news_page_at_its_publishing_time(client, db):
    publish(db, "Koncert i morgen", now=NOW, at=NOW + timedelta(hours=1))
    sync(db, NOW + timedelta(hours=1))
    page = client.get("/news").get_data(as_text=True)
    assert "Koncert i morgen" in page
    assert 'type="application/atom+xml"' in page  # feed autodiscovery


def test_an_article_page_has_open_graph_tags_and_a_canonical_address(client, db):
    draft = publish(db, "Sang på biblioteket", now=NOW)
    sync(db, NOW)
    item = _item(db, draft)
    response = client.get(f"/items/{item.id}/sang-paa-biblioteket")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<meta property="og:title" content="Sang på biblioteket">' in page
    assert f'<meta property="og:url" content="http://127.0.0.1:5000/items/{item.id}/' in page
    assert '<link rel="canonical"' in page
    assert "<strong>noget</strong>" in page  # the body rendered from Markdown


def test_an_event_page_carries_schema_org_event_json_ld_in_local_time(client, db):
    draft = publish(db, "Jazz i Halsnæs", now=NOW, kind="event",
                    event_start="2027-03-27 20:00", event_end="2027-03-27 22:00",
                    venue="Kulturhuset", address="Torvet 1, 3300 Frederiksværk")
    sync(db, NOW)
    page = client.get(f"/items/{_item(db, draft).id}").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "Event"
    assert data["startDate"] == "2027-03-27T20:00:00+01:00"
    assert data["location"]["name"] == "Kulturhuset"


def test_a_withdrawn_item_answers_410_gone(client, db):
    draft = publish(db, "Aflyst koncert", now=NOW)
    sync(db, NOW)
    item = _item(db, draft)
    withdraw(db, item, NOW, ACTOR)
    db.commit()
    assert client.get(f"/items/{item.id}").status_code == 410
    assert "Aflyst koncert" not in client.get("/news").get_data(as_text=True)


def test_a_cancelled_draft_leaves_the_public_site_at_the_next_sync(client, db):
    draft = publish(db, "Flyttet koncert", now=NOW)
    sync(db, NOW)
    transition(db, draft, "cancel", actor=ACTOR, now=NOW)
    db.commit()
    sync(db, NOW + timedelta(seconds=5))
    assert client.get(f"/items/{_item(db, draft).id}").status_code == 410


def test_an_unknown_item_answers_404(client):
    assert client.get("/items/999").status_code == 404


def test_upcoming_events_per_municipality_list_only_that_municipalitys_future_events(client, db):
    publish(db, "Halsnæs-koncert", now=NOW, kind="event", event_start="2030-05-01 19:00")
    publish(db, "Køge-koncert", now=NOW, kind="event", event_start="2030-05-02 19:00",
            municipalities=("koge",))
    publish(db, "Gammel koncert", now=NOW, kind="event", event_start="2020-05-02 19:00")
    sync(db, NOW)
    page = client.get("/events/municipality/halsnaes").get_data(as_text=True)
    assert "Halsnæs-koncert" in page
    assert "Køge-koncert" not in page and "Gammel koncert" not in page
    assert client.get("/events/municipality/atlantis").status_code == 404


def test_upcoming_events_per_initiative_are_listed(client, db):
    publish(db, "Ungdomsfest", now=NOW, kind="event", event_start="2030-05-01 19:00",
            initiative="youth")
    sync(db, NOW)
    assert "Ungdomsfest" in client.get("/events/initiative/youth").get_data(as_text=True)
    assert "Ungdomsfest" not in client.get("/events/initiative/music").get_data(as_text=True)


def test_the_public_pages_are_in_english_when_chosen(client, db):
    client.post_form("/language", {"locale": "en", "next": "/events"})
    assert "Upcoming events" in client.get("/events").get_data(as_text=True)
