"""Golden tests for the Citatboks (Danish and English), and making a draft of it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from drafts.models import ChannelAccount, Draft, Municipality
from publisher.flows.reach.citatboks import citatboks
from publisher.flows.reach.query import Period, Query, last_month, reach
from publisher.flows.reach.rollup import fold_rows
from schedules.models import Delivery
from tests.reach.world import _draft

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
PUBLISHED = datetime(2026, 10, 14, 9, 0, tzinfo=UTC)
# title, channel, tags, {(metric, segment): value}
ITEMS = (
    (
        "Kulturdag i Halsnæs",
        "facebook",
        ["halsnaes"],
        {("reach", ""): 1200, ("views", ""): 2000, ("engagements", ""): 150, ("clicks", ""): 40},
    ),
    (
        "Koncert på Frederiksværk Bibliotek",
        "instagram",
        ["halsnaes"],
        {("reach", ""): 300, ("views", ""): 500, ("engagements", ""): 60},
    ),
    (
        "Nyhedsbrev oktober",
        "newsletter",
        ["koge"],
        {
            ("reach", ""): 900,
            ("opens", ""): 500,
            ("reach", "halsnaes"): 45,
            ("opens", "halsnaes"): 30,
            ("clicks", "halsnaes"): 7,
        },
    ),
    ("Jazz i Køge", "facebook", ["koge"], {("reach", ""): 5000}),
)


def arrange(db: Any) -> None:
    for i, (title, channel, tags, figures) in enumerate(ITEMS):
        draft = _draft(db, title, channel, tags)
        account = ChannelAccount(platform=channel, external_id=f"acc-{i}", name=channel, options={})
        db.add(account)
        db.flush()
        delivery = Delivery(
            draft_id=draft.id,
            account_id=account.id,
            channel=channel,
            due_at=PUBLISHED,
            status="published",
            external_id=f"ext-{i}",
            published_at=PUBLISHED,
        )
        db.add(delivery)
        db.flush()
        fold_rows(
            db,
            [
                {
                    "delivery_id": delivery.id,
                    "metric": m,
                    "segment": s,
                    "value": v,
                    "day": PUBLISHED.date(),
                    "draft_id": draft.id,
                    "channel": channel,
                    "initiative_id": draft.initiative_id,
                    "observed_at": PUBLISHED,
                }
                for (m, s), v in figures.items()
            ],
        )
    db.commit()


def text_for(
    app: Any,
    db: Any,
    slug: str,
    locale: str,
    org: str = "Kulturmetropolen",
    period: Period = OCTOBER,
) -> str:
    muni = db.scalar(select(Municipality).where(Municipality.slug == slug))
    with app.test_request_context():
        return citatboks(reach(db, Query(period, muni)), org, locale)


def test_the_danish_citatboks_names_activities_and_figures_in_plain_words(app, db):
    arrange(db)

    assert text_for(app, db, "halsnaes", "da") == (
        "I oktober 2026 har Halsnæs Kommunes borgere haft glæde af disse aktiviteter i "
        "Kulturmetropolen: Kulturdag i Halsnæs, Koncert på Frederiksværk Bibliotek og "
        "Nyhedsbrev oktober. Det blev til 1.545 personer nået, 2.500 visninger, "
        "210 interaktioner, 47 klik og 30 åbninger af nyhedsbrevet."
    )


def test_the_english_citatboks_says_the_same(app, db):
    arrange(db)

    assert text_for(app, db, "halsnaes", "en") == (
        "In October 2026, residents of Halsnæs Municipality have enjoyed these activities in "
        "Kulturmetropolen: Kulturdag i Halsnæs, Koncert på Frederiksværk Bibliotek, and "
        "Nyhedsbrev oktober. Together that made 1,545 people reached, 2,500 views, "
        "210 interactions, 47 clicks, and 30 newsletter opens."
    )


def test_a_period_that_is_not_a_calendar_month_is_named_by_its_days(app, db):
    arrange(db)

    text = text_for(
        app, db, "halsnaes", "da", period=Period(date(2026, 10, 10), date(2026, 10, 20))
    )

    assert text.startswith("I perioden 10. oktober 2026–20. oktober 2026 har Halsnæs")


def test_the_organisation_name_comes_from_the_caller_not_the_code(app, db):
    arrange(db)

    assert "aktiviteter i Kulturregion Nord:" in text_for(
        app, db, "halsnaes", "da", org="Kulturregion Nord"
    )


def test_a_municipality_with_nothing_published_gets_a_plain_statement(app, db):
    arrange(db)

    assert text_for(app, db, "herlev", "da") == (
        "I oktober 2026 har Kulturmetropolen ikke udgivet noget om Herlev Kommune."
    )


def test_the_default_period_is_the_last_calendar_month():
    assert last_month(date(2026, 11, 28)) == OCTOBER
    assert last_month(date(2027, 1, 3)) == Period(date(2026, 12, 1), date(2026, 12, 31))


def test_the_citatboks_page_shows_the_editable_text(app, db, admin_client):
    arrange(db)

    page = admin_client.get("/reach/citatboks?municipality=halsnaes&from=2026-10-01&to=2026-10-31")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<textarea id="citatboks-text" name="text"' in html
    assert "Kulturdag i Halsnæs, Koncert på Frederiksværk Bibliotek" in html


def test_the_edited_citatboks_becomes_a_draft_post_for_the_municipality(app, db, admin_client):
    arrange(db)

    answer = admin_client.post_form(
        "/reach/citatboks/draft",
        {
            "text": "Rettet tekst om Halsnæs.",
            "municipality": "halsnaes",
            "initiative": "music",
            "from": "2026-10-01",
            "to": "2026-10-31",
        },
    )

    db.expire_all()
    draft = db.scalars(select(Draft).order_by(Draft.id.desc())).first()
    assert answer.status_code == 302 and answer.location.endswith(f"/drafts/{draft.id}")
    assert (draft.body, draft.status, draft.channels) == (
        "Rettet tekst om Halsnæs.",
        "draft",
        ["facebook"],
    )
    assert [m.slug for m in draft.municipalities] == ["halsnaes"]


def test_an_empty_citatboks_is_refused_and_nothing_is_made(app, db, admin_client):
    before = db.scalar(select(Draft.id).order_by(Draft.id.desc()))
    db.rollback()  # end the read, so the request can write (SQLite)

    answer = admin_client.post_form(
        "/reach/citatboks/draft", {"text": "  ", "municipality": "halsnaes", "initiative": "music"}
    )

    db.expire_all()
    assert answer.status_code == 302
    assert db.scalar(select(Draft.id).order_by(Draft.id.desc())) == before


def test_a_viewer_cannot_make_a_draft_from_the_citatboks(app, db, client, viewer):
    client.login(viewer.username)

    answer = client.post_form(
        "/reach/citatboks/draft",
        {"text": "Tekst", "municipality": "halsnaes", "initiative": "music"},
    )

    db.expire_all()
    assert answer.status_code == 302
    assert db.scalar(select(Draft.id)) is None


@pytest.mark.parametrize(
    "query",
    [
        "municipality=atlantis",
        "municipality=halsnaes&from=10-10",
        "municipality=halsnaes&from=2026-10-10&to=2026-10-01",
    ],
)
def test_bad_questions_get_a_clear_message_and_no_500(admin_client, query):
    answer = admin_client.get(f"/reach/citatboks?{query}")

    assert answer.status_code == 400
    assert 'class="error-summary"' in answer.get_data(as_text=True)
