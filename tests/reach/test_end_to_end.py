"""End to end on the sandbox over real HTTP: items published to every channel through the real
client libraries, collected by the reach job, and shown by the API, the dashboard, the CSV, the
Citatboks and the report with the sandbox's own numbers, credited to the right municipalities.

The sandbox's clock is held two days after publication, so its figures stand still; the expected
figures are read from the sandbox with plain HTTP, not through the adapters under test.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import docx
import pytest
from sqlalchemy import select

from channels.sandbox.core import freeze_clock
from drafts.models import User
from publisher.flows.reach.collect import collect_due
from publisher.flows.reach.models import ReachSnapshot
from publisher.flows.reach.rollup import local_day
from tests.api.helpers import ApiClient, issue_token
from tests.reach.world import ITEMS, World, publish_world, sandbox_figures

METRICS = ("reach", "views", "engagements", "clicks", "opens")
LINK_CLICKS = {"roskilde": 3, "koge": 1}


def expected_for(figures: dict[str, Any], municipality: str | None) -> dict[str, int | None]:
    """What the service must show, computed from the sandbox's figures and the tags alone."""
    totals: dict[str, int | None] = dict.fromkeys(METRICS)

    def add(metric: str, value: int) -> None:
        totals[metric] = (totals[metric] or 0) + value

    for _title, channel, tags in ITEMS:
        if channel == "newsletter":
            source = (
                figures["newsletter"]
                if municipality is None
                else figures["newsletter_by_municipality"].get(municipality, {})
            )
        elif municipality is None or municipality in tags:
            source = figures[channel]
        else:
            source = {}
        for metric, value in source.items():
            add(metric, value)
    for slug, clicks in LINK_CLICKS.items():
        if municipality in (None, slug):
            add("clicks", clicks)
    return totals


@pytest.fixture
def collected(app: Any, db: Any, sandbox: Any, http: Any, client: Any) -> tuple[World, dict]:
    """The world published, link clicks made, figures collected at +48 h, sandbox held there."""
    published_at = datetime.now(UTC)
    world = publish_world(db, sandbox.base_url, published_at)
    for slug, clicks in LINK_CLICKS.items():
        for i in range(clicks):  # different readers: a repeat by the same one is not counted
            answer = client.get(f"/l/{world.link_codes[slug]}",
                                environ_base={"REMOTE_ADDR": f"192.0.2.{i + 1}"})
            assert answer.status_code in (301, 302, 303)
    later = published_at + timedelta(hours=48)
    freeze_clock(later.timestamp())
    run = collect_due(db, world.adapter_for, later)
    assert sorted(run.collected) == sorted(d.id for d in world.deliveries.values())
    assert run.failed == {}
    return world, sandbox_figures(http, world)


def api(app: Any, db: Any, admin: User) -> ApiClient:
    return ApiClient(app, issue_token(db, admin))


def period_args(world: World, municipality: str | None = None) -> str:
    day = local_day(world.deliveries["facebook"].published_at).isoformat()
    base = f"from={day}&to={day}"
    return f"{base}&municipality={municipality}" if municipality else base


@pytest.mark.parametrize("municipality", [None, "roskilde", "koge", "halsnaes", "ishoj"])
def test_the_api_totals_are_the_sandbox_figures_credited_by_tag_subscriber_and_link(
    app, db, admin, collected, municipality
):
    world, figures = collected

    answer = api(app, db, admin).get(f"/reach?{period_args(world, municipality)}")

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["totals"] == expected_for(figures, municipality)


def test_the_regional_total_counts_each_item_once_not_the_sum_of_municipalities(
    app, db, admin, collected
):
    world, figures = collected
    client = api(app, db, admin)

    region = client.get(f"/reach?{period_args(world)}").get_json()["totals"]
    roskilde = client.get(f"/reach?{period_args(world, 'roskilde')}").get_json()
    koge = client.get(f"/reach?{period_args(world, 'koge')}").get_json()

    assert region["views"] == sum(
        v.get("views", 0) for k, v in figures.items() if k != "newsletter_by_municipality"
    )
    # The Facebook item is tagged with both: each sees all of it, the region sees it once.
    assert roskilde["by_channel"]["facebook"]["reach"] == figures["facebook"]["reach"]
    assert koge["by_channel"]["facebook"]["reach"] == figures["facebook"]["reach"]
    assert region["reach"] < roskilde["totals"]["reach"] + koge["totals"]["reach"]


