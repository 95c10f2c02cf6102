"""Deliveries as people work with them: find them, see their tries, retry one, cancel one.

The web's publishing screen and the API's /deliveries call these; the rules (who may, which
states allow what) live here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from drafts.models import ChannelAccount, Draft, Municipality, User
from drafts.states import Actor
from schedules.dispatcher import retry_now
from schedules.models import Attempt, Delivery
from schedules.outbox import ScheduleError, cancel_delivery


class DeliveryRefused(Exception):
    """A person's action on a delivery is not possible; `code` says why, da/en say it."""

    def __init__(self, status: int, code: str, da: str, en: str) -> None:
        super().__init__(en)
        self.status, self.code, self.da, self.en = status, code, da, en

    def message(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da


@dataclass(frozen=True)
class DeliveryFilter:
    """Which deliveries to list; empty fields do not filter."""

    statuses: tuple[str, ...] = ()
    channel: str = ""
    account_id: int | None = None
    municipality: str = ""
    draft_id: int | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None


def _filtered(query: Select[tuple[Delivery]], f: DeliveryFilter) -> Select[tuple[Delivery]]:
    if f.statuses:
        query = query.where(Delivery.status.in_(f.statuses))
    if f.channel:
        query = query.where(Delivery.channel == f.channel)
    if f.account_id is not None:
        query = query.where(Delivery.account_id == f.account_id)
    if f.draft_id is not None:
        query = query.where(Delivery.draft_id == f.draft_id)
    if f.municipality:
        query = query.where(Delivery.draft.has(Draft.municipalities.any(
            Municipality.slug == f.municipality)))
    if f.due_from is not None:
        query = query.where(Delivery.due_at >= f.due_from)
    if f.due_to is not None:
        query = query.where(Delivery.due_at < f.due_to)
    return query


def find_deliveries(session: Session, f: DeliveryFilter, *, page: int, per_page: int
                    ) -> tuple[list[Delivery], int]:
    """One page of deliveries matching `f`, soonest due first, and how many match in all."""
    total = session.scalar(_filtered(select(func.count(Delivery.id)), f)) or 0  # type: ignore[arg-type]
    rows = session.scalars(
        _filtered(select(Delivery), f)
        .options(joinedload(Delivery.account), joinedload(Delivery.draft))
        .order_by(Delivery.due_at, Delivery.id).limit(per_page).offset((page - 1) * per_page))
    return list(rows.unique()), int(total)  # type: ignore[arg-type]


def attempts_of(session: Session, delivery: Delivery) -> list[Attempt]:
    """The delivery's tries (publish and reconciliation), oldest first."""
    return list(session.scalars(select(Attempt).where(Attempt.delivery_id == delivery.id)
                                .order_by(Attempt.started_at, Attempt.id)))


def account_by_name(session: Session, name: str) -> ChannelAccount | None:
    return session.scalar(select(ChannelAccount).where(ChannelAccount.name == name).limit(1))


def _may_act(user: User, delivery: Delivery) -> None:
    if not user.may_edit(delivery.draft):
        raise DeliveryRefused(403, "not_yours", "Du kan ikke ændre denne kladdes udsendelser.",
                              "You cannot change this draft's deliveries.")


def retry(session: Session, delivery: Delivery, *, user: User, now: datetime, actor: Actor,
          confirmed_absent: bool = False) -> None:
    """A person's "retry now" on a failed or held delivery (no commit)."""
    _may_act(user, delivery)
    try:
        retry_now(session, delivery, now, actor=actor, confirmed_absent=confirmed_absent)
    except ValueError:
        raise DeliveryRefused(
            409, "not_retryable",
            "Udsendelsen kan ikke sendes igen, som den er. Planlæg kladden igen.",
            "This delivery cannot be sent again as it is. Schedule the draft again.",
        ) from None


def cancel(session: Session, delivery: Delivery, *, user: User, now: datetime,
           actor: Actor) -> None:
    """Cancel one delivery that no worker has started (no commit)."""
    _may_act(user, delivery)
    try:
        cancel_delivery(session, delivery, now, actor=actor)
    except ScheduleError:
        raise DeliveryRefused(
            409, "not_cancellable",
            "Udsendelsen er i gang eller afsluttet og kan ikke aflyses.",
            "This delivery is under way or finished and cannot be cancelled.",
        ) from None
