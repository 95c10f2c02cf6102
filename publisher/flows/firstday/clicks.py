"""Share-link clicks for the draft page: each tracked short link and how often it was opened."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from drafts.tracking import LinkClick, TrackedLink


@dataclass(frozen=True)
class LinkCount:
    code: str
    url: str
    municipality: str  # "" for a link not tied to a municipality
    clicks: int


def share_clicks(session: Session, draft_id: int) -> list[LinkCount]:
    """The draft's tracked links with their total clicks, most clicked first."""
    totals: dict[int, int] = {
        link_id: int(total or 0) for link_id, total in session.execute(
            select(LinkClick.link_id, func.sum(LinkClick.clicks))
            .join(TrackedLink, TrackedLink.id == LinkClick.link_id)
            .where(TrackedLink.draft_id == draft_id)
            .group_by(LinkClick.link_id)
        )
    }
    links = session.scalars(
        select(TrackedLink)
        .options(joinedload(TrackedLink.municipality))
        .where(TrackedLink.draft_id == draft_id)
        .order_by(TrackedLink.id)
    )
    found = [
        LinkCount(
            link.code,
            link.url,
            link.municipality.name if link.municipality else "",
            int(totals.get(link.id) or 0),
        )
        for link in links
    ]
    return sorted(found, key=lambda c: -c.clicks)
