"""The old-link page shows what changed since the approver was asked, word by word."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from drafts.approval_links import make_token, rotate_nonce
from drafts.approvals import ApprovalRequest
from drafts.models import Draft
from drafts.validation import clean_draft_input
from publisher.flows import approval as approval_flow
from publisher.flows.editing import edit_draft
from publisher.flows.firstday.changes import word_diff
from tests.conftest import SECRET
from tests.firstday.helpers import MUNICIPALITIES, ZONE, arrange


def test_a_word_diff_marks_removed_and_added_words():
    pieces = word_diff("Kom og hør orkestret", "Kom og hør koret")
    assert [(p.op, p.text) for p in pieces if p.op != "same"] == [
        ("removed", "orkestret"),
        ("added", "koret"),
    ]


def test_an_old_link_shows_what_changed_in_the_text(app, client, db, chairs):
    draft_id = arrange(db, body="Kom og hør orkestret i parken.")
    with app.test_request_context():
        draft = db.get(Draft, draft_id)
        approval_flow.send_for_approval(
            db,
            draft,
            actor=("system", None, "test"),
            requested_by="Sekretariatet",
            now=datetime.now(UTC),
        )
        db.commit()  # the mail (and its own link) is attempted here
        request = db.scalars(
            select(ApprovalRequest).where(ApprovalRequest.draft_id == draft_id)
        ).first()
        assert request is not None
        token = make_token(SECRET, request.id, rotate_nonce(db, request, datetime.now(UTC), 14))
        db.commit()
        draft = db.get(Draft, draft_id)
        raw = {
            "kind": "post",
            "title": draft.title,
            "body": "Kom og hør koret i parken.",
            "initiative": "music",
            "municipalities": ["roskilde"],
            "channels": list(draft.channels),
            "desired_at": draft.desired_at.isoformat(),
        }
        data, errors = clean_draft_input(
            raw, zone=ZONE, municipalities=MUNICIPALITIES, initiatives={"music"}
        )
        assert data is not None, errors
        edit_draft(db, draft, data, actor=("system", None, "test"), now=datetime.now(UTC))
        db.commit()
    page = client.get(f"/a/{token}").get_data(as_text=True)
    changes = page[page.index('id="changes-heading"') :]
    assert "Det er ændret siden version 1" in changes
    assert "orkestret</del>" in changes and "koret</ins>" in changes
