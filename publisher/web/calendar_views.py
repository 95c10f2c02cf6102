"""The calendar (month, week, list), moving an item, the posting plan and the private iCal feed.

Views read input, call one flow in publisher.flows.plan, and render. Moving works with a plain
form; calendar.js adds drag and drop that fills in and submits the same form.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from drafts.models import CHANNEL_NAMES, Draft, Initiative, Municipality, User
from publisher.auth import actor, public
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.plan import calendar as cal
from publisher.flows.plan import feed, plan
from publisher.flows.plan.moves import MoveRefused, move, parse_local, platform_problems
from publisher.flows.plan.words import long_time, problem_text, refusal_text
from publisher.i18n import lang
from publisher.web import labels
from schedules.slots import next_free_slot, quiet_periods_at, rhythm

bp = Blueprint("calendar", __name__)


def local_date(day: date, fmt: str = "medium") -> str:
    """A local calendar day in the current language (no time-zone shift: it is a date)."""
    return str(format_date(day, fmt))


def month_name(day: date) -> str:
    return str(format_date(day, "LLLL y"))


bp.record_once(
    lambda state: state.app.jinja_env.filters.update(
        localdate=local_date, monthname=month_name, longtime=long_time
    )
)

WEEKDAYS = [0, 1, 2, 3, 4, 5, 6]
# A month cell shows this many items and then "N more" (linking to the week): a day with sixty
# items is read in the week view, and the month view stays as fast as a queue page.
MONTH_CELL_LIMIT = 6


def _user() -> User:
    user: User = g.user
    return user


def _today() -> date:
    return datetime.now(UTC).astimezone(current_settings().zone).date()


def weekday_name(n: int) -> str:
    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    return names[n]


def _municipalities() -> list[Municipality]:
    return list(
        get_session().scalars(
            select(Municipality).where(Municipality.active).order_by(Municipality.name)
        )
    )


def _initiatives() -> list[Initiative]:
    return list(
        get_session().scalars(select(Initiative).where(Initiative.active).order_by(Initiative.name))
    )


# ------------------------------------------------------------------------------------ calendar


@bp.get("/calendar")
def calendar() -> Any:
    """Month, week or list of everything planned, published, held or failed."""
    db, zone = get_session(), current_settings().zone
    municipalities, initiatives = _municipalities(), _initiatives()
    q = cal.parse_query(
        request.args, _today(), {m.slug for m in municipalities}, {i.slug for i in initiatives}
    )
    first, last = cal.span(q)
    cell_limit = MONTH_CELL_LIMIT if q.view == "month" else 0
    items, counts = (
        ([], {}) if q.problems else cal.items_between(db, first, last, q, zone, per_day=cell_limit)
    )
    quiet = plan.quiet_periods(db, cal.local_midnight(first, zone))
    quiet = [p for p in quiet if p.starts_at < cal.local_midnight(last + timedelta(days=1), zone)]
    context = dict(
        q=q,
        first=first,
        last=last,
        items=items,
        days=cal.by_day(items),
        weeks=cal.weeks(first, last) if q.view != "list" else [],
        municipalities=municipalities,
        initiatives=initiatives,
        channels=CHANNEL_NAMES,
        rhythm=rhythm(db, q.day, zone),
        quiet=quiet,
        quiet_on=_quiet_on(quiet, zone),
        previous=_step(q, -1),
        following=_step(q, 1),
        today=_today(),
        weekday_name=weekday_name,
        problem_text=problem_text,
        trouble=cal.TROUBLE,
        may_move=_user().may_create(),
        words=_words(),
        cell_limit=cell_limit,
        counts=counts,
    )
    status = 400 if q.problems else 200
    return render_template("calendar/page.html", **context), status


def _words() -> dict[str, Any]:
    """Labels and URL prefixes for the items, translated and built once per page."""
    shown = {k: str(v) for k, v in labels.STATUS_LABELS.items()}
    shown.update({k: str(labels.DELIVERY_STATUS_LABELS[k]) for k in cal.TROUBLE})
    return {
        "shown": shown,
        "channels": {k: str(v) for k, v in labels.CHANNEL_LABELS.items()},
        "detail_prefix": url_for("drafts.detail", id=1)[: -len("1")],
        "move_prefix": url_for("calendar.move_form", id=1)[: -len("1/move")],
        "move": _("Move"),
    }


def _quiet_on(periods: list[Any], zone: Any) -> Any:
    def on(day: date) -> list[Any]:
        start = cal.local_midnight(day, zone)
        end = cal.local_midnight(day + timedelta(days=1), zone)
        return [p for p in periods if p.starts_at < end and p.ends_at > start]

    return on


def _step(q: cal.CalendarQuery, direction: int) -> date:
    if q.view == "week":
        return q.day + timedelta(days=7 * direction)
    first = q.day.replace(day=1)
    if direction < 0:
        return (first - timedelta(days=1)).replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


# ---------------------------------------------------------------------------------------- move


def _load(draft_id: int) -> Draft:
    draft = get_session().get(Draft, draft_id)
    if draft is None:
        abort(404)
    return draft


def _render_move(
    draft: Draft,
    status: int = 200,
    refused: list[str] | None = None,
    values: dict[str, str] | None = None,
    ambiguous: bool = False,
) -> Any:
    db, settings = get_session(), current_settings()
    now = datetime.now(UTC)
    local = draft.desired_at.astimezone(settings.zone) if draft.desired_at else None
    values = values or {
        "date": local.date().isoformat() if local else "",
        "time": local.strftime("%H:%M") if local else "09:00",
    }
    problems = platform_problems(db, draft, draft.desired_at or now, settings)
    suggestions = {
        c: next_free_slot(
            db,
            c,
            now,
            settings.zone,
            ignore=draft.id,
            municipality_ids=[m.id for m in draft.municipalities],
        )
        for c in draft.channels or []
    }
    quiet = (
        quiet_periods_at(
            db, draft.desired_at, draft.channels or [], [m.id for m in draft.municipalities]
        )
        if draft.desired_at
        else []
    )
    return render_template(
        "calendar/move.html",
        draft=draft,
        values=values,
        refused=refused or [],
        problems=problems,
        suggestions=suggestions,
        quiet=quiet,
        ambiguous=ambiguous,
        movable=draft.status in cal.MOVABLE,
        may_move=_user().may_edit(draft),
        back=_back(),
        lang=lang(),
    ), status


def _back() -> str:
    target = request.values.get("next", "")
    return (
        target
        if target.startswith("/calendar") and "//" not in target
        else url_for("calendar.calendar")
    )


@bp.get("/calendar/items/<int:id>/move")
def move_form(id: int) -> Any:
    """The item's move form (works without JavaScript)."""
    return _render_move(_load(id))


