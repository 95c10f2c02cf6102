"""The public pages and the subscription screens in a real browser: axe-core finds no serious or
critical problems, on a desktop and on a 360 px phone; screenshots of both are kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drafts.models import Role
from publisher.flows.feeds.models import PublicItem
from tests.browser.conftest import screenshot_dir
from tests.feeds.helpers import publish, sync

pytestmark = pytest.mark.browser
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def published(live_app):
    """An article and an event on the public site; the event's page path."""
    with live_app.extensions["db_sessionmaker"]() as db:
        publish(db, "Sang og fællesskab på biblioteket", now=NOW,
                body="En aften med **fællessang** for alle.\n\n- gratis\n- kaffe")
        draft = publish(db, "Jazzkoncert i Kulturhuset", now=NOW, kind="event",
                        event_start="2030-05-01 20:00", event_end="2030-05-01 22:00",
                        venue="Kulturhuset", address="Torvet 1, 3300 Frederiksværk",
                        price="100 kr.", ticket_url="https://example.org/billetter")
        sync(db, NOW)
        item_id = db.query(PublicItem.id).filter_by(draft_id=draft.id).scalar()
        db.commit()
    return f"/items/{item_id}"


def test_the_public_pages_pass_axe_on_desktop_and_phone(page, published, check_a11y, tmp_path):
    shots = screenshot_dir(tmp_path)
    pages = {"news": "/news", "event": published, "events": "/events",
             "municipality-events": "/events/municipality/halsnaes", "feeds": "/feeds"}
    for width, height in ((1280, 900), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            page.goto(path)
            check_a11y(page)
            page.screenshot(path=str(shots / f"public-{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll


def test_the_skip_link_and_language_switch_work_on_the_public_site(page, published):
    page.goto("/news")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Gå til indholdet"
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("News from")


def test_the_subscription_screens_pass_axe_also_with_errors(page, add_user, log_in, check_a11y,
                                                           tmp_path):
    shots = screenshot_dir(tmp_path)
    log_in(page, add_user("chef", Role.ADMIN))
    page.goto("/subscriptions/new")
    check_a11y(page)
    page.get_by_label("Webhook", exact=True).check()
    page.get_by_label("Navn", exact=True).fill("Halsnæs web")
    page.get_by_label("Kontaktens e-mail").fill("web@halsnaes.dk")
    page.get_by_label("Webhook-adresse (for en webhook)").fill("http://10.1.2.3/hook")
    page.get_by_role("button", name="Opret abonnement").click()
    assert "10.1.2.3 er en privat adresse" in page.get_by_role("alert").inner_text()
    check_a11y(page)
    page.screenshot(path=str(shots / "subscription-refused-1280.png"), full_page=True)
    page.get_by_label("Privat feed").check()
    page.get_by_role("button", name="Opret abonnement").click()
    assert page.locator("#shown-atom").input_value().startswith("http")
    check_a11y(page)
    page.goto("/subscriptions")
    check_a11y(page)
    page.set_viewport_size({"width": 360, "height": 740})
    page.screenshot(path=str(shots / "subscriptions-360.png"), full_page=True)
