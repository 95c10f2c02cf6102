"""API v1: the calendar, moving items, the posting plan (slots, rhythm goals) and quiet periods.

The same flows as the web pages (publisher.flows.plan), so a script is refused for the same
reasons as a person, with the reason as problem+json.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import EXCLUDE, fields, validate
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from drafts.models import CHANNEL_NAMES, Draft, Initiative, Municipality
from drafts.validation import FieldError
from publisher.api import problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.schemas import CodedSchema, Text, _code_messages, _one_of, _range
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.errors import problem
from publisher.flows.plan import calendar as cal
from publisher.flows.plan import plan
from publisher.flows.plan.moves import MoveRefused, move, parse_local
from publisher.flows.plan.words import refusal_text
from publisher.i18n import lang
from schedules.plan import PlanSlot, QuietPeriod, RhythmGoal
from schedules.slots import next_free_slot, rhythm

MAX_DAYS = 92


def _most(length: int) -> validate.Length:
    return validate.Length(max=length, error="too_long:{max}")


def _coded(schema: type[ma.Schema]) -> type[ma.Schema]:
    for field in schema._declared_fields.values():
        _code_messages(field)
    return schema


# ------------------------------------------------------------------------------------- schemas


@_coded
class CalendarQuerySchema(CodedSchema):
    class Meta:
        unknown = EXCLUDE

    start = fields.Date(
        required=True,
        data_key="from",
        metadata={"description": "First local day (Copenhagen), YYYY-MM-DD."},
    )
    end = fields.Date(
        required=True,
        data_key="to",
        metadata={"description": f"Last local day, at most {MAX_DAYS} days on."},
    )
    status = fields.String(load_default="")
    municipality = fields.String(load_default="")
    initiative = fields.String(load_default="")
    channel = fields.String(load_default="")
    kind = fields.String(load_default="")


class ItemChannelSchema(ma.Schema):
    channel = fields.String()
    status = fields.String(metadata={"description": "The delivery's status; empty if none."})


class CalendarItemSchema(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    status = fields.String()
    shown_as = fields.String(
        metadata={
            "description": "failed/held/unconfirmed when a delivery is in trouble, else the status."
        }
    )
    at = fields.DateTime(metadata={"description": "UTC."})
    local_at = fields.String(metadata={"description": "Copenhagen wall-clock time with offset."})
    local_day = fields.Date()
    channels = fields.List(fields.Nested(ItemChannelSchema))
    municipalities = fields.List(fields.String())


@_coded
class MoveSchema(CodedSchema):
    date = Text(
        required=True,
        validate=_most(40),
        metadata={"description": "Local day, YYYY-MM-DD."},
    )
    time = Text(
        required=True,
        validate=_most(40),
        metadata={"description": "Local time, HH:MM."},
    )
    fold = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=_one_of([0, 1]),
        metadata={
            "description": "For a time that happens twice (autumn): 0 = the first, 1 = the second."
        },
    )


class MoveResultSchema(ma.Schema):
    id = fields.Integer()
    before = fields.DateTime(allow_none=True)
    at = fields.DateTime()
    moved_deliveries = fields.List(fields.Integer())
    approval_deadline = fields.DateTime(allow_none=True)
    approval_asked_again = fields.Boolean()
    scheduled_again = fields.Boolean()


@_coded
class SlotInSchema(CodedSchema):
    channel = fields.String(required=True, validate=_one_of(CHANNEL_NAMES))
    weekdays = fields.List(
        fields.Integer(validate=_range(0, 6)),
        required=True,
        metadata={"description": "0 = Monday … 6 = Sunday."},
    )
    local_time = Text(
        required=True,
        validate=_most(5),
        metadata={"description": "HH:MM, Copenhagen."},
    )
    every_weeks = fields.Integer(load_default=1, validate=_range(1, 4))


class SlotSchema(ma.Schema):
    id = fields.Integer()
    channel = fields.String()
    weekdays = fields.List(fields.Integer())
    local_time = fields.String()
    every_weeks = fields.Integer()
    anchor = fields.Date()


@_coded
class GoalInSchema(CodedSchema):
    channel = fields.String(required=True, validate=_one_of(CHANNEL_NAMES))
    per_month_min = fields.Integer(required=True, validate=_range(0, 100))
    per_month_max = fields.Integer(load_default=None, allow_none=True, validate=_range(0, 100))


class GoalSchema(ma.Schema):
    id = fields.Integer()
    channel = fields.String()
    per_month_min = fields.Integer()
    per_month_max = fields.Integer(allow_none=True)


@_coded
class RhythmQuerySchema(CodedSchema):
    class Meta:
        unknown = EXCLUDE

    month = fields.String(load_default="", metadata={"description": "YYYY-MM (default: now)."})


class RhythmSchema(ma.Schema):
    channel = fields.String()
    month = fields.Date()
    count = fields.Integer()
    minimum = fields.Integer()
    maximum = fields.Integer(allow_none=True)
    verdict = fields.String(metadata={"description": "short, met or over."})


@_coded
class NextSlotQuerySchema(CodedSchema):
    class Meta:
        unknown = EXCLUDE

    channel = fields.String(required=True, validate=_one_of(CHANNEL_NAMES))
    after = fields.AwareDateTime(load_default=None, allow_none=True)
    municipality = fields.String(load_default="")


class NextSlotSchema(ma.Schema):
    channel = fields.String()
    at = fields.DateTime(allow_none=True, metadata={"description": "None: no free slot."})


@_coded
class QuietInSchema(CodedSchema):
    title = Text(required=True, validate=_most(200))
    reason = Text(load_default="", validate=_most(2000))
    first_day = Text(required=True, validate=_most(40))
    last_day = Text(required=True, validate=_most(40))
    municipality = Text(load_default="", validate=_most(64))
    channel = Text(load_default="", validate=_most(16))


class QuietSchema(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    reason = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    municipality = fields.String(allow_none=True)
    channel = fields.String()
    items_inside = fields.List(
        fields.Integer(),
        metadata={"description": "Planned items inside the period: a person must move them."},
    )


# ------------------------------------------------------------------------------------ helpers


def _field_problems(found: list[tuple[str, str]]) -> Any:
    words = {
        "unknown": ("Ukendt værdi.", "Unknown value."),
        "not_a_date": ("Ikke en dato (ÅÅÅÅ-MM-DD).", "Not a date (YYYY-MM-DD)."),
        "required": ("Feltet skal udfyldes.", "This field is required."),
        "not_a_time": ("Ikke et klokkeslæt (TT:MM).", "Not a time (HH:MM)."),
        "range": ("Uden for det tilladte interval.", "Out of the allowed range."),
        "below_min": ("Mindre end minimum.", "Below the minimum."),
        "before_first": ("Før den første dag.", "Before the first day."),
        "too_long": ("For lang.", "Too long."),
    }
    return problems.invalid([FieldError(f, c, *words.get(c, (c, c))) for f, c in found])


def _item(it: cal.CalendarItem) -> dict[str, Any]:
    return {
        "id": it.id,
        "title": it.title,
        "kind": it.kind,
        "status": it.status,
        "shown_as": it.shown_as,
        "at": it.when,
        "local_at": it.local.isoformat(),
        "local_day": it.local.date(),
        "channels": [{"channel": c.channel, "status": c.status} for c in it.channels],
        "municipalities": list(it.municipalities),
    }


def _planner_only() -> Any:
    if not current_user().may_create():
        return problems.forbidden(_("Only editors and administrators change the plan."))
    return None


def _quiet(p: QuietPeriod, inside: list[Draft]) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "reason": p.reason,
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
        "municipality": p.municipality.slug if p.municipality else None,
        "channel": p.channel,
        "items_inside": [d.id for d in inside],
    }


def _slot(s: PlanSlot) -> dict[str, Any]:
    return {
        "id": s.id,
        "channel": s.channel,
        "weekdays": s.weekdays,
        "local_time": s.local_time,
        "every_weeks": s.every_weeks,
        "anchor": s.anchor,
    }


def _goal(g: RhythmGoal) -> dict[str, Any]:
    return {
        "id": g.id,
        "channel": g.channel,
        "per_month_min": g.per_month_min,
        "per_month_max": g.per_month_max,
    }


# ---------------------------------------------------------------------------------- calendar


@bp.route("/calendar", methods=["GET"], tags=["calendar"])
@bp.arguments(CalendarQuerySchema, location="query")
@bp.response(200, CalendarItemSchema(many=True))
@documented(401, 422)
@bp.doc(operationId="listCalendar")
def list_calendar(args: dict[str, Any]) -> Any:
    """Items planned, published, held or failed on the local days from..to (Copenhagen)."""
    db = get_session()
    start, end = args["start"], args["end"]
    if not 2000 <= start.year <= 2100:
        return _field_problems([("from", "range")])
    if end < start or (end - start).days > MAX_DAYS:
        return _field_problems([("to", "range")])
    raw = MultiDict({k: args[k] for k in cal.FILTERS if args[k]})
    q = cal.parse_query(
        raw,
        start,
        set(db.scalars(select(Municipality.slug))),
        set(db.scalars(select(Initiative.slug))),
    )
    if q.problems:
        return _field_problems([(name, code) for name, code, _v in q.problems])
    items, _counts = cal.items_between(db, start, end, q, current_settings().zone)
    return [_item(it) for it in items]


@bp.route("/calendar/items/<int:id>/move", methods=["POST"], tags=["calendar"])
@bp.arguments(MoveSchema, example={"date": "2026-12-03", "time": "09:30"})
@bp.response(200, MoveResultSchema)
@documented(400, 401, 403, 404, 409, 422)
@bp.doc(operationId="moveCalendarItem")
def move_calendar_item(args: dict[str, Any], id: int) -> Any:
    """Move an item to a local day and time; re-checks quiet periods, the channels' rules and
    the approval deadline (409 with `code` when refused; nothing changes)."""
    db, settings = get_session(), current_settings()
    draft = db.get(Draft, id)
    if draft is None:
        return problems.not_found()
    if not current_user().may_edit(draft):
        return problems.forbidden(_("You cannot change this draft."))
    fold = "" if args["fold"] is None else str(args["fold"])
    try:
        when = parse_local(args["date"], args["time"], fold, settings.zone)
        result = move(db, draft, when, now(), actor=actor(), settings=settings)
    except MoveRefused as exc:
        db.rollback()
        return _refused(exc)
    db.commit()
    return {
        "id": draft.id,
        "before": result.before,
        "at": result.after,
        "moved_deliveries": [d.id for d in result.moved],
        "approval_deadline": result.deadline,
        "approval_asked_again": result.approval_asked_again,
        "scheduled_again": result.scheduled_again,
    }


def _refused(exc: MoveRefused) -> Any:
    texts = refusal_text(exc)
    status = 422 if exc.code in ("not_a_time", "gap", "ambiguous", "in_past") else 409
    extra: dict[str, Any] = {"code": exc.code}
    if exc.quiet:
        extra["quiet_periods"] = [p.id for p in exc.quiet]
    if exc.problems:
        extra["problems"] = [
            {"account": a, "field": p.field, "code": p.code, "message": p.message(lang())}
            for a, p in exc.problems
        ]
    if exc.deadline is not None:
        extra["at"] = exc.deadline.astimezone(UTC).isoformat()
    return problem(status, texts[0] if texts else exc.code, " ".join(texts), **extra)


# -------------------------------------------------------------------------------------- plan


@bp.route("/plan/slots", methods=["GET"], tags=["plan"])
@bp.response(200, SlotSchema(many=True))
@documented(401)
@bp.doc(operationId="listSlots")
def list_slots() -> Any:
    """The recurring slots of the posting plan."""
    return [_slot(s) for s in plan.slots(get_session())]


@bp.route("/plan/slots", methods=["POST"], tags=["plan"])
@bp.arguments(SlotInSchema, example={"channel": "facebook", "weekdays": [1, 3],
                                      "local_time": "09:00", "every_weeks": 1})
@bp.response(201, SlotSchema)
@documented(400, 401, 403, 422)
@bp.doc(operationId="addSlot")
def add_slot(args: dict[str, Any]) -> Any:
    """Add a recurring slot, e.g. the newsletter every other Thursday at 09:00."""
    if (refused := _planner_only()) is not None:
        return refused
    db = get_session()
    today = now().astimezone(current_settings().zone).date()
    data, found = plan.check_slot(
        args["channel"],
        [str(d) for d in args["weekdays"]],
        args["local_time"],
        str(args["every_weeks"]),
        today,
    )
    if data is None:
        return _field_problems(found)
    slot = plan.add_slot(db, data, now())
    db.commit()
    return _slot(slot), 201


@bp.route("/plan/slots/<int:id>", methods=["DELETE"], tags=["plan"])
@bp.response(204)
@documented(401, 403, 404)
@bp.doc(operationId="deleteSlot")
def delete_slot(id: int) -> Any:
    """Remove a recurring slot."""
    if (refused := _planner_only()) is not None:
        return refused
    db = get_session()
    if not plan.delete_slot(db, id):
        return problem(404, _("Not found"), _("There is nothing with this id."))
    db.commit()
    return "", 204


@bp.route("/plan/next-slot", methods=["GET"], tags=["plan"])
@bp.arguments(NextSlotQuerySchema, location="query")
@bp.response(200, NextSlotSchema)
@documented(401, 422)
@bp.doc(operationId="nextFreeSlot")
def next_slot(args: dict[str, Any]) -> Any:
    """The channel's next slot that is neither taken nor in a quiet period."""
    db = get_session()
    ids = (
        list(db.scalars(select(Municipality.id).where(Municipality.slug == args["municipality"])))
        if args["municipality"]
        else []
    )
    when = next_free_slot(
        db, args["channel"], args["after"] or now(), current_settings().zone, municipality_ids=ids
    )
    return {"channel": args["channel"], "at": when}


