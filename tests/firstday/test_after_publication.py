"""Approval states after publication: once a delivery is live, withdrawing or rejecting is
refused with an explanation, and partial publication shows as "udgivet på 1 af 2 kanaler"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from drafts.approval_decisions import DecisionRefused
from drafts.approvals import ApprovalRequest, Decision
from drafts.models import Draft
from publisher.flows import approval as approval_flow
from schedules.models import Delivery
from tests.firstday.helpers import arrange, state


def _live_on_one_channel(app, admin_client, db) -> int:
    """A draft for Facebook and Instagram, approved and scheduled, live on Facebook only."""
    draft_id = arrange(db)
    assert (
        admin_client.post_form(f"/drafts/{draft_id}/transition", {"action": "approve"}).status_code
        == 302
    )
    deliveries = list(db.scalars(select(Delivery).where(Delivery.draft_id == draft_id)))
    assert {d.channel for d in deliveries} == {"facebook", "instagram"}
    facebook = next(d for d in deliveries if d.channel == "facebook")
    facebook.status, facebook.external_url = "published", "https://facebook.example/1"
    db.commit()
    return draft_id


@pytest.mark.parametrize("action", ["withdraw", "unschedule"])
def test_the_secretariat_cannot_take_back_a_draft_that_is_partly_live(
    app, admin_client, db, routine_policy, action
):
    draft_id = _live_on_one_channel(app, admin_client, db)
    before = state(db, draft_id)
    response = admin_client.post_form(f"/drafts/{draft_id}/transition", {"action": action})
    assert response.status_code == 409
    assert "allerede udgivet på 1 kanal" in response.get_data(as_text=True)
    assert state(db, draft_id) == before


def test_the_draft_page_and_the_queue_say_it_is_published_on_1_of_2_channels(
    app, admin_client, db, routine_policy
):
    draft_id = _live_on_one_channel(app, admin_client, db)
    assert "udgivet på 1 af 2 kanaler" in admin_client.get(f"/drafts/{draft_id}").get_data(
        as_text=True
    )
    assert "udgivet på 1 af 2 kanaler" in admin_client.get("/queue").get_data(as_text=True)


@pytest.mark.parametrize("decision", [Decision.WITHDRAWN, Decision.REJECT])
def test_an_approver_cannot_withdraw_or_reject_once_a_delivery_is_live(app, db, chairs, decision):
    draft_id = arrange(db)
    with app.test_request_context():
        draft = db.get(Draft, draft_id)
        approval_flow.send_for_approval(
            db,
            draft,
            actor=("system", None, "test"),
            requested_by="Sekretariatet",
            now=datetime.now(UTC),
        )
        db.commit()
        request = db.scalars(
            select(ApprovalRequest).where(ApprovalRequest.draft_id == draft_id)
        ).first()
        assert request is not None
        approval_flow.decide_by_link(db, request, Decision.APPROVE, "", datetime.now(UTC))
        db.commit()
        delivery = db.scalars(select(Delivery).where(Delivery.draft_id == draft_id)).first()
        assert delivery is not None
        delivery.status = "published"
        db.commit()
        with pytest.raises(DecisionRefused) as refused:
            approval_flow.decide_by_link(db, request, decision, "nej", datetime.now(UTC))
        assert refused.value.code == "live"
        db.rollback()
    assert state(db, draft_id)[0] == "scheduled"
