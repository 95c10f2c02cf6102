"""Subscriptions: the secretariat's screens (create, list with health, pause, resume, rotate,
cancel, delivery log) and the subscriber's pages (private feed, confirm, unsubscribe).

The secretariat screens are for admins. The subscriber's pages need no account: a private feed
is reached by its token, and confirm/unsubscribe by signed links. Unsubscribing answers a
one-click POST (RFC 8058) without a CSRF token: the signed link is the proof.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from drafts.models import Initiative, Municipality, Role
from drafts.states import audit
from publisher.auth import actor, public
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.feeds import digests
from publisher.flows.feeds import subscriptions as flow
from publisher.flows.feeds.filters import FilterError, make_filter
from publisher.flows.feeds.formats import FORMATS
from publisher.flows.feeds.models import Subscription
from publisher.flows.feeds.ssrf import networks
from publisher.security import csrf
from publisher.web.public import serve_feed

PLAIN = "text/plain; charset=utf-8"
bp = Blueprint("subscriptions", __name__)
subscriber = Blueprint("subscriber", __name__)

MESSAGES = {
    ("name", "required"): _l("Give the subscription a name (at most 160 characters)."),
    ("contact_email", "invalid_email"): _l("Enter the contact's email address, e.g. "
                                           "name@kommune.dk."),
    ("contact_name", "too_long"): _l("The contact's name can be at most 160 characters."),
    ("delivery", "invalid_choice"): _l("Choose how the subscription is delivered."),
    ("locale", "invalid_choice"): _l("Choose Danish or English."),
    ("webhook_url", "too_long"): _l("The address can be at most 2,000 characters."),
    ("webhook_url", "unsafe_private"): _l("%(detail)s is a private address, inside a network: "
                                          "webhooks go only to public addresses."),
    ("webhook_url", "unsafe_loopback"): _l("%(detail)s is this machine itself (loopback): "
                                           "webhooks go only to public addresses."),
    ("webhook_url", "unsafe_link-local"): _l("%(detail)s is a link-local address: webhooks go "
                                             "only to public addresses."),
    ("webhook_url", "unsafe_not_public"): _l("%(detail)s is not a public address: webhooks go "
                                             "only to public addresses."),
    ("webhook_url", "unsafe_scheme"): _l("Enter an address that starts with https:// or "
                                         "http://."),
    ("webhook_url", "unsafe_credentials"): _l("The address must not contain a user name or "
                                              "password."),
    ("webhook_url", "unsafe_unresolvable"): _l("The host name %(detail)s cannot be found."),
    ("cadence", "invalid_choice"): _l("Choose weekly or monthly."),
    ("filter", "unknown"): _l("Unknown choice in the filter: %(detail)s."),
}
STATES = {"ok": _l("OK"), "failing": _l("Failing"), "paused": _l("Paused"),
          "pending": _l("Waiting for confirmation"), "cancelled": _l("Cancelled"),
          "active": _l("Active")}
DELIVERIES = {"feed": _l("Private feed"), "webhook": _l("Webhook"), "digest": _l("Email digest")}
CADENCES = {"weekly": _l("Weekly"), "monthly": _l("Monthly")}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(subscriber)
    csrf.exempt(one_click)


def now_utc() -> datetime:
    return datetime.now(UTC)


def allowed() -> Any:
    return networks(current_settings().webhook_allow_networks)


def message(error: flow.SubscriptionError) -> str:
    text = MESSAGES.get((error.field, error.code))
    return str(text) % {"detail": error.detail} if text else error.code


@bp.before_request
def _admins_only() -> None:
    user = g.get("user")
    if user is not None and user.role != Role.ADMIN.value:
        abort(403)


def _choices() -> dict[str, Any]:
    db = get_session()
    return {
        "municipalities": list(db.scalars(select(Municipality).order_by(Municipality.name))),
        "initiatives": list(db.scalars(select(Initiative).order_by(Initiative.name))),
        "deliveries": DELIVERIES, "cadences": CADENCES,
    }


def _get(id_: int) -> Subscription:
    found = get_session().get(Subscription, id_)
    if found is None:
        abort(404)
    return found


def read_form(form: Any) -> tuple[flow.SubscriptionInput | None, dict[str, str]]:
    """The input from the form, or the problems with it by field."""
    errors: dict[str, str] = {}
    munis = {m.slug: m.id for m in get_session().scalars(select(Municipality))}
    inits = {i.slug for i in get_session().scalars(select(Initiative))}
    try:
        wanted = make_filter(form.getlist, municipalities=set(munis), initiatives=inits,
                             upcoming=form.get("upcoming") == "1",
                             keywords=[form.get("keywords", "")])
    except FilterError as exc:
        errors["filter"] = message(flow.SubscriptionError("filter", "unknown", exc.value))
        return None, errors
    owner = form.get("owner", "")
    data = flow.SubscriptionInput(
        name=form.get("name", ""), contact_email=form.get("contact_email", "").strip(),
        contact_name=form.get("contact_name", ""), delivery=form.get("delivery", ""),
        filter=wanted, municipality_id=munis.get(owner), locale=form.get("locale", "da"),
        webhook_url=form.get("webhook_url", "").strip(), cadence=form.get("cadence", ""))
    for problem in flow.check(data, allowed()):
        errors.setdefault(problem.field, message(problem))
    return (None if errors else data), errors


@bp.get("/subscriptions")
def overview() -> Any:
    """Every subscription and its health on one page."""
    rows = flow.health(get_session(), now_utc())
    return render_template("subscriptions/list.html", rows=rows, states=STATES,
                           deliveries=DELIVERIES)


@bp.route("/subscriptions/new", methods=["GET", "POST"])
def new() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        data, errors = read_form(request.form)
        if data is not None:
            db = get_session()
            sub, shown = flow.subscribe(db, data, now=now_utc(), actor=actor(),
                                        settings=current_settings())
            db.commit()
            return render_template("subscriptions/created.html", sub=sub, shown=shown,
                                   feed_urls=_feed_urls(shown) if sub.delivery == "feed"
                                   else {}), 201
    status = 422 if errors else 200
    return render_template("subscriptions/form.html", errors=errors, form=request.form,
                           **_choices()), status


def _feed_urls(token: str | None) -> dict[str, str]:
    base = current_settings().base_url.rstrip("/")
    return {fmt: base + url_for("subscriber.private_feed", token=token, fmt=fmt)
            for fmt in FORMATS} if token else {}


@bp.get("/subscriptions/<int:id_>")
def detail(id_: int) -> Any:
    sub = _get(id_)
    return render_template("subscriptions/detail.html", sub=sub, states=STATES,
                           deliveries=DELIVERIES, cadences=CADENCES,
                           log=flow.delivery_log(get_session(), sub))


@bp.post("/subscriptions/<int:id_>/<action>")
def act(id_: int, action: str) -> Any:
    """Pause, resume, rotate the secret, or cancel."""
    sub, db, now = _get(id_), get_session(), now_utc()
    try:
        if action == "pause":
            flow.pause(db, sub, now, _("Paused by %(name)s", name=g.user.name))
        elif action == "resume":
            flow.unpause(db, sub, now)
        elif action == "cancel":
            flow.cancel(db, sub, now)
        elif action == "rotate":
            shown = flow.rotate(db, sub, now)
            audit(db, action="subscription.rotated", actor=actor(), now=now,
                  details={"subscription": sub.id})
            db.commit()
            return render_template("subscriptions/created.html", sub=sub, shown=shown,
                                   rotated=True, feed_urls=_feed_urls(shown)
                                   if sub.delivery == "feed" else {})
        else:
            abort(404)
    except flow.SubscriptionError:
        flash(_("That is not possible in the subscription's current state."), "error")
        return redirect(url_for(".detail", id_=id_), 303)
    audit(db, action=f"subscription.{action}", actor=actor(), now=now,
          details={"subscription": sub.id})
    db.commit()
    done = {"pause": _("The subscription is paused."),
            "resume": _("The subscription is active again."),
            "cancel": _("The subscription is cancelled.")}
    flash(done[action], "success")
    return redirect(url_for(".detail", id_=id_), 303)


# --- the subscriber's pages (no account) --------------------------------------------------


@subscriber.get("/feeds/private/<token>.<fmt>")
@public
def private_feed(token: str, fmt: str) -> Any:
    """A subscription's own feed, by its secret token (not cached by shared caches)."""
    if fmt not in FORMATS:
        abort(404)
    sub = flow.by_token(get_session(), token)
    if sub is None:
        abort(404)
    from publisher.flows.feeds.filters import from_dict

    return serve_feed(fmt, from_dict(sub.filters), current_settings().base_url.rstrip("/")
                      + request.path, cache_control="private, max-age=60")