@bp.post("/calendar/items/<int:id>/move")
def move_item(id: int) -> Any:
    """Move an item to another day and time, re-checking rules and the approval deadline."""
    db, settings = get_session(), current_settings()
    draft = _load(id)
    if not _user().may_edit(draft):
        abort(403)
    values = {k: request.form.get(k, "") for k in ("date", "time", "fold")}
    now = datetime.now(UTC)
    try:
        when = parse_local(values["date"], values["time"], values["fold"], settings.zone)
        result = move(db, draft, when, now, actor=actor(), settings=settings)
    except MoveRefused as exc:
        db.rollback()
        status = (
            409
            if exc.code in ("not_movable", "quiet_period", "deadline_passed", "platform")
            else 422
        )
        return _render_move(
            draft, status, refusal_text(exc), values, ambiguous=exc.code == "ambiguous"
        )
    db.commit()
    message = _("Moved to %(when)s.", when=long_time(result.after))
    if result.moved:
        message += " " + _("%(count)s scheduled deliveries moved with it.", count=len(result.moved))
    if result.deadline is not None and draft.status == "in_review":
        message += " " + _("The approvers have until %(when)s.", when=long_time(result.deadline))
    if result.approval_asked_again:
        message += " " + _("The approvers were asked again.")
    if result.scheduled_again:
        message += " " + _("The hold is lifted and the item is scheduled.")
    flash(message, "success")
    local = result.after.astimezone(settings.zone).date()
    target = _back()
    if target == url_for("calendar.calendar"):
        target = url_for("calendar.calendar", day=local.isoformat())
    return redirect(target)


# ---------------------------------------------------------------------------------------- plan


def _plan_page(
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    caught: list[Draft] | None = None,
) -> Any:
    db = get_session()
    now = datetime.now(UTC)
    periods = plan.quiet_periods(db, now)
    from schedules.slots import items_in_quiet_period

    return render_template(
        "calendar/plan.html",
        slots=plan.slots(db),
        goals=plan.goals(db),
        periods=periods,
        inside={p.id: items_in_quiet_period(db, p) for p in periods},
        municipalities=_municipalities(),
        channels=CHANNEL_NAMES,
        weekdays=WEEKDAYS,
        weekday_name=weekday_name,
        errors=errors or {},
        form=form or {},
        caught=caught,
        may_change=_user().may_create(),
        today=_today(),
        rhythm=rhythm(db, _today(), current_settings().zone),
    ), status


@bp.get("/calendar/plan")
def plan_page() -> Any:
    """The posting plan: recurring slots, rhythm goals and quiet periods."""
    return _plan_page()


def _require_planner() -> None:
    if not _user().may_create():
        abort(403)


def _refuse(problems: list[tuple[str, str]], prefix: str) -> Any:
    form = {f"{prefix}{k}": v for k, v in request.form.items()}
    form["weekdays"] = ",".join(request.form.getlist("weekdays"))
    errors = {f"{prefix}{name}": problem_text(name, code) for name, code in problems}
    return _plan_page(422, errors, form)


