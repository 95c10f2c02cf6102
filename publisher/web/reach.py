"""Reach pages: the dashboard, CSV, the attribution help, the Citatboks and the status report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from channels.base import reason_text
from drafts.models import CHANNEL_NAMES, Initiative, Municipality
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.reach import report as reports
from publisher.flows.reach.citatboks import citatboks
from publisher.flows.reach.collect import problems as collection_problems
from publisher.flows.reach.drafting import citatboks_draft
from publisher.flows.reach.params import Problem, parse_query
from publisher.flows.reach.query import LINK_CHANNEL, Query, change, channels_in, reach
from publisher.flows.reach.rollup import METRICS
from publisher.i18n import lang

bp = Blueprint("reach", __name__)


def problem_text(problem: Problem) -> str:
    """A reach-question problem in the user's language."""
    field = {
        "from": _("From"),
        "to": _("To"),
        "municipality": _("Municipality"),
        "initiative": _("Initiative"),
        "channel": _("Channel"),
    }.get(problem.field, problem.field)
    text = {
        "bad_date": _("Write the date as YYYY-MM-DD."),
        "reversed": _("The end date is before the start date."),
        "too_long": _("Choose a period of at most three years."),
        "unknown": _("Unknown value."),
        "required": _("Choose a municipality."),
    }[problem.code]
    return f"{field}: {text}"


def _today() -> Any:
    zone = current_settings().zone
    return datetime.now(UTC).astimezone(zone).date()


def _choices() -> dict[str, Any]:
    db = get_session()
    return {
        "municipalities": db.scalars(
            select(Municipality).where(Municipality.active).order_by(Municipality.name)
        ).all(),
        "initiatives": db.scalars(
            select(Initiative).where(Initiative.active).order_by(Initiative.name)
        ).all(),
        "channels": [*CHANNEL_NAMES, LINK_CHANNEL],
        "channel_label": reports.channel_label,
        "metric_label": reports.metric_label,
        "metrics": METRICS,
        "number": lambda v: reports.number(v, lang()),
        "change": change,
        "reason_text": lambda reason: reason_text(reason, lang()),
    }


def _query(
    need_municipality: bool = False, default: str = "recent"
) -> tuple[Query | None, list[str]]:
    found, problems = parse_query(
        get_session(), request.args, _today(), need_municipality=need_municipality, default=default
    )
    return found, [problem_text(p) for p in problems]


@bp.get("/reach")
def dashboard() -> Any:
    """Reach per municipality (or the region), initiative and channel over a period."""
    query, errors = _query()
    ctx = _choices()
    if query is None:
        return render_template(
            "reach/dashboard.html", errors=errors, args=request.args, data=None, **ctx
        ), 400
    data = reach(get_session(), query)
    built = reports.build(data, current_app.extensions["organisation"].name, lang())
    return render_template(
        "reach/dashboard.html",
        errors=[],
        args=request.args,
        data=data,
        built=built,
        trend_svg=Markup(built.trend_svg),
        channel_svg=Markup(built.channel_svg),
        channel_order=channels_in(data),
        problems=collection_problems(get_session())[:20],
        **ctx,
    )


@bp.get("/reach.csv")
def export_csv() -> Any:
    """The dashboard's items and totals as CSV."""
    query, errors = _query()
    if query is None:
        return Response("\n".join(errors) + "\n", 400, mimetype="text/plain")
    text = reports.csv_text(reach(get_session(), query))
    name = (
        f"reach-{query.municipality.slug if query.municipality else 'region'}-"
        f"{query.period.start}-{query.period.end}.csv"
    )
    return Response(
        text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/reach/help")
def help_page() -> Any:
    """How figures are collected and credited to municipalities."""
    return render_template("reach/help.html")


@bp.get("/reach/citatboks")
def citatboks_page() -> Any:
    """The Citatboks for a municipality and a period (default: last calendar month)."""
    query, errors = _query(need_municipality=bool(request.args), default="last_month")
    ctx = _choices()
    if query is None or query.municipality is None:
        return render_template(
            "reach/citatboks.html", errors=errors, args=request.args, text=None, **ctx
        ), (400 if errors else 200)
    data = reach(get_session(), query)
    text = citatboks(data, current_app.extensions["organisation"].name, lang())
    return render_template(
        "reach/citatboks.html", errors=[], args=request.args, text=text, query=query, **ctx
    )


@bp.post("/reach/citatboks/draft")
def citatboks_to_draft() -> Any:
    """Turn an (edited) Citatboks into a draft post for the municipality."""
    user = g.user
    if not user.may_create():
        flash(_("You may not create drafts."), "error")
        return redirect(url_for("reach.citatboks_page"))
    db = get_session()
    zone = current_settings().zone
    draft, problems = citatboks_draft(
        db,
        request.form.get("text", ""),
        request.form.get("municipality", ""),
        request.form.get("initiative", ""),
        user=user,
        actor=actor(),
        now=datetime.now(UTC),
        zone=zone,
    )
    if draft is None:
        for problem in problems:
            flash(problem.message(lang()), "error")
        return redirect(
            url_for(
                "reach.citatboks_page",
                municipality=request.form.get("municipality", ""),
                **{"from": request.form.get("from", ""), "to": request.form.get("to", "")},  # type: ignore[arg-type]
            )
        )
    db.commit()
    flash(_("The Citatboks is now a draft. Check it and send it for approval."), "success")
    return redirect(url_for("drafts.detail", id=draft.id))


@bp.get("/reach/report")
def report() -> Any:
    """The committee status report: print-ready HTML, or ?format=docx for Word."""
    query, errors = _query(need_municipality=True, default="last_month")
    if query is None or query.municipality is None:
        ctx = _choices()
        return render_template(
            "reach/citatboks.html", errors=errors, args=request.args, text=None, **ctx
        ), 400
    return report_response(query, request.args.get("format", "html"))


def report_response(query: Query, fmt: str) -> Any:
    """The report for `query` as html, docx or csv (shared with the API)."""
    data = reach(get_session(), query)
    org = current_app.extensions["organisation"].name
    built = reports.build(data, org, lang(), chart_prefix="report")
    assert query.municipality is not None
    title = _(
        "Status for %(municipality)s in %(org)s", municipality=query.municipality.name, org=org
    )
    period = reports.period_label(query.period.start, query.period.end, lang())
    base = f"status-{query.municipality.slug}-{query.period.start}-{query.period.end}"
    if fmt == "docx":
        body = reports.docx_bytes(built, title, period)
        return Response(
            body,
            mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            headers={"Content-Disposition": f'attachment; filename="{base}.docx"'},
        )
    if fmt == "csv":
        return Response(
            reports.csv_text(data),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{base}.csv"'},
        )
    return render_template(
        "reach/report.html",
        title=title,
        period=period,
        data=data,
        built=built,
        trend_svg=Markup(built.trend_svg),
        channel_svg=Markup(built.channel_svg),
        channel_order=channels_in(data),
        **_choices(),
    )
