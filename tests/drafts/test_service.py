"""Creating and editing drafts keeps versions, hashes and the history straight."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from drafts.models import AuditEvent
from drafts.service import NotEditable, create_draft, update_draft
from drafts.states import transition
from drafts.validation import clean_draft_input

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ACTOR = ("user", None, "tester")


def _input(**raw):
    base = {"title": "Koncert", "body": "Tekst", "initiative": "music",
            "municipalities": ["halsnaes"], "channels": ["facebook"]}
    base.update(raw)
    data, errors = clean_draft_input(base, zone=ZoneInfo("Europe/Copenhagen"),
                                     municipalities={"halsnaes", "roskilde"},
                                     initiatives={"music"})
    assert errors == []
    return data


def _actions(db, draft):
    return list(db.scalars(select(AuditEvent.action).where(AuditEvent.draft_id == draft.id)
                           .order_by(AuditEvent.id)))


def test_a_new_draft_starts_at_version_one_with_its_hash_recorded(db):
    draft = create_draft(db, _input(), actor=ACTOR, author_id=None, now=NOW)
    db.commit()
    assert (draft.version, draft.status, len(draft.content_hash)) == (1, "draft", 64)
    assert _actions(db, draft) == ["created"]


def test_an_edit_bumps_the_version_and_names_the_changed_fields(db):
    draft = create_draft(db, _input(), actor=ACTOR, author_id=None, now=NOW)
    old_hash = draft.content_hash
    changed = update_draft(db, draft, _input(title="Ny titel", municipalities=["roskilde"]),
                           actor=ACTOR, now=NOW)
    assert changed == ["municipalities", "title"]
    assert draft.version == 2 and draft.content_hash != old_hash


def test_saving_the_same_content_changes_nothing(db):
    draft = create_draft(db, _input(), actor=ACTOR, author_id=None, now=NOW)
    assert update_draft(db, draft, _input(), actor=ACTOR, now=NOW) == []
    assert draft.version == 1
    assert _actions(db, draft) == ["created"]


def test_editing_an_approved_draft_sends_it_back_to_draft(db):
    draft = create_draft(db, _input(), actor=ACTOR, author_id=None, now=NOW)
    transition(db, draft, "submit", actor=ACTOR, now=NOW)
    transition(db, draft, "approve", actor=ACTOR, now=NOW)
    update_draft(db, draft, _input(body="Ændret"), actor=ACTOR, now=NOW)
    assert draft.status == "draft"
    assert _actions(db, draft)[-2:] == ["edited", "withdraw"]


def test_rescheduling_is_recorded_but_keeps_the_approval(db):
    draft = create_draft(db, _input(), actor=ACTOR, author_id=None, now=NOW)
    transition(db, draft, "submit", actor=ACTOR, now=NOW)
    transition(db, draft, "approve", actor=ACTOR, now=NOW)
    update_draft(db, draft, _input(desired_at="2026-12-24T10:00"), actor=ACTOR, now=NOW)
    assert draft.status == "approved"
    assert _actions(db, draft)[-1] == "rescheduled"


def test_a_published_draft_cannot_be_edited(db):
    draft = create_draft(db, _input(), actor=ACTOR, author_id=None, now=NOW)
    draft.status = "published"
    with pytest.raises(NotEditable):
        update_draft(db, draft, _input(title="x"), actor=ACTOR, now=NOW)
