"""How deliveries are shown: a draft's deliveries, and why one failed or is held, in words."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from channels.base import reason_text
from drafts.models import Draft
from publisher.i18n import lang
from schedules.models import Delivery, DeliveryStatus, held_reason_text


def delivery_problem(delivery: Delivery) -> str:
    """Why a delivery is failed or held, in plain words in the current language."""
    if delivery.status == DeliveryStatus.HELD.value:
        return held_reason_text(delivery.held_reason, lang())
    if delivery.last_error:
        return reason_text(delivery.last_error, lang())
    return ""


def deliveries_of(db: Session, draft: Draft) -> list[Delivery]:
    """A draft's deliveries, cancelled ones last."""
    rows = db.scalars(select(Delivery).options(joinedload(Delivery.account))
                      .where(Delivery.draft_id == draft.id).order_by(Delivery.id))
    return sorted(rows, key=lambda d: d.status == DeliveryStatus.CANCELLED.value)
