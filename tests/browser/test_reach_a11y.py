"""The reach pages in a real browser: axe-core finds no serious or critical problem on the
dashboard, the Citatboks, the help page and the printable report, at desktop and phone width;
the Citatboks becomes a draft without JavaScript's help being needed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from drafts.models import Role
from tests.reach.test_citatboks import arrange

pytestmark = pytest.mark.browser

QUERY = "municipality=halsnaes&from=2026-10-01&to=2026-10-31"
PAGES = [f"/reach?{QUERY}", "/reach?from=2026-10-01&to=2026-10-31", f"/reach/citatboks?{QUERY}",
         "/reach/help", f"/reach/report?{QUERY}", "/reach?from=nonsense"]
SHOTS = os.environ.get("REACH_SCREENSHOTS")  # a folder: save screenshots there to look at


@pytest.fixture
def arranged(live_app: Any) -> None:
    with live_app.extensions["db_sessionmaker"]() as db:
        arrange(db)


@pytest.mark.parametrize("width", [1280, 360])
def test_the_reach_pages_pass_axe_at_desktop_and_phone_width(page, add_user, log_in,
                                                              check_a11y, arranged, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, add_user("chef", Role.ADMIN))
    for i, path in enumerate(PAGES):
        page.goto(path)
        check_a11y(page)
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"reach-{i}-{width}.png"), full_page=True)


def test_the_dashboard_chart_is_named_for_screen_readers(page, add_user, log_in, arranged):
    log_in(page, add_user("chef", Role.ADMIN))
    page.goto(f"/reach?{QUERY}")

    chart = page.get_by_role("img", name="Rækkevidde pr. kanal")

    assert chart.count() == 1
    assert "1.545" in page.locator(".reach-cards").inner_text()


def test_the_citatboks_is_edited_and_made_a_draft_in_the_browser(page, add_user, log_in,
                                                                  arranged):
    log_in(page, add_user("chef", Role.ADMIN))
    page.goto(f"/reach/citatboks?{QUERY}")

    page.get_by_label("Tekst (du kan rette i den)").fill("Halsnæs fik meget ud af oktober.")
    page.get_by_role("button", name="Gør det til et udkast").click()

    assert "/drafts/" in page.url
    assert "Halsnæs fik meget ud af oktober." in page.content()