def test_newsletter_opens_and_clicks_follow_the_subscribers_municipality(app, db, admin, collected):
    world, figures = collected
    split = figures["newsletter_by_municipality"]

    for slug in ("roskilde", "koge", "halsnaes", "ishoj"):
        body = api(app, db, admin).get(f"/reach?{period_args(world, slug)}").get_json()
        newsletter = body["by_channel"]["newsletter"]
        assert (newsletter["opens"], newsletter["clicks"]) == (
            split[slug]["opens"],
            split[slug]["clicks"],
        )
    assert sum(s["opens"] for s in split.values()) == figures["newsletter"]["opens"]


def test_tracked_link_clicks_count_for_the_links_municipality_only(app, db, admin, collected):
    world, _ = collected

    roskilde = api(app, db, admin).get(f"/reach?{period_args(world, 'roskilde')}")
    halsnaes = api(app, db, admin).get(f"/reach?{period_args(world, 'halsnaes')}")

    assert roskilde.get_json()["by_channel"]["link"]["clicks"] == LINK_CLICKS["roskilde"]
    assert "link" not in halsnaes.get_json()["by_channel"]


def test_a_figure_the_platform_does_not_give_is_null_not_zero(app, db, admin, collected):
    world, _ = collected

    body = api(app, db, admin).get(f"/reach?{period_args(world, 'halsnaes')}").get_json()

    website = body["by_channel"]["website"]
    assert website["engagements"] is None and website["opens"] is None
    x_item = next(
        i
        for i in api(app, db, admin).get(f"/reach?{period_args(world)}").get_json()["items"]
        if i["channel"] == "x"
    )
    assert x_item["metrics"]["reach"] is None


def test_snapshots_keep_the_platforms_own_metric_names(db, collected):
    world, figures = collected

    names = set(
        db.scalars(
            select(ReachSnapshot.metric).where(
                ReachSnapshot.layer == "platform",
                ReachSnapshot.delivery_id == world.deliveries["facebook"].id,
            )
        ).all()
    )

    assert {
        "post_total_media_view_unique",
        "post_media_view",
        "post_clicks",
        "post_reactions_by_type_total.like",
    } <= names


def test_the_dashboard_shows_the_municipalitys_figures_chart_and_table(admin_client, collected):
    world, figures = collected
    expected = expected_for(figures, "roskilde")

    page = admin_client.get(f"/reach?{period_args(world, 'roskilde')}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in html
    assert f"{expected['reach']:,}".replace(",", ".") in html
    assert "Koncert i Roskilde Domkirke" in html and "Kulturdag i Halsnæs" not in html


def test_the_csv_export_holds_each_item_and_the_totals(admin_client, collected):
    world, figures = collected
    expected = expected_for(figures, "koge")

    answer = admin_client.get(f"/reach.csv?{period_args(world, 'koge')}")

    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    total = rows[-1]
    assert answer.mimetype == "text/csv"
    assert {r["title"] for r in rows[:-1]} == {
        "Koncert i Roskilde Domkirke",
        "Jazz på havnen",
        "Nyhedsbrev: efterårets program",
    }
    assert [total[m] for m in METRICS] == [
        "" if expected[m] is None else str(expected[m]) for m in METRICS
    ]


def test_the_citatboks_names_the_activities_and_the_figures(app, db, admin, collected):
    world, figures = collected
    expected = expected_for(figures, "halsnaes")

    body = (
        api(app, db, admin)
        .get(f"/reach/citatboks?{period_args(world, 'halsnaes')}&lang=da")
        .get_json()
    )

    assert (
        body["text"].count(
            "Halsnæs Kommunes borgere haft glæde af disse aktiviteter i Kulturmetropolen"
        )
        == 1
    )
    assert "Kulturdag i Halsnæs" in body["text"] and "Jazz på havnen" not in body["text"]
    assert f"{expected['reach']:,} personer nået".replace(",", ".") in body["text"]


def test_the_word_report_opens_with_python_docx_and_holds_the_figures(app, db, admin, collected):
    world, figures = collected
    expected = expected_for(figures, "roskilde")

    answer = api(app, db, admin).get(
        f"/reach/report?{period_args(world, 'roskilde')}&format=docx&lang=da"
    )

    document = docx.Document(io.BytesIO(answer.data))
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    text = "\n".join(p.text for p in document.paragraphs)
    assert answer.status_code == 200
    assert f"{expected['reach']:,}".replace(",", ".") in cells
    assert f"{expected['clicks']:,}".replace(",", ".") in cells
    assert "Roskilde Kommunes borgere" in text
    assert len(document.inline_shapes) == 2  # the two charts


def test_the_html_report_is_print_ready_with_charts_and_tables(admin_client, collected):
    world, figures = collected

    page = admin_client.get(f"/reach/report?{period_args(world, 'koge')}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('role="img"') == 2 and html.count("<table") >= 4
    assert "@media print" not in html  # the print rules live in the stylesheet
    assert "Jazz på havnen" in html
