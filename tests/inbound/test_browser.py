"""The public forms and the suggestion inbox in a real browser: a citizen on a phone suggests an
activity, the secretariat makes it a draft; axe finds nothing serious, also with errors shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drafts.models import Role
from tests.browser.conftest import screenshot_dir

pytestmark = pytest.mark.browser


def test_the_public_forms_pass_axe_empty_and_with_errors(page, check_a11y):
    for path, button in (("/newsletter", "Tilmeld"), ("/suggest", "Send forslaget")):
        page.goto(path)
        check_a11y(page)
        page.get_by_role("button", name=button).click()
        assert page.get_by_role("alert").is_visible()
        check_a11y(page)


def test_a_citizen_on_a_phone_suggests_and_the_secretariat_makes_it_a_draft(
        page, add_user, log_in, check_a11y, tmp_path):
    shots = screenshot_dir(tmp_path)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/suggest")
    when = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT19:30")
    page.get_by_label("Titel", exact=True).fill("Sommerkoncert ved havnen")
    page.get_by_label("Beskrivelse", exact=True).fill("Byens kor synger ved havnen. Gratis.")
    page.get_by_label("Starter").fill(when)
    page.get_by_label("Sted", exact=True).fill("Havnen, Frederiksværk")
    page.get_by_label("Kommune").select_option("halsnaes")
    page.get_by_label("Dit navn").fill("Ida Holm")
    page.get_by_label("E-mailadresse").fill("ida@kor.dk")
    page.screenshot(path=str(shots / "suggest-phone.png"), full_page=True)
    page.get_by_role("button", name="Send forslaget").click()
    page.wait_for_url("**/suggest/thanks")
    assert page.get_by_role("heading", name="Tak for dit forslag").is_visible()

    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, add_user("chef", Role.ADMIN))
    page.get_by_role("link", name="Forslag", exact=True).click()
    check_a11y(page)
    page.get_by_role("link", name="Sommerkoncert ved havnen").click()
    check_a11y(page)
    page.screenshot(path=str(shots / "suggestion-detail.png"), full_page=True)
    page.get_by_role("button", name="Gør det til en kladde").click()
    page.wait_for_url("**/drafts/*/edit")
    assert page.get_by_label("Titel").input_value() == "Sommerkoncert ved havnen"
