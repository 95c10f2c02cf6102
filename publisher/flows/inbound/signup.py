"""Newsletter sign-up from the public pages: Mailchimp's double opt-in, nothing kept here.

The subscriber is added to the organisation's newsletter audience as *pending*: Mailchimp mails
them a confirmation link, and only a confirmed address receives newsletters. The municipality
goes into the audience's merge field (the same one reach attribution and segmented campaigns
read). The service stores no copy of the address; only a keyed hash of the sender's network
address is counted for a while, to stop floods.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import ChannelError, ErrorKind
from channels.newsletter import NewsletterAdapter
from drafts.models import ChannelAccount, Municipality
from publisher.config import Settings
from publisher.flows.accounts import build_adapter
from publisher.flows.inbound.throttle import count_submission

FORM = "newsletter"
NAME_MAX = 120
EMAIL_MAX = 254
EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\".]+(\.[^@\s,;<>\".]+)+")


class Outcome(enum.StrEnum):
    PENDING = "pending"  # a confirmation mail is on its way
    ALREADY_PENDING = "already_pending"
    ALREADY_SUBSCRIBED = "already_subscribed"


class SignupRefused(Exception):
    """The sign-up cannot be taken; `code` says why, in words the face translates.

    Codes: "fields" (see `problems`), "no_newsletter" (no active newsletter account),
    "address_refused" (Mailchimp will not take the address), "bounced" (the address bounced
    before), "unavailable" (Mailchimp did not answer; try again later), "not_configured".
    """

    def __init__(self, code: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.problems = problems or {}


@dataclass(frozen=True)
class SignupInput:
    name: str
    email: str
    municipality: Municipality


def check_signup(session: Session, raw: dict[str, Any]) -> SignupInput:
    """Read the form's fields; raise SignupRefused("fields") naming each bad one by code."""
    name = " ".join(str(raw.get("name") or "").split())
    email = str(raw.get("email") or "").strip()
    slug = str(raw.get("municipality") or "").strip()
    problems: dict[str, str] = {}
    if len(name) > NAME_MAX:
        problems["name"] = "too_long"
    if not email:
        problems["email"] = "required"
    elif len(email) > EMAIL_MAX or not EMAIL.fullmatch(email):
        problems["email"] = "invalid_email"
    municipality = session.scalars(select(Municipality).where(
        Municipality.slug == slug, Municipality.active.is_(True))).first() if slug else None
    if municipality is None:
        problems["municipality"] = "required" if not slug else "unknown"
    if problems:
        raise SignupRefused("fields", problems)
    assert municipality is not None
    return SignupInput(name=name, email=email, municipality=municipality)


def newsletter_account(session: Session) -> ChannelAccount | None:
    """The organisation's own newsletter audience (a central account), if one is active."""
    return session.scalars(select(ChannelAccount).where(
        ChannelAccount.platform == "newsletter", ChannelAccount.active.is_(True)
    ).order_by(ChannelAccount.municipality_id.is_not(None), ChannelAccount.id)).first()


def sign_up(session: Session, settings: Settings, raw: dict[str, Any], address: str,
            now: datetime) -> Outcome:
    """Check the form, count it against the flood limit, and ask Mailchimp to add the reader."""
    data = check_signup(session, raw)
    count_submission(session, settings, FORM, address, now)
    session.commit()  # the count stands even if Mailchimp fails: retries are submissions too
    account = newsletter_account(session)
    if account is None:
        raise SignupRefused("no_newsletter")
    try:
        adapter = build_adapter(settings, account)
        if not isinstance(adapter, NewsletterAdapter):
            raise SignupRefused("not_configured")
        answer = adapter.sign_up(data.email, data.municipality.slug, data.name)
    except ChannelError as exc:
        if exc.reason == "invalid_address":
            raise SignupRefused("address_refused") from exc
        if exc.kind is ErrorKind.PERMANENT:
            raise SignupRefused("not_configured") from exc
        raise SignupRefused("unavailable") from exc
    if answer == "cleaned":
        raise SignupRefused("bounced")
    return Outcome(answer)
