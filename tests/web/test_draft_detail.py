"""A draft's page: its rendered text, previews, the actions a person may take, and its history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drafts.models import AuditEvent, Draft
from drafts.service import create_draft
from drafts.validation import clean_draft_input

ZONE = ZoneInfo("Europe/Copenhagen")


def arrange(db: Session, *, status: str = "draft", **fields: Any) -> int:
    raw: dict[str, Any] = {"kind": "post", "title": "Koncert", "initiative": "music",
                           "body": "Kom **i aften**.\n\n<script>alert(1)</script>",
                           "municipalities": ["halsnaes"], "channels": ["facebook", "x"]}
    raw.update(fields)
    data, errors = clean_draft_input(raw, zone=ZONE, municipalities={"halsnaes", "koge"},
                                     initiatives={"music", "youth"})
    assert data is not None, errors
    draft = create_draft(db, data, actor=("system", None, "test"), author_id=None,
                         now=datetime(2026, 5, 1, 10, tzinfo=UTC))
    draft.status = status
    db.commit()
    return draft.id


def status_of(db: Session, draft_id: int) -> str:
    db.expire_all()
    status = db.scalar(select(Draft.status).where(Draft.id == draft_id))
    db.commit()
    return str(status)


def audit_count(db: Session) -> int:
    n = db.scalar(select(func.count()).select_from(AuditEvent))
    db.commit()
    return int(n or 0)


def test_it_shows_the_body_rendered_and_sanitised(admin_client, db):
    page = admin_client.get(f"/drafts/{arrange(db)}").get_data(as_text=True)
    assert "<strong>i aften</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_it_shows_each_chosen_channels_text_and_count(admin_client, db):
    page = admin_client.get(f"/drafts/{arrange(db)}").get_data(as_text=True)
    assert 'data-channel="facebook"' in page
    assert 'data-channel="x"' in page
    assert 'data-channel="instagram"' not in page
    assert "af 280 tegn" in page


def test_the_history_lists_the_newest_event_first(admin_client, db, chairs):
    draft_id = arrange(db, channels=["facebook"])
    admin_client.post_form(f"/drafts/{draft_id}/transition", {"action": "submit"})
    page = admin_client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    history = page[page.index('class="history"'):]
    assert history.index("Sendt til godkendelse") < history.index("Oprettet")
    assert "Kladde → Til godkendelse" in history


def test_a_transition_moves_the_draft_and_is_audited(admin_client, db, chairs):
    draft_id = arrange(db, channels=["facebook"])
    before = audit_count(db)
    response = admin_client.post_form(f"/drafts/{draft_id}/transition", {"action": "submit"})
    assert response.status_code == 302
    assert status_of(db, draft_id) == "in_review"
    assert audit_count(db) > before
    assert db.scalar(select(AuditEvent).where(AuditEvent.draft_id == draft_id,
                                              AuditEvent.action == "submit")) is not None


def test_sending_for_approval_with_nobody_to_ask_explains_why_and_changes_nothing(
        admin_client, db):
    draft_id = arrange(db, channels=["facebook"])
    before = audit_count(db)
    response = admin_client.post_form(f"/drafts/{draft_id}/transition", {"action": "submit"})
    assert response.status_code == 422
    assert "kan ikke sendes til godkendelse" in response.get_data(as_text=True)
    assert status_of(db, draft_id) == "draft"
    assert audit_count(db) == before


def test_an_impossible_transition_gets_a_message_and_a_409(admin_client, db):
    draft_id = arrange(db)
    before = audit_count(db)
    response = admin_client.post_form(f"/drafts/{draft_id}/transition", {"action": "schedule"})
    assert response.status_code == 409
    assert "er ikke muligt" in response.get_data(as_text=True)
    assert status_of(db, draft_id) == "draft"
    assert audit_count(db) == before


def test_an_unknown_action_is_a_bad_request(admin_client, db):
    draft_id = arrange(db)
    response = admin_client.post_form(f"/drafts/{draft_id}/transition", {"action": "explode"})
    assert response.status_code == 400


@pytest.mark.parametrize("action", ["approve", "publish"])
def test_an_editor_may_not_approve_or_publish(editor_client, db, action):
    draft_id = arrange(db)
    response = editor_client.post_form(f"/drafts/{draft_id}/transition", {"action": action})
    assert response.status_code == 403
    assert status_of(db, draft_id) == "draft"


def test_an_editor_may_not_act_on_another_initiatives_draft(editor_client, db):
    draft_id = arrange(db, initiative="youth")
    response = editor_client.post_form(f"/drafts/{draft_id}/transition", {"action": "submit"})
    assert response.status_code == 403
    assert status_of(db, draft_id) == "draft"


def test_the_buttons_offer_only_what_the_user_may_do(client, admin, editor, db):
    draft_id = arrange(db)
    client.login("musik")
    editor_page = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    client.post_form("/logout")
    client.login("admin")
    admin_page = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert 'value="submit"' in editor_page
    assert 'value="approve"' not in editor_page
    assert 'value="approve"' in admin_page


def test_a_viewer_sees_the_draft_but_no_actions(client, viewer, db):
    draft_id = arrange(db)
    client.login("viewer")
    page = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert "Koncert" in page
    assert "/transition" not in page
    assert f"/drafts/{draft_id}/edit" not in page


def test_an_unknown_draft_is_not_found(admin_client):
    assert admin_client.get("/drafts/999").status_code == 404
