"""The calendar pages: month, week and list views, filters, and moving an item with a form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from drafts.approvals import ApprovalPolicy, ApprovalRequest
from drafts.mailbox import OutgoingMail
from drafts.models import AuditEvent
from tests.approvals.helpers import add_approver, send
from tests.plan.helpers import ZONE, add_quiet, deliveries, draft_at, local, scheduled_at


def _future(days: int, at: str = "10:00") -> str:
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(ZONE).date()
    return f"{day.isoformat()}T{at}"


def _cell(page: str, day: str) -> str:
    match = re.search(rf'<td data-day="{day}"[^>]*>(.*?)</td>', page, re.S)
    assert match, f"no cell for {day}"
    return match.group(1)


def test_the_month_view_puts_items_on_their_local_day_across_the_spring_change(admin_client, db):
    draft_at(db, "2026-03-29T00:30", title="Før skiftet")  # 28 March 23:30 UTC
    draft_at(db, "2026-03-29T03:15", title="Efter skiftet")  # 01:15 UTC
    page = admin_client.get("/calendar?view=month&day=2026-03-01").get_data(as_text=True)
    cell = _cell(page, "2026-03-29")
    assert "Før skiftet" in cell and ">00:30<" in cell
    assert "Efter skiftet" in cell and ">03:15<" in cell
    assert "Før skiftet" not in _cell(page, "2026-03-28")


def test_the_month_view_puts_items_on_their_local_day_across_the_autumn_change(admin_client, db):
    draft_at(db, "2026-10-25T23:30", title="Sen søndag")  # 22:30 UTC, winter time
    draft_at(db, "2026-10-25T00:15", title="Tidlig søndag")  # 24 Oct 22:15 UTC, summer time
    page = admin_client.get("/calendar?day=2026-10-10").get_data(as_text=True)
    cell = _cell(page, "2026-10-25")
    assert "Sen søndag" in cell and ">23:30<" in cell
    assert "Tidlig søndag" in cell and ">00:15<" in cell
    assert "Sen søndag" not in _cell(page, "2026-10-26")


def test_the_week_view_shows_only_that_week(admin_client, db):
    draft_at(db, "2026-05-06T09:00", title="Onsdag")
    draft_at(db, "2026-05-13T09:00", title="Næste onsdag")
    page = admin_client.get("/calendar?view=week&day=2026-05-07").get_data(as_text=True)
    assert "Onsdag" in page and "Næste onsdag" not in page


def test_the_list_view_lists_the_month_by_day(admin_client, db):
    draft_at(db, "2026-05-06T09:00", title="Koncert i maj")
    page = admin_client.get("/calendar?view=list&day=2026-05-01").get_data(as_text=True)
    assert "Koncert i maj" in page
    assert "onsdag den 6. maj 2026" in page


def test_the_calendar_filters_by_channel_and_municipality(admin_client, db):
    draft_at(db, "2026-05-06T09:00", title="Til Facebook", channels=["facebook"])
    draft_at(
        db,
        "2026-05-06T10:00",
        title="Til hjemmesiden",
        channels=["website"],
        municipalities=["koge"],
    )
    page = admin_client.get("/calendar?day=2026-05-01&channel=website").get_data(as_text=True)
    assert "Til hjemmesiden" in page and "Til Facebook" not in page
    page = admin_client.get("/calendar?day=2026-05-01&municipality=roskilde").get_data(as_text=True)
    assert "Til Facebook" in page and "Til hjemmesiden" not in page


def test_failed_deliveries_show_as_failed_and_can_be_filtered(
    app, admin_client, db, routine_policy
):
    draft = scheduled_at(app, db, _future(3), title="Gik galt")
    for delivery in deliveries(db, draft):
        delivery.status = "failed"
    db.commit()
    day = _future(3)[:10]
    page = admin_client.get(f"/calendar?day={day}&status=failed").get_data(as_text=True)
    assert "Gik galt" in page and "status-failed" in page


def test_an_unknown_filter_value_is_explained_not_an_error_page(admin_client):
    response = admin_client.get("/calendar?channel=myspace&day=2026-13-01")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "myspace" in page and "2026-13-01" in page


def test_moving_a_scheduled_item_with_the_form_moves_its_deliveries(
    app, admin_client, db, routine_policy
):
    draft = scheduled_at(app, db, _future(3))
    target = _future(5, "14:30")
    response = admin_client.post_form(
        f"/calendar/items/{draft.id}/move", {"date": target[:10], "time": "14:30"}
    )
    assert response.status_code == 302
    db.expire_all()
    assert draft.desired_at == local(target)
    assert {d.due_at for d in deliveries(db, draft)} == {local(target)}
    assert draft.status == "scheduled"


def test_a_move_says_until_when_the_approvers_have(app, admin_client, db, chairs):
    add_approver(db, "Anna Formand")
    draft = draft_at(db, _future(4))
    send(app, db, draft)
    target = _future(6, "09:00")
    response = admin_client.post_form(
        f"/calendar/items/{draft.id}/move",
        {"date": target[:10], "time": "09:00"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    deadline = local(target) - timedelta(hours=24)
    assert "Godkenderne har indtil" in page
    assert deadline.astimezone(ZONE).strftime("kl. %H.%M") in page


def test_a_move_into_a_quiet_period_is_refused_with_its_reason(
    app, admin_client, db, routine_policy
):
    draft = scheduled_at(app, db, _future(3))
    before = draft.desired_at
    start = local(_future(5, "00:00"))
    add_quiet(
        db, "Kommunalvalg", start, start + timedelta(days=1), reason="Valgloven: ingen kampagner."
    )
    response = admin_client.post_form(
        f"/calendar/items/{draft.id}/move", {"date": _future(5)[:10], "time": "12:00"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Kommunalvalg" in page and "Valgloven" in page
    db.expire_all()
    assert draft.desired_at == before
    assert {d.due_at for d in deliveries(db, draft)} == {before}


def test_a_move_is_refused_with_the_channels_own_validation(admin_client, db):
    draft = draft_at(db, _future(3), channels=["instagram"])  # Instagram needs an image
    response = admin_client.post_form(
        f"/calendar/items/{draft.id}/move", {"date": _future(4)[:10], "time": "12:00"}
    )
    assert response.status_code == 409
    assert "billede" in response.get_data(as_text=True).lower()


def test_a_move_that_leaves_the_approvers_no_time_is_refused(app, admin_client, db, chairs):
    draft = draft_at(db, _future(4))
    send(app, db, draft)
    soon = datetime.now(UTC) + timedelta(hours=3)
    when = soon.astimezone(ZONE)
    response = admin_client.post_form(
        f"/calendar/items/{draft.id}/move",
        {"date": when.date().isoformat(), "time": when.strftime("%H:%M")},
    )
    assert response.status_code == 409
    assert "ingen tid" in response.get_data(as_text=True)


def test_moving_a_held_item_later_lifts_the_hold_and_asks_the_approvers_again(
    app, admin_client, db, chairs
):
    draft = draft_at(db, _future(4))
    send(app, db, draft)
    policy = db.scalar(select(ApprovalPolicy).where(ApprovalPolicy.draft_id == draft.id))
    policy.held_at = datetime.now(UTC)
    db.commit()
    mails_before = db.scalar(select(func.count(OutgoingMail.id)))
    db.commit()  # end the read: SQLite lets one writer at a time in
    response = admin_client.post_form(
        f"/calendar/items/{draft.id}/move", {"date": _future(8)[:10], "time": "09:00"}
    )
    assert response.status_code == 302
    db.expire_all()
    assert (
        db.scalar(select(ApprovalPolicy.held_at).where(ApprovalPolicy.draft_id == draft.id)) is None
    )
    requests = db.scalar(
        select(func.count(ApprovalRequest.id)).where(ApprovalRequest.draft_id == draft.id)
    )
    assert db.scalar(select(func.count(OutgoingMail.id))) == mails_before + requests


def test_a_time_in_the_spring_gap_is_refused_with_a_suggestion(admin_client, db):
    draft = draft_at(db, _future(3))
    response = admin_client.post_form(
        f"/calendar/items/{draft.id}/move", {"date": "2027-03-28", "time": "02:30"}
    )
    assert response.status_code == 422
    assert "kl. 03.00" in response.get_data(as_text=True)


def test_a_time_in_the_autumn_overlap_asks_which_and_then_moves(admin_client, db):
    draft = draft_at(db, _future(3))
    url = f"/calendar/items/{draft.id}/move"
    response = admin_client.post_form(url, {"date": "2027-10-31", "time": "02:30"})
    assert response.status_code == 422
    assert 'name="fold"' in response.get_data(as_text=True)
    response = admin_client.post_form(url, {"date": "2027-10-31", "time": "02:30", "fold": "1"})
    assert response.status_code == 302
    db.expire_all()
    assert draft.desired_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_a_move_is_recorded_in_the_history(admin_client, db):
    draft = draft_at(db, _future(3))
    admin_client.post_form(
        f"/calendar/items/{draft.id}/move", {"date": _future(4)[:10], "time": "12:00"}
    )
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.draft_id == draft.id)))
    assert actions[-1] == "rescheduled"


def test_a_viewer_cannot_move_an_item(client, viewer, db):
    draft = draft_at(db, _future(3))
    client.login("viewer")
    response = client.post_form(
        f"/calendar/items/{draft.id}/move", {"date": _future(4)[:10], "time": "12:00"}
    )
    assert response.status_code == 403


def test_moving_is_never_done_on_get(admin_client, db):
    draft = draft_at(db, _future(3))
    before = draft.desired_at
    response = admin_client.get(f"/calendar/items/{draft.id}/move?date=2030-01-01&time=09:00")
    assert response.status_code == 200
    db.expire_all()
    assert draft.desired_at == before


def test_scheduling_into_a_quiet_period_is_refused_and_the_secretariat_told(
    app, db, routine_policy
):
    start = local(_future(3, "00:00"))
    add_quiet(db, "Pressestop", start, start + timedelta(days=1))
    draft = draft_at(db, _future(3, "12:00"))
    from publisher.flows import approval as approval_flow

    with app.app_context():
        approval_flow.admin_approve(db, draft, datetime.now(UTC), ("user", None, "tests"))
        db.commit()
    assert draft.status == "approved"
    assert deliveries(db, draft) == []
    reasons = [
        e.details.get("reason")
        for e in db.scalars(
            select(AuditEvent).where(
                AuditEvent.draft_id == draft.id, AuditEvent.action == "schedule_failed"
            )
        )
    ]
    assert reasons == ["quiet period: Pressestop"]


def test_a_crowded_day_in_the_month_view_shows_six_items_and_how_many_more(admin_client, db):
    for minute in range(8):
        draft_at(db, f"2026-05-06T09:{minute:02d}", title=f"Punkt {minute}")
    page = admin_client.get("/calendar?day=2026-05-01").get_data(as_text=True)
    cell = _cell(page, "2026-05-06")
    assert cell.count('<li class="cal-item ') == 6
    assert "2 mere" in cell and "view=week" in cell
    week = admin_client.get("/calendar?view=week&day=2026-05-06").get_data(as_text=True)
    assert _cell(week, "2026-05-06").count('<li class="cal-item ') == 8
