"""Activity suggestions from the public, and the per-address counter that keeps a flood out.

A suggestion is what an association or a citizen sends through the public form: an activity
with a time, a place, a municipality and someone to contact. The secretariat turns it into a
draft or declines it. The sender's contact details are needed only until the decision has been
mailed to them, so `erase_contacts` blanks them a set time after the decision.

`FormHit` rows count submissions per form and per hashed address (never the address itself), so
the limit holds across web workers; `prune_hits` removes rows older than any window.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from drafts.mailbox import MailStatus, OutgoingMail
from drafts.models import Base, Draft, Media, Municipality, User, utcnow

TITLE_MAX = 200
TEXT_MAX = 5000
PLACE_MAX = 200
NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
REASON_MAX = 1000
ERASED = ""
MAIL_KINDS = ("suggestion_accepted", "suggestion_declined")


class SuggestionStatus(enum.StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Suggestion(Base):
    """One suggested activity, waiting for the secretariat's decision or decided."""

    __tablename__ = "suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=SuggestionStatus.NEW.value, index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    text: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    place: Mapped[str] = mapped_column(String(PLACE_MAX), default="")
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    contact_name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    contact_email: Mapped[str] = mapped_column(String(EMAIL_MAX), default="")
    contact_phone: Mapped[str] = mapped_column(String(PHONE_MAX), default="")
    organisation: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    locale: Mapped[str] = mapped_column(String(8), default="da")
    media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("draft.id", ondelete="SET NULL"), default=None)
    contact_erased_at: Mapped[datetime | None] = mapped_column(default=None)

    municipality: Mapped[Municipality] = relationship()
    media: Mapped[Media | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    draft: Mapped[Draft | None] = relationship()


class FormHit(Base):
    """One submission of a public form from one (hashed) address: the rate limit's memory."""

    __tablename__ = "form_hit"

    id: Mapped[int] = mapped_column(primary_key=True)
    form: Mapped[str] = mapped_column(String(32))
    address_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_form_hit_form_key_at", "form", "address_key", "at"),)


class NotPending(Exception):
    """The suggestion has been decided already (by someone else, or earlier)."""


@dataclass(frozen=True)
class SuggestionInput:
    """A checked suggestion (publisher's form and API check the raw input)."""

    title: str
    text: str
    starts_at: datetime | None
    ends_at: datetime | None
    place: str
    municipality_id: int
    contact_name: str
    contact_email: str
    contact_phone: str = ""
    organisation: str = ""
    locale: str = "da"


def allow_hit(session: Session, form: str, address_key: str, now: datetime, *, limit: int,
              window: timedelta) -> bool:
    """Count one submission; False (and nothing counted) once `limit` is reached in `window`."""
    recent = session.scalar(select(func.count()).select_from(FormHit).where(
        FormHit.form == form, FormHit.address_key == address_key, FormHit.at > now - window))
    if (recent or 0) >= limit:
        return False
    session.add(FormHit(form=form, address_key=address_key, at=now))
    session.flush()
    return True


def prune_hits(session: Session, now: datetime, older_than: timedelta) -> int:
    """Forget submissions older than any rate-limit window."""
    result = session.execute(delete(FormHit).where(FormHit.at < now - older_than))
    return int(getattr(result, "rowcount", 0) or 0)


def submit(session: Session, data: SuggestionInput, now: datetime,
           media: Media | None = None) -> Suggestion:
    """Store a new suggestion (and its image, if any) in the caller's transaction."""
    suggestion = Suggestion(
        status=SuggestionStatus.NEW.value, title=data.title, text=data.text,
        starts_at=data.starts_at, ends_at=data.ends_at, place=data.place,
        municipality_id=data.municipality_id, contact_name=data.contact_name,
        contact_email=data.contact_email, contact_phone=data.contact_phone,
        organisation=data.organisation, locale=data.locale, created_at=now)
    if media is not None:
        session.add(media)
        session.flush()
        suggestion.media_id = media.id
    session.add(suggestion)
    session.flush()
    return suggestion


def pending(session: Session) -> list[Suggestion]:
    """Suggestions waiting for a decision, oldest first."""
    return list(session.scalars(select(Suggestion).where(
        Suggestion.status == SuggestionStatus.NEW.value).order_by(Suggestion.created_at)))


def decided(session: Session, limit: int = 50) -> list[Suggestion]:
    """The most recently decided suggestions."""
    return list(session.scalars(select(Suggestion).where(
        Suggestion.status != SuggestionStatus.NEW.value
    ).order_by(Suggestion.decided_at.desc()).limit(limit)))


def _decide(session: Session, suggestion: Suggestion, status: SuggestionStatus, now: datetime,
            user_id: int | None) -> None:
    """Claim the decision with a conditional update, so two people never both decide."""
    claimed = session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id, Suggestion.status == SuggestionStatus.NEW.value)
        .values(status=status.value, decided_at=now, decided_by_id=user_id)
        .execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 0) != 1:
        raise NotPending(suggestion.id)
    session.refresh(suggestion)


def mark_accepted(session: Session, suggestion: Suggestion, draft: Draft, now: datetime,
                  user_id: int | None) -> None:
    """Record that `draft` was made from the suggestion."""
    _decide(session, suggestion, SuggestionStatus.ACCEPTED, now, user_id)
    suggestion.draft_id = draft.id


def mark_declined(session: Session, suggestion: Suggestion, reason: str, now: datetime,
                  user_id: int | None) -> None:
    """Record the decline and its reason (told to the sender)."""
    _decide(session, suggestion, SuggestionStatus.DECLINED, now, user_id)
    suggestion.decline_reason = reason[:REASON_MAX]


def erase_contacts(session: Session, now: datetime, keep: timedelta) -> int:
    """Blank the sender's details on suggestions decided more than `keep` ago, and on the
    answers mailed to them."""
    session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.kind.in_(MAIL_KINDS), OutgoingMail.to_addr != ERASED,
               OutgoingMail.status == MailStatus.SENT.value,
               OutgoingMail.created_at < now - keep)
        .values(to_addr=ERASED, to_name=ERASED)
        .execution_options(synchronize_session=False))
    result = session.execute(
        update(Suggestion)
        .where(Suggestion.status != SuggestionStatus.NEW.value,
               Suggestion.decided_at < now - keep, Suggestion.contact_erased_at.is_(None))
        .values(contact_name=ERASED, contact_email=ERASED, contact_phone=ERASED,
                contact_erased_at=now)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