@bp.route("/plan/goals", methods=["GET"], tags=["plan"])
@bp.response(200, GoalSchema(many=True))
@documented(401)
@bp.doc(operationId="listGoals")
def list_goals() -> Any:
    """Rhythm goals: how many items per calendar month each channel should have."""
    return [_goal(g) for g in plan.goals(get_session())]


@bp.route("/plan/goals", methods=["PUT"], tags=["plan"])
@bp.arguments(GoalInSchema, example={"channel": "instagram", "per_month_min": 4,
                                     "per_month_max": 8})
@bp.response(200, GoalSchema)
@documented(400, 401, 403, 422)
@bp.doc(operationId="setGoal")
def set_goal(args: dict[str, Any]) -> Any:
    """Set (create or replace) a channel's monthly rhythm goal."""
    if (refused := _planner_only()) is not None:
        return refused
    db = get_session()
    maximum = args["per_month_max"]
    data, found = plan.check_goal(
        args["channel"], str(args["per_month_min"]), "" if maximum is None else str(maximum)
    )
    if data is None:
        return _field_problems(found)
    goal = plan.set_goal(db, *data, now=now())
    db.commit()
    return _goal(goal)


@bp.route("/plan/goals/<int:id>", methods=["DELETE"], tags=["plan"])
@bp.response(204)
@documented(401, 403, 404)
@bp.doc(operationId="deleteGoal")
def delete_goal(id: int) -> Any:
    """Remove a rhythm goal."""
    if (refused := _planner_only()) is not None:
        return refused
    db = get_session()
    if not plan.delete_goal(db, id):
        return problem(404, _("Not found"), _("There is nothing with this id."))
    db.commit()
    return "", 204


