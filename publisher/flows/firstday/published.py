"""What approval still means once something is live: a published post cannot be un-approved,
and a draft live on some of its channels says so ("udgivet på 3 af 4 kanaler")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schedules.models import Delivery, DeliveryStatus

# A delivery the platform has, or may have (a worker is talking to it, or cannot tell).
LIVE = (
    DeliveryStatus.PUBLISHED.value,
    DeliveryStatus.RUNNING.value,
    DeliveryStatus.UNCONFIRMED.value,
)
# Actions that would say "this will not be published" about a draft.
UNDOING = frozenset({"withdraw", "reject", "unschedule"})


@dataclass(frozen=True)
class Progress:
    published: int
    total: int

    @property
    def partial(self) -> bool:
        return 0 < self.published < self.total


def live_count(session: Session, draft_id: int) -> int:
    """How many of the draft's deliveries are (or may be) on a platform."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.draft_id == draft_id, Delivery.status.in_(LIVE))
        )
        or 0
    )


def progress(deliveries: Sequence[Delivery]) -> Progress | None:
    """Published / all (not cancelled) deliveries; None when nothing is scheduled."""
    counted = [d for d in deliveries if d.status != DeliveryStatus.CANCELLED.value]
    if not counted:
        return None
    return Progress(
        sum(1 for d in counted if d.status == DeliveryStatus.PUBLISHED.value), len(counted)
    )


class AlreadyLive(Exception):
    """The draft is (partly) published: its approval can no longer be taken back."""

    code = "live"

    def __init__(self, live: int) -> None:
        super().__init__(f"{live} deliveries live")
        self.live = live

    def message(self, lang: str = "da") -> str:
        if lang == "en":
            return (
                f"It is already published on {self.live} channel(s), so it can no longer be "
                "withdrawn or rejected here. Remove the post on the platform itself, and "
                "cancel the channels that have not published yet."
            )
        return (
            f"Den er allerede udgivet på {self.live} kanal(er), så den kan ikke længere "
            "trækkes tilbage eller afvises her. Fjern opslaget på selve platformen, og "
            "annullér de kanaler, der ikke er udgivet endnu."
        )


def refuse_if_live(session: Session, draft_id: int) -> None:
    """Raise AlreadyLive when any delivery of the draft is (or may be) on a platform."""
    live = live_count(session, draft_id)
    if live:
        raise AlreadyLive(live)
