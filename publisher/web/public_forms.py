"""The public forms: newsletter sign-up and activity suggestions (no login).

Each view reads the form, calls one use case in publisher.flows.inbound and renders the answer:
problems beside their fields, the outcome in words, never a 500. A hidden honeypot field that a
person never fills catches simple bots: such a post gets the same thank-you page and nothing is
stored or sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from drafts.models import Municipality
from publisher.auth import public
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.inbound import signup, suggestions
from publisher.flows.inbound.throttle import RateLimited
from publisher.flows.inbound.words import SIGNUP_WORDS, field_message, rate_limited
from publisher.i18n import lang
from publisher.security import public_upload

bp = Blueprint("inbound", __name__)
# The forms' places in the public site's menu (publisher.web.public takes them at registration).
MENU = (("inbound.newsletter", _l("Newsletter")), ("inbound.suggest", _l("Suggest an activity")))
# The forms' field labels, for the error summary (each line names its field).
SIGNUP_LABELS = {"name": _l("Your name"), "email": _l("Email address"),
                 "municipality": _l("Your municipality")}
SUGGESTION_LABELS = {
    "title": _l("Title"), "text": _l("Description"), "starts_at": _l("Starts"),
    "ends_at": _l("Ends"), "place": _l("Place"), "municipality": _l("Municipality"),
    "organisation": _l("Association or organiser"), "image": _l("Image file"),
    "alt_text": _l("Image description"), "contact_name": _l("Your name"),
    "contact_email": _l("Email address"), "contact_phone": _l("Phone"),
}
HONEYPOT = "website"  # a field name bots like to fill; hidden from people and screen readers
SIGNUP_OUTCOMES = ("pending", "already_pending", "already_subscribed")


def _municipalities() -> list[tuple[str, str]]:
    rows = get_session().scalars(select(Municipality).where(
        Municipality.active.is_(True)).order_by(Municipality.name))
    return [(m.slug, m.name) for m in rows]


def _is_bot() -> bool:
    return bool(request.form.get(HONEYPOT, "").strip())


def _address() -> str:
    return request.remote_addr or "unknown"


@bp.route("/newsletter", methods=["GET", "POST"])
@public
def newsletter() -> Any:
    """Sign up for the newsletter (Mailchimp double opt-in)."""
    form: dict[str, str] = {k: request.form.get(k, "") for k in ("name", "email", "municipality")}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if _is_bot():
            return redirect(url_for("inbound.newsletter_done", outcome="pending"), 303)
        try:
            outcome = signup.sign_up(get_session(), current_settings(), form, _address(),
                                     datetime.now(UTC))
        except signup.SignupRefused as exc:
            if exc.code == "fields":
                errors = {f: field_message(code) for f, code in exc.problems.items()}
            else:
                errors = {"form": str(SIGNUP_WORDS[exc.code])}
            status = 422 if exc.code == "fields" else 503
        except RateLimited as exc:
            errors, status = {"form": rate_limited(exc.minutes)}, 429
        else:
            return redirect(url_for("inbound.newsletter_done", outcome=outcome.value), 303)
    return render_template("public_forms/newsletter.html", form=form, errors=errors,
                           labels=SIGNUP_LABELS,
                           municipalities=_municipalities(), honeypot=HONEYPOT), status


@bp.get("/newsletter/thanks")
@public
def newsletter_done() -> Any:
    outcome = request.args.get("outcome", "")
    if outcome not in SIGNUP_OUTCOMES:
        abort(404)
    return render_template("public_forms/newsletter_done.html", outcome=outcome)


def _upload() -> suggestions.Upload | None:
    file = request.files.get("image")
    if file is None or not file.filename:
        return None
    data = file.stream.read(current_settings().max_upload_bytes + 1)
    return suggestions.Upload(data=data, filename=file.filename,
                              alt_text=request.form.get("alt_text", ""))


SUGGESTION_FIELDS = ("title", "text", "starts_at", "ends_at", "place", "municipality",
                     "organisation", "contact_name", "contact_email", "contact_phone",
                     "alt_text")


@bp.route("/suggest", methods=["GET", "POST"])
@public
@public_upload
def suggest() -> Any:
    """Suggest an activity to the secretariat."""
    form = {k: request.form.get(k, "") for k in SUGGESTION_FIELDS}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if _is_bot():
            return redirect(url_for("inbound.suggest_done"), 303)
        try:
            suggestions.submit_suggestion(get_session(), current_settings(), form, _upload(),
                                          _address(), datetime.now(UTC), lang())
        except suggestions.SuggestionRefused as exc:
            errors = {f: field_message(code, params) for f, (code, params)
                      in exc.problems.items()}
            status = 422
        except RateLimited as exc:
            errors, status = {"form": rate_limited(exc.minutes)}, 429
        else:
            return redirect(url_for("inbound.suggest_done"), 303)
    return render_template("public_forms/suggest.html", form=form, errors=errors,
                           labels=SUGGESTION_LABELS,
                           municipalities=_municipalities(), honeypot=HONEYPOT,
                           max_mb=max(1, current_settings().max_upload_bytes // (1024 * 1024)),
                           config_days=current_settings().suggestion_contact_days), status


@bp.get("/suggest/thanks")
@public
def suggest_done() -> Any:
    return render_template("public_forms/suggest_done.html")
