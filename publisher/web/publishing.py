"""Publishing health: what is due, late, held and failing, per account; "retry now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from drafts.models import ChannelAccount
from publisher.auth import actor
from publisher.db import get_session
from publisher.flows.delivery_views import delivery_problem
from publisher.flows.manage import deliveries
from publisher.i18n import lang
from publisher.security import safe_next
from schedules.models import Delivery, DeliveryStatus, HeldReason

bp = Blueprint("publishing", __name__)

LIST_LIMIT = 100


def _deliveries(db: Session, *conditions: Any, order: Any = Delivery.due_at) -> list[Delivery]:
    query = (select(Delivery).options(joinedload(Delivery.draft), joinedload(Delivery.account))
             .where(*conditions).order_by(order).limit(LIST_LIMIT))
    return list(db.scalars(query).unique())


def _account_rows(db: Session, since: datetime) -> list[dict[str, Any]]:
    counts: dict[tuple[int, str], int] = {
        (a, s): n for a, s, n in db.execute(
            select(Delivery.account_id, Delivery.status, func.count())
            .where(or_(Delivery.status != DeliveryStatus.PUBLISHED.value,
                       Delivery.published_at >= since))
            .group_by(Delivery.account_id, Delivery.status))
    }
    rows = []
    for account in db.scalars(select(ChannelAccount).order_by(ChannelAccount.platform,
                                                              ChannelAccount.name)):
        rows.append({"account": account,
                     **{s.value: counts.get((account.id, s.value), 0) for s in DeliveryStatus}})
    return rows


@bp.get("/publishing")
def health() -> Any:
    """The publishing health screen."""
    db = get_session()
    now = datetime.now(UTC)
    totals: dict[str, int] = {status: count for status, count in db.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status))}
    due_soon = _deliveries(db, Delivery.status == DeliveryStatus.SCHEDULED.value,
                           Delivery.due_at > now, Delivery.due_at <= now + timedelta(hours=24))
    late = _deliveries(db, or_(
        (Delivery.status == DeliveryStatus.SCHEDULED.value) & (Delivery.due_at <= now)
        & or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        (Delivery.status == DeliveryStatus.RUNNING.value) & (Delivery.lease_until < now)))
    retrying = _deliveries(db, Delivery.status.in_([DeliveryStatus.SCHEDULED.value,
                                                    DeliveryStatus.UNCONFIRMED.value]),
                           Delivery.attempts > 0)
    held = _deliveries(db, Delivery.status == DeliveryStatus.HELD.value,
                       order=Delivery.updated_at.desc())
    failed = _deliveries(db, Delivery.status == DeliveryStatus.FAILED.value,
                         order=Delivery.updated_at.desc())
    chart = [(s.value, totals.get(s.value, 0)) for s in DeliveryStatus]
    return render_template(
        "publishing/health.html", now=now, totals=totals, chart=chart,
        chart_max=max([n for _, n in chart] + [1]), due_soon=due_soon, late=late,
        retrying=retrying, held=held, failed=failed,
        accounts=_account_rows(db, now - timedelta(days=7)), problem=delivery_problem,
        HeldReason=HeldReason,
    )


@bp.post("/deliveries/<int:id>/retry")
def retry(id: int) -> Any:
    """Send a failed or held delivery again (held-unknown ones are looked for first)."""
    db = get_session()
    delivery = db.get(Delivery, id)
    if delivery is None:
        abort(404)
    try:
        deliveries.retry(db, delivery, user=g.user, now=datetime.now(UTC), actor=actor(),
                         confirmed_absent=request.form.get("confirmed_absent") == "yes")
    except deliveries.DeliveryRefused as exc:
        db.rollback()
        if exc.status == 403:
            abort(403)
        flash(exc.message(lang()), "error")
        return redirect(safe_next(request.form.get("back"), url_for("publishing.health")), 303)
    db.commit()
    flash(_("The delivery will be tried again now."), "success")
    return redirect(safe_next(request.form.get("back"), url_for("publishing.health")), 303)