def _by_signed(token: str, kind: str) -> Subscription:
    sub_id = digests.load_token(current_settings().secret_key, token, kind)
    sub = get_session().get(Subscription, sub_id) if sub_id is not None else None
    if sub is None:
        abort(404)
    return sub


@subscriber.route("/s/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token: str) -> Any:
    """GET shows what is confirmed and a button; POST confirms (mail scanners only GET)."""
    sub = _by_signed(token, "confirm")
    done = False
    if request.method == "POST":
        db = get_session()
        flow.confirm(db, sub, now_utc())
        db.commit()
        done = True
    return render_template("subscriptions/confirm.html", sub=sub, done=done,
                           cadences=CADENCES)


@subscriber.route("/s/unsubscribe/<token>", methods=["GET", "POST"])
@public
def one_click(token: str) -> Any:
    """GET asks; POST unsubscribes: from the page's button or a mail client's one-click."""
    sub = _by_signed(token, "unsubscribe")
    if request.method == "GET":
        return render_template("subscriptions/unsubscribe.html", sub=sub, done=False)
    db = get_session()
    digests.unsubscribe(db, sub, now_utc())
    db.commit()
    if request.form.get("List-Unsubscribe") == "One-Click":
        return _("You are unsubscribed.") + "\n", 200, {"Content-Type": PLAIN}
    return render_template("subscriptions/unsubscribe.html", sub=sub, done=True)
