"""Subscriptions in API v1: create, list, read, pause, resume, rotate the secret, cancel, and
read a webhook's delivery log. Administrators only (the secretariat manages subscriptions)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask_babel import gettext as _
from marshmallow import fields
from sqlalchemy import select

from drafts.models import Initiative, Municipality, Role
from drafts.validation import FieldError
from publisher.api import problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.schemas import CodedSchema, Text
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.feeds import subscriptions as flow
from publisher.flows.feeds.filters import FilterError, make_filter
from publisher.flows.feeds.formats import FORMATS
from publisher.flows.feeds.models import Delivery, Subscription
from publisher.flows.feeds.subscriptions import CADENCES

# (field, code) → (Danish, English); "{p}" is the detail (why an address is refused).
MESSAGES = {
    "required": ("Feltet skal udfyldes (højst 160 tegn).",
                 "This field is required (at most 160 characters)."),
    "invalid_email": ("Ugyldig e-mailadresse.", "Not a valid email address."),
    "too_long": ("For lang.", "Too long."),
    "invalid_choice": ("Ugyldig værdi.", "Invalid value."),
    "unsafe_private": ("{p} er en privat adresse: webhooks sendes kun til offentlige adresser.",
                       "{p} is a private address: webhooks go only to public addresses."),
    "unsafe_loopback": ("{p} er maskinen selv (loopback): webhooks sendes kun til offentlige "
                        "adresser.", "{p} is this machine itself (loopback): webhooks go only "
                        "to public addresses."),
    "unsafe_link-local": ("{p} er en link-local-adresse: webhooks sendes kun til offentlige "
                          "adresser.", "{p} is a link-local address: webhooks go only to "
                          "public addresses."),
    "unsafe_not_public": ("{p} er ikke en offentlig adresse.", "{p} is not a public address."),
    "unsafe_scheme": ("Adressen skal begynde med https:// eller http://.",
                      "The address must start with https:// or http://."),
    "unsafe_credentials": ("Adressen må ikke indeholde brugernavn eller adgangskode.",
                           "The address must not contain a user name or password."),
    "unsafe_unresolvable": ("Værtsnavnet {p} findes ikke.", "The host name {p} cannot be found."),
    "unknown": ("Ukendt værdi: {p}.", "Unknown value: {p}."),
}


class SubscriptionFilterSchema(CodedSchema):
    municipalities = fields.List(Text(), load_default=list,
                                 metadata={"description": "Municipality slugs; empty = all."})
    initiatives = fields.List(Text(), load_default=list,
                              metadata={"description": "Initiative slugs; empty = all."})
    kinds = fields.List(Text(metadata={"enum": ["article", "event"]}), load_default=list)
    upcoming = fields.Boolean(load_default=False,
                              metadata={"description": "Only events that have not ended."})
    keywords = fields.List(Text(), load_default=list,
                           metadata={"description": "Any of these in the title or summary."})


class SubscriptionCreateSchema(CodedSchema):
    name = Text(required=True)
    contact_email = Text(required=True)
    contact_name = Text(load_default="")
    municipality = Text(load_default=None, allow_none=True,
                        metadata={"description": "Slug of the municipality it belongs to."})
    locale = Text(load_default="da", metadata={"enum": ["da", "en"]})
    delivery = Text(required=True, metadata={"enum": [d.value for d in Delivery]})
    webhook_url = Text(load_default="", metadata={
        "description": "For a webhook: a public http(s) URL (private, loopback and link-local "
                       "targets are refused, also via redirects and DNS)."})
    cadence = Text(load_default="", metadata={"enum": list(CADENCES),
                                              "description": "For a digest."})
    filter = fields.Nested(SubscriptionFilterSchema, load_default=dict)


class SubscriptionSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    contact_name = fields.String()
    contact_email = fields.String()
    municipality = fields.String(allow_none=True)
    locale = fields.String()
    delivery = fields.String()
    status = fields.String(metadata={"enum": ["pending", "active", "paused", "cancelled"]})
    paused_reason = fields.String()
    filter = fields.Dict()
    webhook_url = fields.String()
    cadence = fields.String()
    failures = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    secret = fields.String(metadata={"description": "Only when created or rotated: the webhook's "
                                                    "whsec_ signing secret. Never shown again."})
    feed_urls = fields.Dict(metadata={"description": "Only when created or rotated: the private "
                                                     "feed's addresses per format."})


class DeliveryLogSchema(ma.Schema):
    at = fields.DateTime()
    message_id = fields.String()
    event = fields.String()
    status_code = fields.Integer(allow_none=True)
    error = fields.String()
    duration_ms = fields.Integer()
    message_status = fields.String()
    next_attempt_at = fields.DateTime(allow_none=True)


def _present(sub: Subscription, shown: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": sub.id, "name": sub.name, "contact_name": sub.contact_name,
        "contact_email": sub.contact_email,
        "municipality": sub.municipality.slug if sub.municipality else None,
        "locale": sub.locale, "delivery": sub.delivery, "status": sub.status,
        "paused_reason": sub.paused_reason, "filter": sub.filters,
        "webhook_url": sub.webhook_url, "cadence": sub.cadence, "failures": sub.failures,
        "created_at": sub.created_at, "updated_at": sub.updated_at,
    }
    if shown and sub.delivery == Delivery.WEBHOOK.value:
        data["secret"] = shown
    if shown and sub.delivery == Delivery.FEED.value:
        base = current_settings().base_url.rstrip("/")
        data["feed_urls"] = {f: base + url_for("subscriber.private_feed", token=shown, fmt=f)
                             for f in FORMATS}
    return data


def _error(field: str, code: str, detail: str = "") -> FieldError:
    da, en = MESSAGES.get(code, MESSAGES["invalid_choice"])
    return FieldError(field, code, da.replace("{p}", detail), en.replace("{p}", detail))


def _admin() -> Any:
    if current_user().role != Role.ADMIN.value:
        return problems.forbidden(_("Only administrators manage subscriptions."))
    return None


def _load(sub_id: int) -> Subscription | None:
    return get_session().get(Subscription, sub_id)


def _missing() -> Any:
    from publisher.errors import problem

    return problem(404, _("No such subscription"), _("There is no subscription with this id."))


@bp.route("/subscriptions", methods=["GET"], tags=["subscriptions"])
@bp.response(200, SubscriptionSchema(many=True))
@documented(401, 403)
@bp.doc(operationId="listSubscriptions")
def list_subscriptions() -> Any:
    """List every subscription (administrators)."""
    refused = _admin()
    if refused is not None:
        return refused
    return [_present(s) for s in flow.listing(get_session())]


def _input(data: dict[str, Any]) -> tuple[flow.SubscriptionInput | None, list[FieldError]]:
    db = get_session()
    munis = {m.slug: m.id for m in db.scalars(select(Municipality))}
    inits = {i.slug for i in db.scalars(select(Initiative))}
    wanted = data["filter"]
    lists = {"municipality": wanted.get("municipalities", []),
             "initiative": wanted.get("initiatives", []), "kind": wanted.get("kinds", [])}
    try:
        chosen = make_filter(lambda name: lists[name], municipalities=set(munis),
                             initiatives=inits, upcoming=wanted.get("upcoming", False),
                             keywords=wanted.get("keywords", []))
    except FilterError as exc:
        plural = {"municipality": "municipalities", "initiative": "initiatives", "kind": "kinds"}
        return None, [_error(f"filter.{plural[exc.field]}", "unknown", exc.value[:60])]
    owner = data["municipality"]
    if owner and owner not in munis:
        return None, [_error("municipality", "unknown", owner[:60])]
    result = flow.SubscriptionInput(
        name=data["name"], contact_email=data["contact_email"].strip(),
        contact_name=data["contact_name"], municipality_id=munis.get(owner or ""),
        locale=data["locale"], delivery=data["delivery"], filter=chosen,
        webhook_url=data["webhook_url"].strip(), cadence=data["cadence"])
    settings = current_settings()
    from publisher.flows.feeds.ssrf import networks

    errors = [_error(p.field, p.code, p.detail)
              for p in flow.check(result, networks(settings.webhook_allow_networks))]
    return (None if errors else result), errors


@bp.route("/subscriptions", methods=["POST"], tags=["subscriptions"])
@bp.arguments(SubscriptionCreateSchema, example={
    "name": "Halsnæs hjemmeside", "contact_email": "web@halsnaes.dk", "delivery": "webhook",
    "webhook_url": "https://www.halsnaes.dk/hooks/kulturmetropolen",
    "filter": {"municipalities": ["halsnaes"], "kinds": ["event"], "upcoming": True}})
@bp.response(201, SubscriptionSchema)
@documented(400, 401, 403, 422)
@bp.doc(operationId="createSubscription")
def create_subscription(data: dict[str, Any]) -> Any:
    """Create a subscription. A webhook's secret or a private feed's addresses are in this
    answer only; a digest waits until its contact confirms by email."""
    refused = _admin()
    if refused is not None:
        return refused
    cleaned, errors = _input(data)
    if cleaned is None:
        return problems.invalid(errors)
    db = get_session()
    sub, shown = flow.subscribe(db, cleaned, now=now(), actor=actor(),
                                settings=current_settings())
    db.commit()
    return _present(sub, shown), 201


@bp.route("/subscriptions/<int:sub_id>", methods=["GET"], tags=["subscriptions"])
@bp.response(200, SubscriptionSchema)
@documented(401, 403, 404)
@bp.doc(operationId="getSubscription")
def get_subscription(sub_id: int) -> Any:
    """Read a subscription (never its secret)."""
    refused = _admin()
    if refused is not None:
        return refused
    sub = _load(sub_id)
    return _present(sub) if sub is not None else _missing()


def _change(sub_id: int, action: str) -> Any:
    """Pause, resume, rotate or cancel; 409 when the action does not fit the state."""
    refused = _admin()
    if refused is not None:
        return refused
    sub, db = _load(sub_id), get_session()
    if sub is None:
        return _missing()
    shown = None
    try:
        if action == "pause":
            flow.pause(db, sub, now(), _("Paused through the API"))
        elif action == "resume":
            flow.unpause(db, sub, now())
        elif action == "rotate":
            shown = flow.rotate(db, sub, now())
        else:
            flow.cancel(db, sub, now())
    except flow.SubscriptionError:
        from publisher.errors import problem

        return problem(409, _("Not possible in this state"),
                       _("The subscription is %(status)s.", status=sub.status))
    db.commit()
    return _present(sub, shown)


@bp.route("/subscriptions/<int:sub_id>/pause", methods=["POST"], tags=["subscriptions"])
@bp.response(200, SubscriptionSchema)
@documented(401, 403, 404, 409)
@bp.doc(operationId="pauseSubscription")
def pause_subscription(sub_id: int) -> Any:
    """Pause deliveries; webhook messages wait and nothing is lost (409 unless active)."""
    return _change(sub_id, "pause")


@bp.route("/subscriptions/<int:sub_id>/resume", methods=["POST"], tags=["subscriptions"])
@bp.response(200, SubscriptionSchema)
@documented(401, 403, 404, 409)
@bp.doc(operationId="resumeSubscription")
def resume_subscription(sub_id: int) -> Any:
    """Resume a paused subscription; waiting webhook messages go out next (409 unless paused)."""
    return _change(sub_id, "resume")


@bp.route("/subscriptions/<int:sub_id>/rotate", methods=["POST"], tags=["subscriptions"])
@bp.response(200, SubscriptionSchema)
@documented(401, 403, 404, 409)
@bp.doc(operationId="rotateSubscriptionSecret")
def rotate_subscription(sub_id: int) -> Any:
    """A new webhook secret or private feed address, in this answer only; the old stops now."""
    return _change(sub_id, "rotate")


@bp.route("/subscriptions/<int:sub_id>/cancel", methods=["POST"], tags=["subscriptions"])
@bp.response(200, SubscriptionSchema)
@documented(401, 403, 404, 409)
@bp.doc(operationId="cancelSubscription")
def cancel_subscription(sub_id: int) -> Any:
    """End a subscription for good: its feed address stops working, nothing more is sent."""
    return _change(sub_id, "cancel")


@bp.route("/subscriptions/<int:sub_id>/deliveries", methods=["GET"], tags=["subscriptions"])
@bp.response(200, DeliveryLogSchema(many=True))
@documented(401, 403, 404)
@bp.doc(operationId="listSubscriptionDeliveries")
def subscription_deliveries(sub_id: int) -> Any:
    """A webhook's delivery log: every try, newest first (the latest 50)."""
    refused = _admin()
    if refused is not None:
        return refused
    sub = _load(sub_id)
    return flow.delivery_log(get_session(), sub) if sub is not None else _missing()
