"""The public feeds: Atom, RSS, JSON Feed and iCalendar with filters, read back with the
ecosystem's own parsers (feedparser, icalendar), and conditional requests answered with 304."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import feedparser
import icalendar
import pytest

from publisher.flows.feeds.models import PublicItem
from tests.feeds.helpers import publish, sync

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def published(db):
    """Four items: articles and events in several municipalities and initiatives."""
    publish(db, "Halsnæs musikartikel", now=NOW, municipalities=("halsnaes",))
    publish(db, "Halsnæs musikkoncert", now=NOW, kind="event", municipalities=("halsnaes",),
            event_start="2030-06-01 20:00")
    publish(db, "Køge ungeartikel", now=NOW, initiative="youth", municipalities=("koge",))
    publish(db, "Fælles sundhedsdag", now=NOW, kind="event", initiative="culture-health",
            municipalities=("halsnaes", "koge"), event_start="2030-07-01 10:00")
    sync(db, NOW)


def titles(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return sorted(e.title for e in parsed.entries)


CASES = [
    ("", ["Fælles sundhedsdag", "Halsnæs musikartikel", "Halsnæs musikkoncert",
          "Køge ungeartikel"]),
    ("?municipality=halsnaes", ["Fælles sundhedsdag", "Halsnæs musikartikel",
                                "Halsnæs musikkoncert"]),
    ("?municipality=halsnaes&initiative=music&kind=event", ["Halsnæs musikkoncert"]),
    ("?municipality=koge&kind=article", ["Køge ungeartikel"]),
    ("?initiative=music&initiative=youth", ["Halsnæs musikartikel", "Halsnæs musikkoncert",
                                            "Køge ungeartikel"]),
    ("?kind=event&municipality=koge,halsnaes", ["Fælles sundhedsdag", "Halsnæs musikkoncert"]),
]


@pytest.mark.parametrize("query,expected", CASES)
def test_the_atom_feed_parses_cleanly_with_exactly_the_filtered_items(client, published, query,
                                                                       expected):
    assert titles(client, "/feeds/atom" + query) == expected


@pytest.mark.parametrize("query,expected", CASES)
def test_the_rss_feed_parses_cleanly_with_exactly_the_filtered_items(client, published, query,
                                                                      expected):
    assert titles(client, "/feeds/rss" + query) == expected


def test_the_atom_feed_is_atom_1_0_and_the_rss_feed_is_rss_2_0(client, published):
    assert feedparser.parse(client.get("/feeds/atom").data).version == "atom10"
    assert feedparser.parse(client.get("/feeds/rss").data).version == "rss20"


def test_a_municipalitys_short_address_gives_the_same_feed(client, published):
    assert client.get("/m/halsnaes/feed.atom").data.count(b"<entry>") == 3
    assert client.get("/m/atlantis/feed.atom").status_code == 404


@pytest.mark.parametrize("query,expected", CASES)
def test_the_json_feed_has_exactly_the_filtered_items(client, published, query, expected):
    document = json.loads(client.get("/feeds/json" + query).data)
    assert sorted(i["title"] for i in document["items"]) == expected


def test_the_json_feed_has_every_field_its_specification_requires(client, published):
    response = client.get("/feeds/json")
    assert response.mimetype == "application/feed+json"
    document = json.loads(response.data)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] and isinstance(document["items"], list)
    assert document["feed_url"].endswith("/feeds/json")
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item.get("content_html") or item.get("content_text")
        datetime.fromisoformat(item["date_published"])  # RFC 3339


def test_an_unknown_municipality_in_a_feed_address_gets_a_clear_400(client, published):
    response = client.get("/feeds/atom?municipality=atlantis")
    assert response.status_code == 400
    assert "atlantis" in response.get_data(as_text=True)
    assert client.get("/feeds/xml").status_code == 404


def test_a_repeated_request_with_the_etag_gets_304(client, published):
    first = client.get("/feeds/atom?municipality=halsnaes")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    again = client.get("/feeds/atom?municipality=halsnaes", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_a_repeated_request_with_last_modified_gets_304(client, published):
    first = client.get("/feeds/rss")
    since = first.headers["Last-Modified"]
    again = client.get("/feeds/rss", headers={"If-Modified-Since": since})
    assert again.status_code == 304


def test_a_new_item_changes_the_etag_and_the_feed(client, db, published):
    etag = client.get("/feeds/atom").headers["ETag"]
    publish(db, "Nyt fra Halsnæs", now=NOW + timedelta(minutes=1))
    sync(db, NOW + timedelta(minutes=1))
    response = client.get("/feeds/atom", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert b"Nyt fra Halsn" in response.data


def test_the_feed_is_served_from_the_cache_until_the_record_changes(app, client, published):
    client.get("/feeds/atom")
    cache = app.extensions["feed_cache"]
    assert len(cache._entries) == 1
    first = client.get("/feeds/atom").data
    assert first is cache._entries[next(iter(cache._entries))][1].body  # the very same bytes


def test_the_calendar_has_local_times_across_the_dst_change_with_a_vtimezone(client, db):
    # Copenhagen leaves summer time on 2030-10-27: 18:00 is UTC+2 on the 26th, UTC+1 on the 28th.
    publish(db, "Før skiftet", now=NOW, kind="event", event_start="2030-10-26 18:00")
    publish(db, "Efter skiftet", now=NOW, kind="event", event_start="2030-10-28 18:00",
            event_end="2030-10-28 20:00")
    publish(db, "En artikel", now=NOW)
    sync(db, NOW)
    response = client.get("/feeds/ics")
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    zones = [c for c in calendar.walk("VTIMEZONE")]
    assert [str(z["TZID"]) for z in zones] == ["Europe/Copenhagen"]
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Før skiftet", "Efter skiftet"}  # events only
    before, after = events["Før skiftet"]["DTSTART"], events["Efter skiftet"]["DTSTART"]
    assert before.params["TZID"] == "Europe/Copenhagen"
    assert (before.dt.hour, before.dt.utcoffset()) == (18, timedelta(hours=2))
    assert (after.dt.hour, after.dt.utcoffset()) == (18, timedelta(hours=1))
    assert after.dt.astimezone(UTC).hour == 17


def test_the_calendar_keeps_the_uid_and_raises_the_sequence_when_an_event_changes(client, db):
    draft = publish(db, "Koncert", now=NOW, kind="event", event_start="2030-06-01 20:00")
    sync(db, NOW)
    first = next(iter(icalendar.Calendar.from_ical(client.get("/feeds/ics").data)
                      .walk("VEVENT")))
    item = db.query(PublicItem).filter_by(draft_id=draft.id).one()
    item.content_hash = "changed"  # the draft was edited and approved again
    db.commit()
    sync(db, NOW + timedelta(minutes=1))
    second = next(iter(icalendar.Calendar.from_ical(client.get("/feeds/ics").data)
                       .walk("VEVENT")))
    assert second["UID"] == first["UID"]
    assert (int(first["SEQUENCE"]), int(second["SEQUENCE"])) == (0, 1)
