"""How deliveries are shown: a draft's deliveries, and why one failed or is held, in words."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from drafts.models import Draft
from publisher.config import current_settings
from publisher.i18n import lang
from schedules.models import Delivery, DeliveryStatus
from schedules.wording import problem_text


def delivery_problem(delivery: Delivery, language: str | None = None) -> str:
    """What is wrong with a delivery, in words that match its status (current language)."""
    zone: ZoneInfo = current_settings().zone
    return problem_text(delivery.status, delivery.last_error, held_reason=delivery.held_reason,
                        next_attempt_at=delivery.next_attempt_at, attempts=delivery.attempts,
                        zone=zone, lang=language or lang())


def deliveries_of(db: Session, draft: Draft) -> list[Delivery]:
    """A draft's deliveries, cancelled ones last."""
    rows = db.scalars(select(Delivery).options(joinedload(Delivery.account))
                      .where(Delivery.draft_id == draft.id).order_by(Delivery.id))
    return sorted(rows, key=lambda d: d.status == DeliveryStatus.CANCELLED.value)


def deliveries_by_draft(db: Session, draft_ids: list[int]) -> dict[int, list[Delivery]]:
    """The deliveries of several drafts (a queue page) in one query, cancelled ones left out."""
    found: dict[int, list[Delivery]] = {i: [] for i in draft_ids}
    if not draft_ids:
        return found
    rows = db.scalars(select(Delivery).options(joinedload(Delivery.account))
                      .where(Delivery.draft_id.in_(draft_ids),
                             Delivery.status != DeliveryStatus.CANCELLED.value)
                      .order_by(Delivery.id))
    for row in rows:
        found[row.draft_id].append(row)
    return found


def approver_notes(db: Session, drafts: list[Draft]) -> dict[int, list[tuple[str, str]]]:
    """Rejections and comments on each draft's current version: (approver name, decision)."""
    from drafts.approvals import ApprovalRequest, Decision

    found: dict[int, list[tuple[str, str]]] = {d.id: [] for d in drafts}
    if not drafts:
        return found
    current = {d.id: d.content_hash for d in drafts}
    rows = db.scalars(select(ApprovalRequest).options(joinedload(ApprovalRequest.approver))
                      .where(ApprovalRequest.draft_id.in_(list(current)),
                             ApprovalRequest.decision.in_([Decision.REJECT.value,
                                                           Decision.COMMENT.value]))
                      .order_by(ApprovalRequest.decided_at))
    for row in rows:
        if row.content_hash == current[row.draft_id]:
            found[row.draft_id].append((row.approver.name, str(row.decision)))
    return found
