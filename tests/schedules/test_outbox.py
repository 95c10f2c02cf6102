"""Scheduling writes the deliveries with the draft's own transaction; edits withdraw them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from drafts.models import AuditEvent, Draft
from drafts.validation import clean_draft_input
from publisher.flows.editing import edit_draft
from schedules.models import Delivery, HeldReason
from schedules.outbox import (
    ScheduleError,
    cancel_delivery,
    cancel_draft,
    reschedule,
    schedule_draft,
    unschedule,
)
from tests.schedules.helpers import ACTOR, CPH, NOW, account, approved_draft, scheduled


def _statuses(session, draft):
    session.expire_all()
    rows = session.scalars(select(Delivery).where(Delivery.draft_id == draft.id)
                           .order_by(Delivery.id))
    return [d.status for d in rows]


def test_scheduling_writes_one_delivery_per_account_in_the_approving_transaction(sessions, peek):
    with sessions() as s:
        accounts = [account(s, "x", "1700000000000000001"), account(s, "facebook", "42")]
        s.commit()
        draft = approved_draft(s)
        schedule_draft(s, draft, accounts, NOW, actor=ACTOR)
        with peek() as other:  # nothing is visible before the commit
            assert other.scalars(select(Delivery)).all() == []
        s.commit()
        draft_id = draft.id
    with sessions() as other:
        rows = other.scalars(select(Delivery).order_by(Delivery.id)).all()
        assert [(d.channel, d.status, d.due_at) for d in rows] == [
            ("x", "scheduled", NOW), ("facebook", "scheduled", NOW)]
        assert other.get(Draft, draft_id).status == "scheduled"
        assert rows[0].content_hash == other.get(Draft, draft_id).content_hash


def test_a_rolled_back_approval_leaves_no_delivery_behind(sessions):
    with sessions() as s:
        acc = account(s)
        s.commit()
        schedule_draft(s, approved_draft(s), [acc], NOW, actor=ACTOR)
        s.rollback()
    with sessions() as other:
        assert other.scalars(select(Delivery)).all() == []
        assert other.scalars(select(Draft)).all() == []


def test_each_delivery_gets_a_marker_of_its_own_that_never_changes(session):
    draft, deliveries = scheduled(session, n_accounts=3)
    markers = [d.marker for d in deliveries]
    assert len(set(markers)) == 3 and all(m.startswith("pub-") for m in markers)
    reschedule(session, draft, NOW + timedelta(hours=2), NOW, actor=ACTOR)
    session.commit()
    assert [d.marker for d in deliveries] == markers


def test_the_due_time_is_the_drafts_desired_time_unless_given(session):
    acc = account(session)
    draft = approved_draft(session, desired_at="2026-12-24T10:00")
    [delivery] = schedule_draft(session, draft, [acc], NOW, actor=ACTOR)
    assert delivery.due_at == draft.desired_at == NOW.replace(month=12, day=24, hour=9)


def test_scheduling_refuses_a_draft_that_is_not_approved_and_an_empty_account_list(session):
    acc = account(session)
    draft = approved_draft(session)
    with pytest.raises(ScheduleError):
        schedule_draft(session, draft, [], NOW)
    schedule_draft(session, draft, [acc], NOW)
    with pytest.raises(Exception, match="cannot schedule"):
        schedule_draft(session, draft, [acc], NOW)


def test_rescheduling_moves_only_deliveries_that_have_not_started(session):
    draft, deliveries = scheduled(session, n_accounts=3)
    deliveries[1].status = "running"
    deliveries[2].status = "held"
    deliveries[2].held_reason = HeldReason.LATE
    later = NOW + timedelta(days=1)
    moved = reschedule(session, draft, later, NOW, actor=ACTOR)
    session.commit()
    assert [d.id for d in moved] == [deliveries[0].id, deliveries[2].id]
    assert [d.due_at for d in deliveries] == [later, NOW, later]
    assert deliveries[2].status == "scheduled" and deliveries[2].held_reason == ""


def test_a_content_edit_cancels_deliveries_that_have_not_started_and_flags_those_in_flight(
    session,
):
    draft, deliveries = scheduled(session, n_accounts=3)
    deliveries[1].status = "running"
    deliveries[2].status = "unconfirmed"
    session.commit()
    data, errors = clean_draft_input(
        {"title": "Koncert i Køge", "body": "Ny tekst", "initiative": "music",
         "municipalities": ["roskilde"], "channels": ["x"]},
        zone=CPH, municipalities={"roskilde"}, initiatives={"music"})
    assert not errors
    edit_draft(session, draft, data, actor=ACTOR, now=NOW)
    session.commit()
    assert draft.status == "draft"
    assert _statuses(session, draft) == ["cancelled", "running", "unconfirmed"]
    assert [d.content_stale for d in deliveries] == [False, True, True]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.draft_id == draft.id))
    assert "deliveries_withdrawn" in list(actions)


def test_unscheduling_withdraws_the_deliveries_and_returns_the_draft_to_approved(session):
    draft, _ = scheduled(session, n_accounts=2)
    unschedule(session, draft, NOW, actor=ACTOR)
    session.commit()
    assert draft.status == "approved"
    assert _statuses(session, draft) == ["cancelled", "cancelled"]
    schedule_draft(session, draft, [account(session, "x", "1700000000000000000")], NOW)
    session.commit()
    assert _statuses(session, draft) == ["cancelled", "cancelled", "scheduled"]


def test_cancelling_a_draft_cancels_its_deliveries_but_never_a_published_one(session):
    draft, deliveries = scheduled(session, n_accounts=2)
    deliveries[0].status = "published"
    cancel_draft(session, draft, NOW, actor=ACTOR)
    session.commit()
    assert draft.status == "cancelled"
    assert _statuses(session, draft) == ["published", "cancelled"]


def test_one_channel_can_be_cancelled_unless_it_has_started(session):
    _, deliveries = scheduled(session, n_accounts=2)
    cancel_delivery(session, deliveries[0], NOW, actor=ACTOR)
    deliveries[1].status = "running"
    with pytest.raises(ScheduleError):
        cancel_delivery(session, deliveries[1], NOW, actor=ACTOR)
    assert [d.status for d in deliveries] == ["cancelled", "running"]
