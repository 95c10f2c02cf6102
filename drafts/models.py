"""The domain's tables: organisation, people, drafts and their history.

Plain SQLAlchemy 2 (no Flask), usable from the web app, the worker and the CLI alike. All times
are timezone-aware UTC; `UTCDateTime` makes SQLite give them back that way too.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Role(enum.StrEnum):
    ADMIN = "admin"  # the secretariat: everything
    EDITOR = "editor"  # a project manager: drafts of their own initiatives
    VIEWER = "viewer"  # reads the queue and reach


class Kind(enum.StrEnum):
    POST = "post"
    ARTICLE = "article"
    EVENT = "event"


CHANNEL_NAMES = ("facebook", "instagram", "website", "newsletter", "x")


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Municipality {self.slug}>"


class Initiative(Base):
    __tablename__ = "initiative"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    subtitle: Mapped[str] = mapped_column(String(160), default="")
    home_municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    home_municipality: Mapped[Municipality | None] = relationship()

    def label(self, locale: str = "da") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


user_initiative = Table(
    "user_initiative",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("initiative_id", ForeignKey("initiative.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.VIEWER.value)
    locale: Mapped[str] = mapped_column(String(8), default="da")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Bumped to end every session of the user at once (logout, "log out everywhere").
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    initiatives: Mapped[list[Initiative]] = relationship(secondary=user_initiative)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    def may_edit(self, draft: Draft) -> bool:
        """Admins edit every draft; editors those of their initiatives; viewers none."""
        if not self.active:
            return False
        if self.role == Role.ADMIN.value:
            return True
        if self.role != Role.EDITOR.value:
            return False
        return draft.initiative_id in {i.id for i in self.initiatives}

    def may_create(self) -> bool:
        return self.active and self.role in (Role.ADMIN.value, Role.EDITOR.value)


class LoginAttempt(Base):
    """Failed logins per username and per client address, for rate limiting across all web
    workers. The address is kept only as a keyed hash, and rows are purged after the window."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username_key: Mapped[str] = mapped_column(String(64), index=True)
    address_key: Mapped[str] = mapped_column(String(32), default="", server_default="",
                                             index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ApiToken(Base):
    """A bearer token for the JSON API; only a hash of it is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()


class ApproverRole(enum.StrEnum):
    CHAIR = "chair"  # culture committee chair (KMP)
    CULTURE_CHIEF = "culture_chief"  # KMK
    DEPUTY = "deputy"  # political deputy (suppleant)


class Approver(Base):
    """A politician or culture chief who approves by emailed link (no account)."""

    __tablename__ = "approver"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    role: Mapped[str] = mapped_column(String(16), default=ApproverRole.CHAIR.value)
    deputy_of_id: Mapped[int | None] = mapped_column(ForeignKey("approver.id"))
    away: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(8), default="da")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    municipality: Mapped[Municipality | None] = relationship()
    deputy_of: Mapped[Approver | None] = relationship(remote_side="Approver.id")


class ChannelAccount(Base):
    """One account on one platform: central, or a municipality's own."""

    __tablename__ = "channel_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(160))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    external_id: Mapped[str] = mapped_column(String(120))
    credentials_env: Mapped[str] = mapped_column(String(64), default="")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    token_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    health: Mapped[str] = mapped_column(String(16), default="unknown")
    health_detail: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    municipality: Mapped[Municipality | None] = relationship()

    __table_args__ = (UniqueConstraint("platform", "external_id"),)


draft_municipality = Table(
    "draft_municipality",
    Base.metadata,
    Column("draft_id", ForeignKey("draft.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipality.id"), primary_key=True),
)


class Draft(Base):
    """A post, article or event on its way to the channels."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=Kind.POST.value)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(2000), default="")
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    desired_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # event fields
    event_start: Mapped[datetime | None] = mapped_column(default=None)
    event_end: Mapped[datetime | None] = mapped_column(default=None)
    venue: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    price: Mapped[str] = mapped_column(String(100), default="")
    ticket_url: Mapped[str] = mapped_column(String(2000), default="")
    audience: Mapped[str] = mapped_column(String(200), default="")
    # bookkeeping
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    initiative: Mapped[Initiative] = relationship()
    author: Mapped[User | None] = relationship()
    municipalities: Mapped[list[Municipality]] = relationship(
        secondary=draft_municipality, order_by="Municipality.name"
    )
    media: Mapped[list[Media]] = relationship(
        back_populates="draft", order_by="Media.position", cascade="all, delete-orphan"
    )
    variants: Mapped[list[Variant]] = relationship(
        back_populates="draft", cascade="all, delete-orphan", order_by="Variant.channel"
    )

    def variant_text(self, channel: str) -> str | None:
        for v in self.variants:
            if v.channel == channel:
                return v.text
        return None


class Media(Base):
    """An uploaded image, checked and with its location data removed, stored by content hash."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("draft.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80))
    mime_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    alt_text: Mapped[str] = mapped_column(String(1000), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    draft: Mapped[Draft | None] = relationship(back_populates="media")


class Variant(Base):
    """A per-channel text that replaces the body on that channel (an X text, an IG caption)."""

    __tablename__ = "variant"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)

    draft: Mapped[Draft] = relationship(back_populates="variants")

    __table_args__ = (UniqueConstraint("draft_id", "channel"),)


class AuditEvent(Base):
    """Who did what to which draft version, and when. Append-only; no IP addresses."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(16))  # user | approver | system | api
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    actor_label: Mapped[str] = mapped_column(String(160), default="")
    action: Mapped[str] = mapped_column(String(48))
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("draft.id", ondelete="CASCADE"), default=None
    )
    version: Mapped[int | None] = mapped_column(Integer, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_audit_event_draft_at", "draft_id", "at"),)
