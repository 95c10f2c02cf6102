"""Activity suggestions: a citizen's form becomes a suggestion, the secretariat decides.

`submit_suggestion` checks and stores what the public form (or nobody else) sends; `accept`
turns a suggestion into a draft in one step (the secretariat edits and sends it for approval as
any other draft); `decline` records the reason. Either way the sender is told by email in the
language they wrote in. `erase_old_contacts` (a worker job) blanks the sender's contact details a
set time after the decision: they are kept only as long as the conversation may need them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.images import ImageRejected, check_and_store
from drafts.models import Draft, Initiative, Kind, Media, Municipality
from drafts.service import create_draft
from drafts.states import Actor
from drafts.suggestions import (
    NAME_MAX,
    PHONE_MAX,
    PLACE_MAX,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Suggestion,
    SuggestionInput,
    erase_contacts,
    mark_accepted,
    mark_declined,
    submit,
)
from drafts.validation import DraftInput, parse_moment
from publisher.config import Settings
from publisher.flows.inbound.signup import EMAIL, EMAIL_MAX
from publisher.flows.inbound.throttle import count_submission
from publisher.flows.manage.media import image_rules
from publisher.flows.notices import queue_template

log = logging.getLogger(__name__)
FORM = "suggestion"
ALT_MAX = 1000
PHONE = re.compile(r"[0-9+() .-]{6,40}")



class SuggestionRefused(Exception):
    """The form has problems: `problems` maps each field to a code (and its parameters)."""

    def __init__(self, problems: dict[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__(sorted(problems))
        self.problems = problems


@dataclass(frozen=True)
class Upload:
    """An uploaded image as the face received it."""

    data: bytes
    filename: str
    alt_text: str


def _text(raw: dict[str, Any], name: str) -> str:
    return str(raw.get(name) or "").replace("\r\n", "\n").strip()


def _line(raw: dict[str, Any], name: str) -> str:
    return " ".join(str(raw.get(name) or "").split())


def check_suggestion(session: Session, raw: dict[str, Any], zone: ZoneInfo, now: datetime,
                     locale: str) -> SuggestionInput:
    """Read the public form; raise SuggestionRefused naming every bad field."""
    problems: dict[str, tuple[str, dict[str, Any]]] = {}
    values = {name: _line(raw, name) for name in
              ("title", "place", "contact_name", "contact_email", "contact_phone",
               "organisation", "municipality")}
    text = _text(raw, "text")
    limits = {"title": TITLE_MAX, "place": PLACE_MAX, "contact_name": NAME_MAX,
              "contact_email": EMAIL_MAX, "contact_phone": PHONE_MAX, "organisation": NAME_MAX}
    for name in ("title", "text", "place", "contact_name", "contact_email"):
        if not (text if name == "text" else values[name]):
            problems[name] = ("required", {})
    for name, limit in limits.items():
        if len(values[name]) > limit:
            problems[name] = ("too_long", {"max": limit})
    if len(text) > TEXT_MAX:
        problems["text"] = ("too_long", {"max": TEXT_MAX})
    email = values["contact_email"]
    if email and "contact_email" not in problems and not EMAIL.fullmatch(email):
        problems["contact_email"] = ("invalid_email", {})
    phone = values["contact_phone"]
    if phone and "contact_phone" not in problems and not PHONE.fullmatch(phone):
        problems["contact_phone"] = ("invalid_phone", {})
    municipality = session.scalars(select(Municipality).where(
        Municipality.slug == values["municipality"], Municipality.active.is_(True))).first()
    if municipality is None:
        problems["municipality"] = ("required", {})
    starts_at, ends_at = None, None
    for name in ("starts_at", "ends_at"):
        moment, error = parse_moment(_line(raw, name), zone, None, name)
        if error is not None:
            problems[name] = (error.code, {})
        elif name == "starts_at":
            starts_at = moment
        else:
            ends_at = moment
    if starts_at is None and "starts_at" not in problems:
        problems["starts_at"] = ("required", {})
    elif starts_at is not None and starts_at < now:
        problems["starts_at"] = ("in_past", {})
    if starts_at and ends_at and ends_at <= starts_at:
        problems["ends_at"] = ("before_start", {})
    if problems:
        raise SuggestionRefused(problems)
    assert municipality is not None
    return SuggestionInput(
        title=values["title"], text=text, starts_at=starts_at, ends_at=ends_at,
        place=values["place"], municipality_id=municipality.id,
        contact_name=values["contact_name"], contact_email=email, contact_phone=phone,
        organisation=values["organisation"], locale=locale)


def _store_image(settings: Settings, upload: Upload) -> Media:
    if len(upload.alt_text) > ALT_MAX:
        raise SuggestionRefused({"alt_text": ("too_long", {"max": ALT_MAX})})
    if not upload.alt_text.strip():
        raise SuggestionRefused({"alt_text": ("alt_required", {})})
    try:
        stored = check_and_store(upload.data, image_rules(settings), Path(settings.upload_dir))
    except ImageRejected as exc:
        raise SuggestionRefused({"image": (f"image_{exc.code}", dict(exc.params))}) from exc
    name = Path(upload.filename.replace("\\", "/")).name.strip()[:255] or "image"
    return Media(filename=name, stored_name=stored.stored_name, mime_type=stored.mime_type,
                 width=stored.width, height=stored.height, size_bytes=stored.size_bytes,
                 sha256=stored.sha256, alt_text=upload.alt_text.strip())


def submit_suggestion(session: Session, settings: Settings, raw: dict[str, Any],
                      upload: Upload | None, address: str, now: datetime,
                      locale: str) -> Suggestion:
    """Check the form and the image, count it against the flood limit, store and commit it.

    The image is checked last and written to disk only when everything else is right, so a
    refused form leaves nothing behind.
    """
    data = check_suggestion(session, raw, settings.zone, now, locale)
    if upload is not None and len(upload.data) > settings.max_upload_bytes:
        limit = max(1, settings.max_upload_bytes // (1024 * 1024))
        raise SuggestionRefused({"image": ("image_too_large", {"limit": limit})})
    count_submission(session, settings, FORM, address, now)
    media = _store_image(settings, upload) if upload is not None else None
    suggestion = submit(session, data, now, media)
    session.commit()
    log.info("suggestion %s received", suggestion.id)
    return suggestion


def default_initiative(session: Session, suggestion: Suggestion) -> Initiative | None:
    """The initiative a suggestion most likely belongs to: one at home in its municipality."""
    initiatives = list(session.scalars(select(Initiative).where(
        Initiative.active.is_(True)).order_by(Initiative.id)))
    for initiative in initiatives:
        if initiative.home_municipality_id == suggestion.municipality_id:
            return initiative
    return initiatives[0] if initiatives else None


def _body(suggestion: Suggestion) -> str:
    parts = [suggestion.text]
    if suggestion.organisation:
        parts.append(suggestion.organisation)
    return "\n\n".join(p for p in parts if p)


def accept(session: Session, settings: Settings, suggestion: Suggestion,
           initiative: Initiative, *, actor: Actor, user_id: int | None,
           now: datetime) -> Draft:
    """Make a draft of the suggestion, mark it accepted and tell the sender; commit."""
    data = DraftInput(
        kind=Kind.EVENT.value if suggestion.starts_at else Kind.POST.value,
        title=suggestion.title, body=_body(suggestion), link="",
        initiative=initiative.slug, municipalities=[suggestion.municipality.slug], channels=[],
        desired_at=None, event_start=suggestion.starts_at, event_end=suggestion.ends_at,
        venue=suggestion.place)
    media = [suggestion.media] if suggestion.media is not None else []
    draft = create_draft(session, data, actor=actor, author_id=user_id, now=now, media=media)
    mark_accepted(session, suggestion, draft, now, user_id)
    _tell_sender(session, suggestion, now)
    session.commit()
    return draft


def decline(session: Session, settings: Settings, suggestion: Suggestion, reason: str, *,
            user_id: int | None, now: datetime) -> None:
    """Decline the suggestion with a reason the sender will read; commit."""
    mark_declined(session, suggestion, reason.strip()[:REASON_MAX], now, user_id)
    _tell_sender(session, suggestion, now)
    session.commit()


def _tell_sender(session: Session, suggestion: Suggestion, now: datetime) -> None:
    if not suggestion.contact_email:
        return
    accepted = suggestion.status == "accepted"

    def subject() -> str:
        if accepted:
            return _("Your suggestion “%(title)s” has been taken up", title=suggestion.title)
        return _("About your suggestion “%(title)s”", title=suggestion.title)

    queue_template(
        session, "suggestion_decision",
        (suggestion.contact_email, suggestion.contact_name, suggestion.locale), now, subject,
        None, kind="suggestion_accepted" if accepted else "suggestion_declined",
        suggestion=suggestion, accepted=accepted)


def erase_old_contacts(session: Session, settings: Settings, now: datetime) -> int:
    """Blank contact details of suggestions decided longer ago than the setting (a job)."""
    erased = erase_contacts(session, now, timedelta(days=settings.suggestion_contact_days))
    session.commit()
    return erased