@bp.post("/calendar/plan/slots")
def add_slot() -> Any:
    _require_planner()
    db = get_session()
    data, problems = plan.check_slot(
        request.form.get("channel", ""),
        request.form.getlist("weekdays"),
        request.form.get("local_time", "").strip(),
        request.form.get("every_weeks", "1"),
        _today(),
    )
    if data is None:
        return _refuse(problems, "slot_")
    plan.add_slot(db, data, datetime.now(UTC))
    db.commit()
    flash(_("The slot is added."), "success")
    return redirect(url_for("calendar.plan_page"))


@bp.post("/calendar/plan/slots/<int:id>/delete")
def delete_slot(id: int) -> Any:
    _require_planner()
    db = get_session()
    if not plan.delete_slot(db, id):
        abort(404)
    db.commit()
    flash(_("The slot is removed."), "success")
    return redirect(url_for("calendar.plan_page"))


@bp.post("/calendar/plan/goals")
def set_goal() -> Any:
    _require_planner()
    db = get_session()
    data, problems = plan.check_goal(
        request.form.get("channel", ""),
        request.form.get("per_month_min", "").strip(),
        request.form.get("per_month_max", "").strip(),
    )
    if data is None:
        return _refuse(problems, "goal_")
    plan.set_goal(db, *data, now=datetime.now(UTC))
    db.commit()
    flash(_("The rhythm goal is saved."), "success")
    return redirect(url_for("calendar.plan_page"))


@bp.post("/calendar/plan/goals/<int:id>/delete")
def delete_goal(id: int) -> Any:
    _require_planner()
    db = get_session()
    if not plan.delete_goal(db, id):
        abort(404)
    db.commit()
    flash(_("The rhythm goal is removed."), "success")
    return redirect(url_for("calendar.plan_page"))


@bp.post("/calendar/plan/quiet")
def add_quiet() -> Any:
    _require_planner()
    db, settings = get_session(), current_settings()
    f = request.form
    data, problems = plan.check_quiet(
        f.get("title", ""),
        f.get("reason", ""),
        f.get("first_day", ""),
        f.get("last_day", ""),
        f.get("municipality", ""),
        f.get("channel", ""),
        {m.slug for m in _municipalities()},
    )
    if data is None:
        return _refuse(problems, "quiet_")
    period, caught = plan.add_quiet_period(
        db, data, settings.zone, datetime.now(UTC), _user().username
    )
    db.commit()
    if caught:
        flash(
            _(
                "The quiet period is saved. %(count)s planned items fall inside it and must be "
                "moved; they are listed below.",
                count=len(caught),
            ),
            "warning",
        )
    else:
        flash(_("The quiet period is saved."), "success")
    return redirect(url_for("calendar.plan_page") + f"#quiet-{period.id}")


@bp.post("/calendar/plan/quiet/<int:id>/delete")
def delete_quiet(id: int) -> Any:
    _require_planner()
    db = get_session()
    if not plan.delete_quiet_period(db, id):
        abort(404)
    db.commit()
    flash(_("The quiet period is removed."), "success")
    return redirect(url_for("calendar.plan_page"))


# ---------------------------------------------------------------------------------------- feed


@bp.get("/calendar/feed")
def feed_page() -> Any:
    """The user's private iCal feed: make one, or revoke it."""
    return render_template(
        "calendar/feed.html", has_feed=feed.has_feed(get_session(), _user()), url=None
    )


@bp.post("/calendar/feed")
def make_feed() -> Any:
    db = get_session()
    secret = feed.create_feed(db, _user(), datetime.now(UTC))
    db.commit()
    url = url_for("calendar.ical", secret=secret, _external=True)
    return render_template("calendar/feed.html", has_feed=True, url=url)


@bp.post("/calendar/feed/revoke")
def revoke_feed() -> Any:
    db = get_session()
    feed.revoke_feeds(db, _user(), datetime.now(UTC))
    db.commit()
    flash(_("The feed address no longer works."), "success")
    return redirect(url_for("calendar.feed_page"))


@bp.get("/calendar/feed/<secret>.ics")
@public
def ical(secret: str) -> Any:
    """The schedule as iCalendar, for the user whose secret this is."""
    db, settings = get_session(), current_settings()
    if len(secret) > 100 or feed.feed_user(db, secret) is None:
        abort(404)
    statuses = {
        k: str(v) for k, v in {**labels.STATUS_LABELS, **labels.DELIVERY_STATUS_LABELS}.items()
    }
    body = feed.ical(
        db,
        _today(),
        settings.zone,
        "-//Publisher//Calendar//DA",
        url_for("drafts.detail", id=0, _external=True).replace("/0", "/{id}"),
        statuses,
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