@bp.route("/plan/rhythm", methods=["GET"], tags=["plan"])
@bp.arguments(RhythmQuerySchema, location="query")
@bp.response(200, RhythmSchema(many=True))
@documented(401, 422)
@bp.doc(operationId="rhythm")
def get_rhythm(args: dict[str, Any]) -> Any:
    """Each goal's count for a calendar month (Copenhagen): short, met or over."""
    zone = current_settings().zone
    month = now().astimezone(zone).date()
    if args["month"]:
        try:
            month = date.fromisoformat(args["month"] + "-01")
        except ValueError:
            return _field_problems([("month", "not_a_date")])
    return [
        {
            "channel": r.channel,
            "month": r.month,
            "count": r.count,
            "minimum": r.minimum,
            "maximum": r.maximum,
            "verdict": r.verdict,
        }
        for r in rhythm(get_session(), month, zone)
    ]


# ---------------------------------------------------------------------------- quiet periods


@bp.route("/quiet-periods", methods=["GET"], tags=["plan"])
@bp.response(200, QuietSchema(many=True))
@documented(401)
@bp.doc(operationId="listQuietPeriods")
def list_quiet() -> Any:
    """Quiet periods not yet over, with the planned items inside each."""
    from schedules.slots import items_in_quiet_period

    db = get_session()
    return [
        _quiet(p, items_in_quiet_period(db, p))
        for p in plan.quiet_periods(db, now() - timedelta(days=0))
    ]


