"""API tokens: created for a user, shown once, stored only as a hash, revoked by an admin."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import ApiToken, User
from publisher.auth import admin_required, new_api_token
from publisher.db import get_session
from publisher.web.admin.common import FormReader, bp, record, show, utcnow


def _page(db: Session, values: dict[str, Any], errors: dict[str, str]) -> Any:
    tokens = list(db.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(),
                                                       ApiToken.id.desc())))
    users = list(db.scalars(select(User).where(User.active.is_(True)).order_by(User.username)))
    user_pairs = [(u.id, f"{u.username} ({u.name})") for u in users]
    return show("admin/tokens.html", tokens=tokens, user_pairs=user_pairs, values=values,
                errors=errors)


@bp.get("/tokens")
@admin_required
def tokens() -> Any:
    """List API tokens and offer to create one."""
    return _page(get_session(), {}, {})


@bp.post("/tokens")
@admin_required
def token_create() -> Any:
    """Create a token and show its secret this once (only its hash is kept)."""
    db = get_session()
    form = FormReader(request.form)
    name = form.text("name", 120, _("Name the token after what will use it, e.g. "
                                    "\"Website calendar\"."))
    user_id = form.ident("user")
    user = db.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        form.fail("user", _("Choose an active user the token acts as."))
    if form.errors or user is None:
        return _page(db, {"name": name, "user": request.form.get("user", "")}, form.errors)
    token, secret = new_api_token(db, user, name, utcnow())
    record(db, "token.created", token_id=token.id, prefix=token.prefix, user_id=user.id,
           username=user.username, name=token.name)
    db.commit()
    response = make_response(render_template("admin/token_created.html", token=token,
                                              secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tokens/<int:token_id>/revoke")
@admin_required
def token_revoke(token_id: int) -> Any:
    """Revoke a token; requests with it are refused from now on."""
    db = get_session()
    token = db.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(db, "token.revoked", token_id=token.id, prefix=token.prefix,
               user_id=token.user_id, name=token.name)
        db.commit()
    flash(_("The token %(prefix)s… was revoked.", prefix=token.prefix), "success")
    return redirect(url_for("admin.tokens"))
