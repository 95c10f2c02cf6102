"""The editing flow calls the draft service, the outbox and the approval re-ask, in that order.

These run without Flask: the re-ask step is an argument, here one that records what it saw.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approvals import ApprovalRequest, add_request
from drafts.models import Approver, ChannelAccount, Draft, Municipality
from drafts.service import NotEditable
from drafts.states import transition
from drafts.validation import DraftInput, clean_draft_input
from publisher.flows.editing import cancel, create_draft, edit_draft, reschedule
from schedules.models import Delivery
from schedules.outbox import schedule_draft

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACTOR = ("user", None, "tester")
CPH = ZoneInfo("Europe/Copenhagen")


def _input(**changes: Any) -> DraftInput:
    raw = {"title": "Koncert i Roskilde", "body": "Kom og hør orkestret.", "initiative": "music",
           "municipalities": ["roskilde"], "channels": ["x"], "desired_at": "2026-12-01T10:00"}
    raw.update(changes)
    data, errors = clean_draft_input(raw, zone=CPH, municipalities={"roskilde"},
                                     initiatives={"music"})
    assert data is not None, errors
    return data


def _scheduled(session: Session) -> tuple[Draft, Delivery]:
    account = ChannelAccount(platform="x", external_id="1700000000000000042", name="X")
    session.add(account)
    draft = create_draft(session, _input(), actor=ACTOR, author_id=None, now=NOW)
    transition(session, draft, "approve", actor=ACTOR, now=NOW)
    [delivery] = schedule_draft(session, draft, [account], NOW, actor=ACTOR)
    session.commit()
    return draft, delivery


class AskAgain:
    """A re-ask step that remembers the draft's and its deliveries' status when it was called."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[str]]] = []

    def __call__(self, session: Session, draft: Draft, now: datetime) -> None:
        statuses = list(session.scalars(select(Delivery.status).where(
            Delivery.draft_id == draft.id)))
        self.seen.append((draft.status, statuses))


def test_a_content_edit_withdraws_the_deliveries_before_the_approvers_are_asked_again(session):
    draft, _ = _scheduled(session)
    ask_again = AskAgain()

    changed = edit_draft(session, draft, _input(body="Ny tekst."), actor=ACTOR, now=NOW,
                         ask_again=ask_again)

    assert changed == ["body"]
    assert ask_again.seen == [("draft", ["cancelled"])]


def test_an_edit_that_only_moves_the_time_moves_the_waiting_delivery_and_asks_nobody(session):
    draft, delivery = _scheduled(session)
    ask_again = AskAgain()

    changed = edit_draft(session, draft, _input(desired_at="2026-12-02T10:00"), actor=ACTOR,
                         now=NOW, ask_again=ask_again)
    session.commit()

    assert changed == []
    assert ask_again.seen == []
    assert session.get(Delivery, delivery.id).due_at == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert draft.status == "scheduled"


def test_an_edit_that_changes_nothing_sets_nothing_off(session):
    draft, delivery = _scheduled(session)
    ask_again = AskAgain()

    assert edit_draft(session, draft, _input(), actor=ACTOR, now=NOW, ask_again=ask_again) == []

    assert ask_again.seen == []
    assert session.get(Delivery, delivery.id).status == "scheduled"


def test_the_default_re_ask_voids_the_approvals_of_the_older_version(session):
    draft = create_draft(session, _input(), actor=ACTOR, author_id=None, now=NOW)
    roskilde = session.scalar(select(Municipality).where(Municipality.slug == "roskilde"))
    chair = Approver(name="Rikke Formand", email="rikke@example.org", municipality=roskilde,
                     role="chair")
    session.add(chair)
    session.flush()
    request = add_request(session, draft, chair, NOW, requested_by="Sekretariatet", link_days=7)
    request.decision, request.decided_at = "reject", NOW
    session.commit()

    edit_draft(session, draft, _input(body="Ny tekst."), actor=ACTOR, now=NOW)
    session.commit()

    assert session.get(ApprovalRequest, request.id).void_reason == "content_changed"


def test_reschedule_moves_a_scheduled_drafts_waiting_deliveries(session):
    draft, delivery = _scheduled(session)
    later = NOW + timedelta(days=3)

    moved = reschedule(session, draft, later, NOW, actor=ACTOR)
    session.commit()

    assert [d.id for d in moved] == [delivery.id]
    assert session.get(Delivery, delivery.id).due_at == later
    assert draft.desired_at == later


def test_reschedule_refuses_a_cancelled_draft(session):
    draft, _ = _scheduled(session)
    cancel(session, draft, NOW, actor=ACTOR)

    with pytest.raises(NotEditable):
        reschedule(session, draft, NOW + timedelta(days=3), NOW, actor=ACTOR)


def test_cancel_withdraws_the_deliveries_and_stops_the_approval_links(session):
    draft, delivery = _scheduled(session)
    roskilde = session.scalar(select(Municipality).where(Municipality.slug == "roskilde"))
    chair = Approver(name="Rikke Formand", email="rikke@example.org", municipality=roskilde,
                     role="chair")
    session.add(chair)
    session.flush()
    request = add_request(session, draft, chair, NOW, requested_by="Sekretariatet", link_days=7)
    session.commit()

    cancel(session, draft, NOW, actor=ACTOR)
    session.commit()

    assert draft.status == "cancelled"
    assert session.get(Delivery, delivery.id).status == "cancelled"
    assert session.get(ApprovalRequest, request.id).void_reason == "withdrawn"
