"""Helpers for the admin tests: read the database between requests without holding locks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from drafts.models import AuditEvent


def count(db: Any, model: Any, *where: Any) -> int:
    """Count rows, then end the read transaction so the app can write (SQLite locks).

    The helpers commit rather than roll back: the session does not expire on commit, so objects
    the test holds do not reload (and lock the database again) when next touched.
    """
    n = db.scalar(select(func.count()).select_from(model).where(*where))
    db.commit()
    return int(n or 0)


def find(db: Any, model: Any, **by: Any) -> Any:
    """One row by its columns, freshly read, with the transaction ended."""
    row = db.scalar(select(model).filter_by(**by).execution_options(populate_existing=True))
    db.commit()
    return row


def actions(db: Any) -> list[str]:
    """The audit actions so far, leaving out logins."""
    query = select(AuditEvent.action).where(AuditEvent.action != "login").order_by(AuditEvent.id)
    found = list(db.scalars(query))
    db.commit()
    return found


def audit_details(db: Any, action: str) -> dict[str, Any]:
    details = db.scalar(select(AuditEvent.details).where(AuditEvent.action == action))
    db.commit()
    return dict(details or {})


def ids(db: Any, model: Any, *slugs: str) -> list[int]:
    found = {r.slug: r.id for r in db.scalars(select(model).where(model.slug.in_(slugs)))}
    db.commit()
    return [found[s] for s in slugs]


def page(response: Any) -> str:
    return str(response.get_data(as_text=True))
