"""The approver's side in a real browser: a phone-sized Chromium opens the mailed link, approves,
and the page and the email pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from drafts.models import Draft, Role
from publisher.auth import hash_password
from schedules.models import Delivery
from tests.approvals.helpers import (
    add_approver,
    html,
    link_in,
    make_draft,
    path_of,
    poster_media,
    request_mail,
    send,
)
from tests.browser.conftest import screenshot_dir  # noqa: E402

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def author(live_app):
    from drafts.models import Initiative, User

    with live_app.extensions["db_sessionmaker"]() as db:
        music = db.scalar(select(Initiative).where(Initiative.slug == "music"))
        user = User(username="projektchef", name="Mette Projektchef", role=Role.EDITOR.value,
                    email="mette@example.org", password_hash=hash_password("x" * 20),
                    initiatives=[music])
        db.add(user)
        db.commit()
        return user


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="da-DK", viewport=PHONE,
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def asked(live_app, smtp, author):
    """A post with a poster, sent to the Roskilde chair; the path of the mailed link."""
    settings = live_app.extensions["publisher_settings"]
    with live_app.extensions["db_sessionmaker"]() as db:
        chair = add_approver(db, "Rikke Nielsen", email="rikke.nielsen@roskilde.example")
        poster = poster_media(settings.upload_dir, "Plakat: Sommerkoncert i Byparken")
        draft = make_draft(
            db, author, media=[poster], title="Sommerkoncert i Byparken",
            body="Roskilde Byorkester spiller **gratis** i Byparken.\n\nTag tæpper og "
                 "madkurv med – alle er velkomne.",
            link="https://kulturmetropolen.dk/sommerkoncert",
            channels=["facebook", "instagram", "website"],
            variants={"instagram": "Sommerkoncert i Byparken. Gratis for alle. "
                                   "#kulturmetropolen #roskilde"})
        send(live_app, db, draft, author)
        return draft, path_of(link_in(request_mail(smtp, chair)))


def test_an_approver_approves_from_the_mailed_link_on_a_360px_phone(
        tmp_path, live_app, smtp, author, phone, check_a11y):
    draft, path = asked(live_app, smtp, author)

    phone.goto(path)

    expect(phone.locator("html")).to_have_attribute("lang", "da")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sommerkoncert i Byparken")
    expect(phone.get_by_text("Udgivelsestidspunkt (dansk tid)")).to_be_visible()
    expect(phone.get_by_role("img", name="Plakat: Sommerkoncert i Byparken").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_a11y(phone)
    phone.screenshot(path=str(screenshot_dir(tmp_path) / "approve-mobile.png"), full_page=True)

    phone.get_by_role("button", name="Godkend", exact=True).click()

    expect(phone.get_by_role("status").last).to_contain_text("Du har godkendt det")
    check_a11y(phone)
    with live_app.extensions["db_sessionmaker"]() as db:
        assert db.get(Draft, draft.id).status == "scheduled"
        channels = sorted(db.scalars(select(Delivery.channel).where(
            Delivery.draft_id == draft.id, Delivery.status == "scheduled")))
    assert channels == ["facebook", "instagram", "website"]


def test_the_approval_email_passes_axe(live_app, smtp, author, page, check_a11y):
    asked(live_app, smtp, author)
    [message] = smtp.messages
    page.route("**/*", lambda route: route.abort())  # the mail's images live elsewhere

    page.set_content(html(message))

    expect(page.get_by_role("link", name="Se opslaget, og godkend eller afvis det")).to_be_visible()
    check_a11y(page)


def test_a_changed_text_page_passes_axe_on_a_phone(live_app, smtp, author, phone, check_a11y):
    from tests.approvals.helpers import edit

    draft, path = asked(live_app, smtp, author)
    with live_app.extensions["db_sessionmaker"]() as db:
        edit(live_app, db, db.get(Draft, draft.id), db.merge(author), body="Ny tekst.")

    phone.goto(path)

    expect(phone.get_by_role("heading", name="Teksten er ændret, siden du blev spurgt")
           ).to_be_visible()
    assert phone.get_by_role("button", name="Godkend", exact=True).count() == 0
    check_a11y(phone)


def test_the_secretariats_approval_pages_pass_axe(live_app, smtp, author, page, add_user,
                                                  log_in, check_a11y):
    draft, path = asked(live_app, smtp, author)
    page.goto(path)  # the approver opens the link: the table shows it
    log_in(page, add_user("chef", Role.ADMIN))

    page.goto(f"/drafts/{draft.id}/approvals")

    expect(page.get_by_role("table")).to_contain_text("Rikke Nielsen")
    check_a11y(page)
    page.get_by_label("Frist: timer før udgivelsestidspunktet").fill("-1")
    page.get_by_role("button", name="Gem reglerne").click()
    expect(page.get_by_role("alert")).to_contain_text("Angiv et helt antal timer")
    check_a11y(page)
    page.goto("/admin/approval-defaults")
    check_a11y(page)
