"""Deliveries over the API: find them, read their tries, retry a failed one, cancel one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from marshmallow import fields, validate

from drafts.models import CHANNEL_NAMES
from drafts.validation import FieldError, parse_moment
from publisher.api import present, problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.schemas import (
    MAX_PAGE,
    MAX_PER_PAGE,
    CodedSchema,
    DeliverySchema,
    Text,
    _one_of,
    _range,
)
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.manage import deliveries as flow
from publisher.i18n import lang
from publisher.security import DB_INT_MAX
from schedules.models import Delivery, DeliveryStatus

MAX_ID = DB_INT_MAX  # query-string ids: the route ids are checked by publisher.security
DELIVERY_EXAMPLE = {
    "id": 12, "draft_id": 7, "account_id": 1, "channel": "facebook",
    "account": "Kulturmetropolen (Facebook-side)", "status": "failed",
    "due_at": "2026-06-01T07:00:00+00:00", "attempts": 1, "next_attempt_at": None,
    "last_error": "token_expired", "held_reason": "", "error_kind": "permanent",
    "problem": "Adgangen til kontoen er udløbet. Forbind kontoen igen under Administration → "
               "Kanaler. Vi prøver ikke igen automatisk. Ret årsagen, og vælg «Prøv igen nu».",
    "external_id": "", "external_url": "", "published_at": None, "allowed_actions": ["retry"],
}
ATTEMPT_EXAMPLE = {
    "id": 31, "action": "publish", "worker": "web-1:4711", "outcome": "failed",
    "started_at": "2026-06-01T07:00:01+00:00", "finished_at": "2026-06-01T07:00:02+00:00",
    "error": "token_expired", "error_text": "Access to the account has expired. Reconnect the "
    "account under Admin → Channels.", "detail": "(#190) Error validating access token",
}
STATUSES = [s.value for s in DeliveryStatus]


class DeliveryFilterSchema(CodedSchema):
    """Filters and paging for the delivery list."""

    class Meta:
        unknown = "exclude"

    status = fields.List(Text(validate=_one_of(STATUSES)), metadata={
        "description": "One or more statuses (repeat the parameter: status=failed&status=held)."})
    channel = Text(validate=_one_of(list(CHANNEL_NAMES)))
    account = fields.Integer(validate=_range(1, MAX_ID),
                             metadata={"description": "A channel account's id (GET /accounts)."})
    municipality = Text(validate=validate.Length(max=64, error="too_long:{max}"),
                        metadata={"description": "Deliveries of drafts tagged with this "
                                                 "municipality (slug)."})
    draft = fields.Integer(validate=_range(1, MAX_ID), metadata={"description": "A draft id."})
    due_from = Text(validate=validate.Length(max=40, error="too_long:{max}"), metadata={
        "description": "Due at or after this (ISO 8601; without offset: Copenhagen time)."})
    due_to = Text(validate=validate.Length(max=40, error="too_long:{max}"), metadata={
        "description": "Due before this; a date alone includes that whole day."})
    page = fields.Integer(load_default=1, validate=_range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=None, validate=_range(1, MAX_PER_PAGE),
                              metadata={"description": "Default: the service's page size."})


class DeliveryPageSchema(CodedSchema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class AttemptSchema(CodedSchema):
    id = fields.Integer(required=True)
    action = fields.String(required=True, metadata={"enum": ["publish", "reconcile"]})
    worker = fields.String(required=True)
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(required=True, allow_none=True)
    outcome = fields.String(required=True, metadata={
        "description": "started (never finished), published, found, absent, retry, failed, "
                       "unconfirmed, held or lost_lease"})
    error = fields.String(required=True, metadata={"description": "A reason key, or ''."})
    error_text = fields.String(required=True,
                               metadata={"description": "The reason in plain words."})
    detail = fields.String(required=True, metadata={"description": "The platform's words."})


class RetrySchema(CodedSchema):
    confirmed_absent = fields.Boolean(load_default=False, metadata={
        "description": "For a delivery held because nobody could tell whether it went out: "
                       "true = you checked the platform and it is not there, so send it at "
                       "once; otherwise it is looked for first."})


def _load(delivery_id: int) -> Delivery | None:
    return get_session().get(Delivery, delivery_id)


def _missing() -> Any:
    return problems.no_such(_("No such delivery"), _("There is no delivery with this id."))


def _moment(args: dict[str, Any], name: str, errors: list[FieldError]) -> Any:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if name == "due_to":
        try:  # a date alone means up to the end of that day
            value = (date.fromisoformat(value) + timedelta(days=1)).isoformat()
        except ValueError:
            pass
    moment, error = parse_moment(value, current_settings().zone, 0, name)
    if error:
        errors.append(error)
    return moment


@bp.route("/deliveries", methods=["GET"], tags=["deliveries"])
@bp.arguments(DeliveryFilterSchema, location="query")
@bp.response(200, DeliveryPageSchema, example={
    "items": [DELIVERY_EXAMPLE], "total": 1, "page": 1, "per_page": 25, "pages": 1})
@documented(401, 422)
@bp.doc(operationId="listDeliveries")
def list_deliveries(args: dict[str, Any]) -> Any:
    """List deliveries, soonest due first, by status, channel, account, municipality and time."""
    errors: list[FieldError] = []
    due_from = _moment(args, "due_from", errors)
    due_to = _moment(args, "due_to", errors)
    if errors:
        return problems.invalid(errors)
    wanted = flow.DeliveryFilter(
        statuses=tuple(args.get("status") or ()), channel=args.get("channel") or "",
        account_id=args.get("account"), municipality=args.get("municipality") or "",
        draft_id=args.get("draft"), due_from=due_from, due_to=due_to)
    per_page = min(args["per_page"] or current_settings().page_size, MAX_PER_PAGE)
    rows, total = flow.find_deliveries(get_session(), wanted, page=args["page"],
                                       per_page=per_page)
    user = current_user()
    return {"items": [present.delivery(d, user) for d in rows], "total": total,
            "page": args["page"], "per_page": per_page, "pages": -(-total // per_page)}


@bp.route("/deliveries/<int:delivery_id>", methods=["GET"], tags=["deliveries"])
@bp.response(200, DeliverySchema, example=DELIVERY_EXAMPLE)
@documented(401, 404)
@bp.doc(operationId="getDelivery")
def get_delivery(delivery_id: int) -> Any:
    """Read one delivery: status, tries, the problem in words, where it ended up."""
    delivery = _load(delivery_id)
    if delivery is None:
        return _missing()
    return present.delivery(delivery, current_user())


@bp.route("/deliveries/<int:delivery_id>/attempts", methods=["GET"], tags=["deliveries"])
@bp.response(200, AttemptSchema(many=True), example=[ATTEMPT_EXAMPLE])
@documented(401, 404)
@bp.doc(operationId="listDeliveryAttempts")
def list_attempts(delivery_id: int) -> Any:
    """Every try at the delivery (publishing and looking for it on the platform), oldest first."""
    delivery = _load(delivery_id)
    if delivery is None:
        return _missing()
    return [present.attempt(a) for a in flow.attempts_of(get_session(), delivery)]


def _act(delivery_id: int, do: Any) -> Any:
    delivery = _load(delivery_id)
    if delivery is None:
        return _missing()
    db = get_session()
    try:
        do(db, delivery)
    except flow.DeliveryRefused as exc:
        db.rollback()
        return problems.refused(exc.status, exc.code, exc.message(lang()),
                                current_status=delivery.status)
    db.commit()
    return present.delivery(delivery, current_user())


@bp.route("/deliveries/<int:delivery_id>/retry", methods=["POST"], tags=["deliveries"])
@bp.arguments(RetrySchema, required=False, example={"confirmed_absent": False})
@bp.response(200, DeliverySchema)
@documented(400, 401, 403, 404, 409, 422)
@bp.doc(operationId="retryDelivery")
def retry_delivery(data: dict[str, Any], delivery_id: int) -> Any:
    """Send a failed or held delivery again now, with a fresh count of tries (the web's
    "Retry now"). A delivery held because nobody could tell whether it went out is looked
    for on the platform first, unless confirmed_absent is true."""
    absent = bool((data or {}).get("confirmed_absent"))
    return _act(delivery_id, lambda db, d: flow.retry(
        db, d, user=current_user(), now=now(), actor=actor(), confirmed_absent=absent))


@bp.route("/deliveries/<int:delivery_id>/cancel", methods=["POST"], tags=["deliveries"])
@bp.response(200, DeliverySchema)
@documented(401, 403, 404, 409)
@bp.doc(operationId="cancelDelivery")
def cancel_delivery(delivery_id: int) -> Any:
    """Cancel one delivery that has not started (one channel of a scheduled draft)."""
    return _act(delivery_id, lambda db, d: flow.cancel(
        db, d, user=current_user(), now=now(), actor=actor()))
