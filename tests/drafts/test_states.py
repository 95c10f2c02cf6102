"""The lifecycle: allowed moves, refused moves, and an audit event for each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from drafts.models import AuditEvent, Draft, Initiative
from drafts.states import InvalidTransition, Status, allowed_actions, transition

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ACTOR = ("user", 1, "admin")


def _draft(db) -> Draft:
    ini = db.scalar(select(Initiative).where(Initiative.slug == "music"))
    draft = Draft(title="T", initiative=ini, status="draft", channels=[])
    db.add(draft)
    db.flush()
    return draft


def test_it_moves_a_draft_through_review_approval_and_scheduling(db):
    draft = _draft(db)
    for action, expected in [("submit", Status.IN_REVIEW), ("approve", Status.APPROVED),
                             ("schedule", Status.SCHEDULED), ("publish", Status.PUBLISHED)]:
        assert transition(db, draft, action, actor=ACTOR, now=NOW) == expected
    db.commit()
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.draft_id == draft.id)))
    assert actions == ["submit", "approve", "schedule", "publish"]


def test_it_refuses_to_publish_a_draft_that_was_never_approved(db):
    draft = _draft(db)
    with pytest.raises(InvalidTransition):
        transition(db, draft, "publish", actor=ACTOR, now=NOW)
    assert draft.status == "draft"


def test_a_published_item_has_no_further_moves(db):
    assert allowed_actions("published", is_admin=True) == []


def test_only_admins_are_offered_approval():
    assert "approve" not in allowed_actions("in_review")
    assert "approve" in allowed_actions("in_review", is_admin=True)


def test_nobody_is_offered_the_system_only_publish_action():
    assert "publish" not in allowed_actions("scheduled", is_admin=True)


def test_every_status_has_a_transition_table_entry():
    from drafts.states import TRANSITIONS

    assert set(TRANSITIONS) == set(Status)
    for moves in TRANSITIONS.values():
        assert set(moves.values()) <= set(Status)
