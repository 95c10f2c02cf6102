"""The queue: filters narrow the list, columns sort, pages page, and bad values get a message."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from drafts.service import create_draft
from drafts.validation import clean_draft_input

ZONE = ZoneInfo("Europe/Copenhagen")
MUNICIPALITIES = {"albertslund", "fureso", "halsnaes", "helsingor", "herlev", "ishoj", "koge",
                  "roskilde", "rodovre"}
INITIATIVES = {"music", "youth", "culture-health"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "page_size": 2}


def arrange(db: Session, title: str, *, status: str = "draft", updated: datetime | None = None,
            **fields: Any) -> int:
    """A draft made through the domain service, with the given fields."""
    raw: dict[str, Any] = {"kind": "post", "title": title, "initiative": "music",
                           "municipalities": ["halsnaes"], "channels": ["facebook"],
                           "desired_at": "2026-06-01T10:00"}
    raw.update(fields)
    data, errors = clean_draft_input(raw, zone=ZONE, municipalities=MUNICIPALITIES,
                                     initiatives=INITIATIVES)
    assert data is not None, errors
    now = updated or datetime(2026, 5, 1, tzinfo=UTC)
    draft = create_draft(db, data, actor=("system", None, "test"), author_id=None, now=now)
    draft.status = status
    db.commit()
    return draft.id


def titles(page: str) -> list[str]:
    """The draft titles in the queue table, in order."""
    return re.findall(r'<td><a href="/drafts/\d+">([^<]+)</a></td>', page)


FILTERS = {
    "status": ({"status": "in_review"}, {}, "status=in_review"),
    "municipality": ({"municipalities": ["koge"]}, {}, "municipality=koge"),
    "initiative": ({"initiative": "youth"}, {}, "initiative=youth"),
    "channel": ({"channels": ["facebook", "x"]}, {"channels": ["facebook"]}, "channel=x"),
    "kind": ({"kind": "event", "event_start": "2026-07-01T19:00"}, {}, "kind=event"),
    "date_from": ({"desired_at": "2026-06-20T10:00"}, {}, "date_from=2026-06-15"),
    "date_to": ({}, {"desired_at": "2026-06-20T10:00"}, "date_to=2026-06-15"),
    "search": ({"title": "Jazz i Køge"}, {}, "q=jazz"),
}


@pytest.mark.parametrize("case", sorted(FILTERS))
def test_each_filter_narrows_the_list(admin_client, db, case):
    wanted, other, query = FILTERS[case]
    status = wanted.pop("status", "draft")
    arrange(db, wanted.pop("title", "Wanted"), status=status, **wanted)
    arrange(db, "Other", **other)
    page = admin_client.get(f"/queue?{query}").get_data(as_text=True)
    assert len(titles(page)) == 1
    assert titles(page)[0] != "Other"


def test_the_date_filter_uses_copenhagen_dates(admin_client, db):
    arrange(db, "Lige efter midnat", desired_at="2026-06-01T00:30")  # 22:30 UTC the day before
    arrange(db, "Dagen efter", desired_at="2026-06-02T00:30")
    page = admin_client.get("/queue?date_from=2026-06-01&date_to=2026-06-01")
    assert titles(page.get_data(as_text=True)) == ["Lige efter midnat"]


def test_it_lists_all_drafts_without_filters(admin_client, db):
    arrange(db, "Alfa")
    arrange(db, "Bravo", status="approved")
    page = admin_client.get("/queue?sort=title").get_data(as_text=True)
    assert titles(page) == ["Alfa", "Bravo"]
    assert "Godkendt" in page  # the status badge says it in words


@pytest.mark.parametrize("sort, expected", [
    ("title", ["Alfa", "Bravo"]),
    ("-title", ["Bravo", "Alfa"]),
    ("desired_at", ["Bravo", "Alfa"]),
    ("-desired_at", ["Alfa", "Bravo"]),
    ("status", ["Alfa", "Bravo"]),
    ("updated_at", ["Bravo", "Alfa"]),
])
def test_it_sorts_by_the_chosen_column(admin_client, db, sort, expected):
    arrange(db, "Alfa", desired_at="2026-06-02T10:00", updated=datetime(2026, 5, 2, tzinfo=UTC))
    arrange(db, "Bravo", status="approved", desired_at="2026-06-01T10:00",
            updated=datetime(2026, 5, 1, tzinfo=UTC))
    page = admin_client.get(f"/queue?sort={sort}").get_data(as_text=True)
    assert titles(page) == expected


def test_the_sorted_column_says_so_with_aria_sort(admin_client, db):
    arrange(db, "Alfa")
    page = admin_client.get("/queue?sort=-title").get_data(as_text=True)
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a href="[^"]*sort=title', page)


def test_drafts_without_a_desired_time_come_last(admin_client, db):
    arrange(db, "Uden tid", desired_at="")
    arrange(db, "Med tid")
    page = admin_client.get("/queue?sort=desired_at").get_data(as_text=True)
    assert titles(page) == ["Med tid", "Uden tid"]


def test_it_pages_through_the_list(admin_client, db):
    for name in ("A1", "A2", "A3", "A4", "A5"):
        arrange(db, name)
    page = admin_client.get("/queue?sort=title&page=2").get_data(as_text=True)
    assert titles(page) == ["A3", "A4"]
    assert "Side 2 af 3" in page
    assert 'href="/queue?sort=title&amp;page=3"' in page


def test_page_links_keep_the_filters(admin_client, db):
    for name in ("K1", "K2", "K3"):
        arrange(db, name, municipalities=["koge"])
    page = admin_client.get("/queue?municipality=koge").get_data(as_text=True)
    assert 'href="/queue?municipality=koge&amp;page=2"' in page


BAD_VALUES = {
    "status=evil": "Ukendt status: evil",
    "municipality=atlantis": "Ukendt kommune: atlantis",
    "initiative=nope": "Ukendt indsats: nope",
    "channel=myspace": "Ukendt kanal: myspace",
    "kind=poem": "Ukendt type: poem",
    "date_from=2026-13-01": "er ikke en dato",
    "date_to=yesterday": "er ikke en dato",
    "date_from=0001-01-01": "Vælg en dato mellem årene 2000 og 2100",
    "date_to=9999-12-31": "Vælg en dato mellem årene 2000 og 2100",
    "date_from=2026-06-02&date_to=2026-06-01": "Slutdatoen ligger før startdatoen",
    "sort=evil": "kan ikke sorteres efter",
    "page=abc": "er ikke et sidetal",
    "page=0": "er ikke et sidetal",
    "page=9": "Der er ingen side 9",
}


@pytest.mark.parametrize("query", sorted(BAD_VALUES))
def test_a_bad_filter_value_gets_a_message_and_a_400(admin_client, db, query):
    arrange(db, "Alfa")
    response = admin_client.get(f"/queue?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert BAD_VALUES[query] in page
    assert 'role="alert"' in page


def test_an_editor_sees_all_drafts_but_edits_only_their_own(editor_client, db):
    own = arrange(db, "Musik", initiative="music")
    other = arrange(db, "Unge", initiative="youth")
    page = editor_client.get("/queue?sort=title").get_data(as_text=True)
    assert titles(page) == ["Musik", "Unge"]
    assert f'href="/drafts/{own}/edit"' in page
    assert f'href="/drafts/{other}/edit"' not in page


def test_a_viewer_gets_no_edit_buttons(client, viewer, db):
    draft_id = arrange(db, "Alfa")
    client.login("viewer")
    page = client.get("/queue").get_data(as_text=True)
    assert titles(page) == ["Alfa"]
    assert f'href="/drafts/{draft_id}/edit"' not in page