@bp.route("/quiet-periods", methods=["POST"], tags=["plan"])
@bp.arguments(QuietInSchema, example={"title": "Kommunalvalg", "reason": "Valgperiode",
                                      "first_day": "2029-11-01", "last_day": "2029-11-21",
                                      "municipality": "", "channel": ""})
@bp.response(201, QuietSchema)
@documented(400, 401, 403, 422)
@bp.doc(operationId="addQuietPeriod")
def add_quiet(args: dict[str, Any]) -> Any:
    """Add a quiet period (whole local days); the answer lists items already inside it."""
    if (refused := _planner_only()) is not None:
        return refused
    db = get_session()
    data, found = plan.check_quiet(
        args["title"],
        args["reason"],
        args["first_day"],
        args["last_day"],
        args["municipality"],
        args["channel"],
        set(db.scalars(select(Municipality.slug))),
    )
    if data is None:
        return _field_problems(found)
    period, inside = plan.add_quiet_period(
        db, data, current_settings().zone, now(), current_user().username
    )
    db.commit()
    return _quiet(period, inside), 201


@bp.route("/quiet-periods/<int:id>", methods=["DELETE"], tags=["plan"])
@bp.response(204)
@documented(401, 403, 404)
@bp.doc(operationId="deleteQuietPeriod")
def delete_quiet(id: int) -> Any:
    """Remove a quiet period."""
    if (refused := _planner_only()) is not None:
        return refused
    db = get_session()
    if not plan.delete_quiet_period(db, id):
        return problem(404, _("Not found"), _("There is nothing with this id."))
    db.commit()
    return "", 204
