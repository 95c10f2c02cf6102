"""The calendar in a real browser: drag and drop, the same move without JavaScript, the DST
month view, and axe-core on month, week and list views at desktop width and at 360 px."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from drafts.models import Draft, Role
from publisher.flows import approval as approval_flow
from schedules.models import Delivery
from tests.approvals.helpers import make_draft
from tests.browser.conftest import screenshot_dir
from tests.plan.helpers import ZONE, local

pytestmark = pytest.mark.browser


def _day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(ZONE).date().isoformat()


def _scheduled(live_app: Any, when_local: str, title: str) -> int:
    with live_app.app_context(), live_app.extensions["db_sessionmaker"]() as db:
        draft = make_draft(db, None, desired_at=when_local, title=title)
        approval_flow.admin_approve(db, draft, datetime.now(UTC), ("user", None, "tests"))
        db.commit()
        assert draft.status == "scheduled"
        return draft.id


def _state(live_app: Any, draft_id: int) -> tuple[datetime | None, set[datetime]]:
    with live_app.extensions["db_sessionmaker"]() as db:
        draft = db.get(Draft, draft_id)
        dues = set(db.scalars(select(Delivery.due_at).where(Delivery.draft_id == draft_id)))
        return draft.desired_at, dues


def test_dragging_an_item_to_another_day_reschedules_it(
    page, live_app, add_user, log_in, routine_policy, tmp_path
):
    first, second = _day(3), _day(4)
    draft_id = _scheduled(live_app, f"{first}T10:00", "Koncert i Roskilde")
    log_in(page, add_user("chef", Role.ADMIN))
    page.goto(f"/calendar?view=week&day={first}")
    item = page.locator(f"td[data-day='{first}'] .cal-item", has_text="Koncert i Roskilde")
    page.screenshot(path=str(screenshot_dir(tmp_path) / "calendar-week.png"), full_page=True)
    item.drag_to(page.locator(f"td[data-day='{second}']"))
    page.wait_for_url("**/calendar*")
    assert "Flyttet til" in page.get_by_role("status").inner_text()
    assert (
        page.locator(f"td[data-day='{second}'] .cal-item", has_text="Koncert i Roskilde").count()
        == 1
    )
    desired, dues = _state(live_app, draft_id)
    assert desired == local(f"{second}T10:00")
    assert dues == {desired}


def test_an_item_moves_with_the_form_without_javascript(
    browser, live_server, live_app, add_user, log_in, routine_policy
):
    context = browser.new_context(base_url=live_server, locale="da-DK", java_script_enabled=False)
    page = context.new_page()
    try:
        first, later = _day(3), _day(6)
        draft_id = _scheduled(live_app, f"{first}T10:00", "Udstilling i Køge")
        log_in(page, add_user("chef", Role.ADMIN))
        page.goto(f"/calendar?view=list&day={first}")
        page.get_by_role("link", name="Flyt Udstilling i Køge").click()
        page.get_by_label("Ny dato").fill(later)
        page.get_by_label("Nyt klokkeslæt (dansk tid)").fill("15:45")
        page.get_by_role("button", name="Flyt").click()
        assert "Flyttet til" in page.get_by_role("status").inner_text()
        desired, dues = _state(live_app, draft_id)
        assert desired == local(f"{later}T15:45")
        assert dues == {desired}
    finally:
        context.close()


def test_the_month_view_shows_items_on_their_local_day_around_both_clock_changes(
    page, live_app, add_user, log_in
):
    with live_app.extensions["db_sessionmaker"]() as db:
        make_draft(db, None, desired_at="2026-03-29T00:30", title="Marts nat")
        make_draft(db, None, desired_at="2026-03-29T23:30", title="Marts aften")
        make_draft(db, None, desired_at="2026-10-25T00:30", title="Oktober nat")
        make_draft(db, None, desired_at="2026-10-25T23:30", title="Oktober aften")
    log_in(page, add_user("chef", Role.ADMIN))
    for month, day in (("2026-03-01", "2026-03-29"), ("2026-10-01", "2026-10-25")):
        page.goto(f"/calendar?day={month}")
        cell = page.locator(f"td[data-day='{day}']")
        text = cell.inner_text()
        assert "00:30" in text and "23:30" in text, text


@pytest.mark.parametrize("width", [1280, 360])
def test_the_calendar_views_pass_axe(
    browser, live_server, live_app, add_user, log_in, check_a11y, routine_policy, tmp_path, width
):
    context = browser.new_context(
        base_url=live_server, locale="da-DK", viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    try:
        day = _day(3)
        _scheduled(live_app, f"{day}T10:00", "Koncert i Roskilde")
        with live_app.extensions["db_sessionmaker"]() as db:
            make_draft(
                db,
                None,
                desired_at=f"{day}T12:00",
                title="Kladde til hjemmesiden",
                channels=["website"],
            )
        log_in(page, add_user("chef", Role.ADMIN))
        shots = screenshot_dir(tmp_path)
        for view in ("month", "week", "list"):
            page.goto(f"/calendar?view={view}&day={day}")
            assert page.get_by_text("Koncert i Roskilde").count() >= 1
            page.screenshot(path=str(shots / f"calendar-{view}-{width}.png"), full_page=True)
            check_a11y(page)
        for path in ("/calendar/plan", "/calendar/feed"):
            page.goto(path)
            check_a11y(page)
        page.goto(f"/calendar?view=list&day={day}")
        page.get_by_role("link", name="Flyt Koncert i Roskilde").click()
        check_a11y(page)
        page.screenshot(path=str(shots / f"calendar-move-{width}.png"), full_page=True)
    finally:
        context.close()
