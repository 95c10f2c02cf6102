"""The secretariat's suggestion inbox: read, turn into a draft, or decline with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from drafts.models import Initiative
from drafts.suggestions import REASON_MAX, NotPending, Suggestion, decided, pending
from publisher.auth import actor, admin_required
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.inbound import suggestions

bp = Blueprint("suggestions", __name__)


def _suggestion(suggestion_id: int) -> Suggestion:
    found = get_session().get(Suggestion, suggestion_id)
    if found is None:
        abort(404)
    return found


@bp.get("/suggestions")
@admin_required
def inbox() -> Any:
    db = get_session()
    return render_template("suggestions/inbox.html", waiting=pending(db), done=decided(db))


@bp.get("/suggestions/<int:suggestion_id>")
@admin_required
def detail(suggestion_id: int) -> Any:
    db = get_session()
    item = _suggestion(suggestion_id)
    initiatives = list(db.scalars(select(Initiative).where(
        Initiative.active.is_(True)).order_by(Initiative.name)))
    chosen = suggestions.default_initiative(db, item)
    return render_template("suggestions/detail.html", item=item, initiatives=initiatives,
                           chosen=chosen.id if chosen else None, reason_max=REASON_MAX,
                           errors={})


@bp.post("/suggestions/<int:suggestion_id>/accept")
@admin_required
def accept(suggestion_id: int) -> Any:
    db = get_session()
    item = _suggestion(suggestion_id)
    raw = request.form.get("initiative", "")
    initiative = db.get(Initiative, int(raw)) if raw.isdigit() else None
    if initiative is None or not initiative.active:
        flash(_("Choose the initiative the draft belongs to."), "error")
        return redirect(url_for("suggestions.detail", suggestion_id=item.id), 303)
    try:
        draft = suggestions.accept(db, current_settings(), item, initiative, actor=actor(),
                                   user_id=actor()[1], now=datetime.now(UTC))
    except NotPending:
        db.rollback()
        flash(_("Someone has already decided on this suggestion."), "error")
        return redirect(url_for("suggestions.detail", suggestion_id=item.id), 303)
    flash(_("The suggestion is now a draft. Choose its channels and time, then send it for "
            "approval. The sender has been told."), "success")
    return redirect(url_for("drafts.edit", id=draft.id), 303)


@bp.post("/suggestions/<int:suggestion_id>/decline")
@admin_required
def decline(suggestion_id: int) -> Any:
    db = get_session()
    item = _suggestion(suggestion_id)
    reason = request.form.get("reason", "").strip()
    if len(reason) > REASON_MAX:
        flash(_("The reason can have at most %(max)s characters.", max=REASON_MAX), "error")
        return redirect(url_for("suggestions.detail", suggestion_id=item.id), 303)
    try:
        suggestions.decline(db, current_settings(), item, reason, user_id=actor()[1],
                            now=datetime.now(UTC))
    except NotPending:
        db.rollback()
        flash(_("Someone has already decided on this suggestion."), "error")
        return redirect(url_for("suggestions.detail", suggestion_id=item.id), 303)
    flash(_("The suggestion is declined and the sender has been told."), "success")
    return redirect(url_for("suggestions.inbox"), 303)
