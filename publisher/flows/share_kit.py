"""The share kit: after publication, each approver and the municipalities' culture chiefs get the
published links, a tracked short link for their municipality and a text to share it with on their
own profile (seed: "deling af opslag på politikernes egne profiler")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approval_decisions import lock_draft
from drafts.approvals import ApprovalRequest
from drafts.models import Approver, ApproverRole, AuditEvent, Draft, Municipality
from drafts.states import audit
from drafts.tracking import link_for
from publisher.config import current_organisation, current_settings
from publisher.flows import notices
from schedules.models import Delivery, DeliveryStatus

SYSTEM = ("system", None, "share kit")
# Where a short link should lead, best first: the article on the website, then the platforms.
TARGET_ORDER = ("website", "facebook", "newsletter", "instagram", "x")


def already_sent(session: Session, draft: Draft) -> bool:
    found = session.scalar(select(AuditEvent.id).where(
        AuditEvent.draft_id == draft.id, AuditEvent.action == "share_kit_sent").limit(1))
    return found is not None


def published_links(session: Session, draft: Draft) -> list[tuple[str, str]]:
    """(channel, URL) of the draft's published deliveries, in the preferred order."""
    rows = session.scalars(select(Delivery).where(
        Delivery.draft_id == draft.id, Delivery.status == DeliveryStatus.PUBLISHED.value,
        Delivery.external_url != ""))
    found = [(d.channel, d.external_url) for d in rows]
    return sorted(found, key=lambda pair: TARGET_ORDER.index(pair[0])
                  if pair[0] in TARGET_ORDER else len(TARGET_ORDER))


def recipients(session: Session, draft: Draft) -> list[Approver]:
    """The approvers asked about the published version, and the tagged municipalities' culture
    chiefs; one mail per address."""
    asked = [r.approver for r in session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.draft_id == draft.id, ApprovalRequest.voided_at.is_(None),
        ApprovalRequest.content_hash == draft.content_hash).order_by(ApprovalRequest.id))]
    chiefs = session.scalars(select(Approver).where(
        Approver.role == ApproverRole.CULTURE_CHIEF.value, Approver.active.is_(True),
        Approver.municipality_id.in_([m.id for m in draft.municipalities])).order_by(Approver.id))
    seen: set[str] = set()
    found = []
    for person in [*asked, *chiefs]:
        if person.email and person.email.lower() not in seen:
            seen.add(person.email.lower())
            found.append(person)
    return found


def _their_municipality(draft: Draft, person: Approver) -> Municipality | None:
    tagged = list(draft.municipalities)
    for muni in tagged:
        if muni.id == person.municipality_id:
            return muni
    return tagged[0] if tagged else None


def suggested_text(draft: Draft, municipality: Municipality | None, link: str) -> str:
    """A text the recipient can post on their own profile (in the current locale)."""
    if municipality is None:
        return _("%(title)s – read more: %(link)s", title=draft.title, link=link)
    return _("%(title)s – for the citizens of %(municipality)s, through %(org)s. Read more: "
             "%(link)s", title=draft.title, municipality=municipality.name,
             org=current_organisation().name, link=link)


def share_kit(session: Session, draft: Draft, now: datetime) -> int:
    """Queue the share kit mails for a published draft, once; return how many were queued."""
    draft = lock_draft(session, draft.id)  # one sender per draft, even with several workers
    if already_sent(session, draft):
        return 0
    links = published_links(session, draft)
    target = next((url for channel, url in links if channel == "website"), "") or draft.link or (
        links[0][1] if links else "")
    base = current_settings().base_url.rstrip("/")
    people = recipients(session, draft)
    for person in people:
        muni = _their_municipality(draft, person)
        short = f"{base}/l/{link_for(session, draft, muni, target, now).code}" if target else ""
        with force_locale(person.locale):
            text = suggested_text(draft, muni, short or target)
        context: dict[str, Any] = dict(person=person, municipality=muni, links=links,
                                       short_link=short, suggested=text)
        notices.queue_template(
            session, "share_kit", (person.email, person.name, person.locale), now,
            lambda: _("Published: “%(title)s” – share it", title=draft.title), draft,
            **context)
    audit(session, action="share_kit_sent", actor=SYSTEM, now=now, draft=draft,
          details={"recipients": len(people)})
    return len(people)
