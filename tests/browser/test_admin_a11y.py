"""The admin screens in a real browser: no serious accessibility problems, also with errors."""

from __future__ import annotations

import pytest

from drafts.models import Role

pytestmark = pytest.mark.browser

PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users/new",
    "/admin/municipalities",
    "/admin/municipalities/new",
    "/admin/initiatives",
    "/admin/initiatives/new",
    "/admin/approvers",
    "/admin/approvers/new",
    "/admin/accounts",
    "/admin/accounts/new",
    "/admin/tokens",
]


def test_the_admin_screens_pass_axe(page, add_user, log_in, check_a11y):
    log_in(page, add_user("chef", Role.ADMIN))
    for path in PAGES:
        page.goto(path)
        check_a11y(page)


def test_a_refused_user_form_passes_axe_and_names_the_problems(page, add_user, log_in,
                                                                check_a11y):
    log_in(page, add_user("chef", Role.ADMIN))
    page.goto("/admin/users/new")
    page.get_by_label("Brugernavn").fill("chef")
    page.get_by_role("button", name="Gem").click()
    summary = page.get_by_role("alert")
    assert "optaget" in summary.inner_text()
    check_a11y(page)


def test_a_new_token_is_shown_once_in_the_browser(page, add_user, log_in):
    log_in(page, add_user("chef", Role.ADMIN))
    page.goto("/admin/tokens")
    page.get_by_label("Handler som bruger").select_option(label="chef (Chef)")
    page.get_by_label("Navn").fill("Kalender")
    page.get_by_role("button", name="Opret nøgle").click()
    secret = page.locator("#token-secret").input_value()
    assert secret.startswith("pub_")
    page.goto("/admin/tokens")
    assert secret not in page.content()


def test_a_refused_account_setting_passes_axe_and_is_named_beside_its_field(
        page, add_user, log_in, check_a11y):
    log_in(page, add_user("chef", Role.ADMIN))
    page.goto("/admin/accounts")
    page.get_by_role("link", name="Kulturmetropolens nyhedsbrev").first.click()
    check_a11y(page)
    page.get_by_label("Svar-adresse").fill("ikke en adresse")
    page.get_by_role("button", name="Gem indstillingerne").click()
    assert "e-mailadresse" in page.get_by_role("alert").inner_text()
    check_a11y(page)
