"""A project manager composes, finds, opens and edits an article in a real browser, in Danish and
then in English; the pages pass axe-core, and the live preview counts characters."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from drafts.models import Role
from publisher.seed import load_demo
from tests.browser.conftest import screenshot_dir

TITLE = "Koncertaften i Halsnæs"
NEW_TITLE = "Koncertaften i Halsnæs – med ekstra band"


def poster() -> bytes:
    """A small JPEG poster made on the spot."""
    image = Image.new("RGB", (800, 1000), "#0b4f8a")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 760, 960), outline="white", width=10)
    draw.text((100, 480), "Koncertaften", fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed_demo(app: Flask) -> None:
    """The demo drafts, so the queue looks like a working day (and the screenshots too)."""
    with app.extensions["db_sessionmaker"]() as db:
        load_demo(db, app.extensions["organisation"], app.extensions["publisher_settings"],
                  datetime.now(UTC))


def compose_article(page: Page) -> None:
    page.get_by_label("Artikel", exact=True).check()
    page.get_by_label("Titel", exact=True).fill(TITLE)
    page.get_by_label("Tekst", exact=True).fill(
        "Musikindsatsen inviterer til en **gratis** koncertaften med unge bands.\n\n"
        "- Dørene åbner kl. 19\n- Første band kl. 19.30")
    page.get_by_label("Link", exact=True).fill("https://kulturmetropolen.dk/koncertaften")
    page.get_by_label("Indsats").select_option("music")
    page.get_by_label("Halsnæs").check()
    for channel in ("Facebook", "Instagram", "X"):
        page.get_by_label(channel, exact=True).check()
    page.get_by_label("Ønsket tidspunkt").fill("2026-06-12T10:00")
    page.set_input_files("#images", files=[
        {"name": "koncertaften.jpg", "mimeType": "image/jpeg", "buffer": poster()}])
    page.get_by_label("Alternativ tekst til de nye billeder").fill(
        "Plakat for koncertaftenen: hvid ramme på blå baggrund")


@pytest.mark.browser
def test_compose_find_edit_and_read_the_history_in_danish_then_english(
    tmp_path: Path,
    page: Page, live_app: Flask, add_user, log_in, check_a11y
):
    seed_demo(live_app)
    add_user("projektchef", Role.EDITOR, ("music",))

    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log ind")
    check_a11y(page)
    log_in(page, "projektchef")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kø")

    page.get_by_role("link", name="Ny kladde").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny kladde")
    compose_article(page)
    x_preview = page.locator('.preview[data-channel="x"]')
    expect(x_preview.locator("[data-preview-text]")).to_contain_text(TITLE)
    expect(x_preview.locator("[data-count]")).to_contain_text("af 280 tegn")
    shots = screenshot_dir(tmp_path)
    page.screenshot(path=str(shots / "compose.png"), full_page=True)
    check_a11y(page)
    page.get_by_role("button", name="Gem kladde").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".flashes")).to_contain_text("Kladden er gemt.")
    expect(page.get_by_role("region", name="Billeder").get_by_role(
        "img", name=re.compile("Plakat for koncertaftenen"))).to_be_visible()
    check_a11y(page)

    page.get_by_role("link", name="Kø", exact=True).click()
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("Artikel")
    expect(row).to_contain_text("Kladde")
    expect(row).to_contain_text("Halsnæs")
    page.screenshot(path=str(shots / "queue.png"), full_page=True)
    check_a11y(page)

    page.get_by_role("link", name=TITLE, exact=True).click()
    page.get_by_role("link", name="Redigér", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Redigér kladde")
    page.get_by_label("Titel", exact=True).fill(NEW_TITLE)
    page.get_by_role("button", name="Gem kladde").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_TITLE)
    expect(page.locator(".flashes")).to_contain_text("Gemt som version 2.")
    history = page.locator(".history li")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Redigeret")
    expect(history.nth(0)).to_contain_text("Ændret: Titel")
    expect(history.nth(1)).to_contain_text("Oprettet")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(history.nth(0)).to_contain_text("Edited")
    expect(history.nth(0)).to_contain_text("Changed: Title")
    expect(history.nth(1)).to_contain_text("Created")
    check_a11y(page)

    page.get_by_role("link", name="Queue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue")
    row = page.get_by_role("row").filter(has_text=NEW_TITLE)
    expect(row).to_contain_text("Article")
    expect(row).to_contain_text("Draft")
    check_a11y(page)

    page.get_by_role("link", name="New draft").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New draft")
    expect(page.get_by_role("button", name="Save draft")).to_be_visible()
    check_a11y(page)


@pytest.mark.browser
def test_the_live_preview_counts_against_the_channel_limit(page: Page, add_user, log_in):
    add_user("projektchef", Role.EDITOR, ("music",))
    log_in(page, "projektchef")
    page.goto("/drafts/new")
    page.get_by_label("X", exact=True).check()
    count = page.locator('.preview[data-channel="x"] [data-count]')
    expect(count).to_have_attribute("aria-live", "polite")
    page.get_by_label("Tekst til X").fill("Kort tekst https://kulturmetropolen.dk/a")
    expect(count).to_have_text("34 af 280 tegn")  # 11 characters + a URL counted as 23
    page.get_by_label("Tekst til X").fill("æ" * 281)
    expect(count).to_contain_text("1 for mange")
    expect(count).to_have_class(re.compile(r"\bover\b"))


@pytest.mark.browser
def test_the_event_fields_show_only_for_events(page: Page, add_user, log_in):
    add_user("projektchef", Role.EDITOR, ("music",))
    log_in(page, "projektchef")
    page.goto("/drafts/new")
    fields = page.locator("#event-fields")
    expect(fields).to_be_hidden()
    page.get_by_label("Arrangement", exact=True).check()
    expect(fields).to_be_visible()


@pytest.mark.browser
def test_errors_are_summarised_and_accessible(page: Page, add_user, log_in, check_a11y):
    add_user("projektchef", Role.EDITOR, ("music",))
    log_in(page, "projektchef")
    page.goto("/drafts/new")
    page.get_by_role("button", name="Gem kladde").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Skriv en titel.")
    expect(summary).to_contain_text("Vælg mindst én kommune.")
    expect(page.get_by_label("Titel", exact=True)).to_have_attribute("aria-invalid", "true")
    check_a11y(page)


@pytest.mark.browser
def test_composing_works_without_javascript(browser: Browser, live_server: str, add_user,
                                            log_in):
    add_user("projektchef", Role.EDITOR, ("music",))
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, "projektchef")
        page.goto("/drafts/new")
        expect(page.locator("#event-fields")).to_be_visible()
        page.get_by_label("Titel", exact=True).fill("Uden JavaScript")
        page.get_by_label("Halsnæs").check()
        page.get_by_label("Instagram", exact=True).check()
        page.get_by_role("button", name="Forhåndsvis").click()
        preview = page.locator('.preview[data-channel="instagram"]')
        expect(preview).to_contain_text("Uden JavaScript")
        expect(preview).to_contain_text("af 2200 tegn")
        page.get_by_role("button", name="Gem kladde").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Uden JavaScript")
    finally:
        context.close()
