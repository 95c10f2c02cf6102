"""Reach over the API: figures per municipality and period, the Citatboks, the status report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from flask_babel import force_locale
from marshmallow import fields

from drafts.validation import FieldError
from publisher.api import problems
from publisher.api.base import bp, documented
from publisher.api.schemas import Text
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.reach.citatboks import citatboks
from publisher.flows.reach.params import Problem, parse_query
from publisher.flows.reach.query import Figures, Query, Reach, reach
from publisher.flows.reach.rollup import METRICS

WORDS: dict[str, tuple[str, str]] = {
    "bad_date": ("Skriv datoen som ÅÅÅÅ-MM-DD.", "Write the date as YYYY-MM-DD."),
    "reversed": ("Slutdatoen ligger før startdatoen.", "The end date is before the start date."),
    "too_long": ("Vælg en periode på højst tre år.", "Choose a period of at most three years."),
    "unknown": ("Ukendt værdi.", "Unknown value."),
    "required": ("Vælg en kommune.", "Choose a municipality."),
    "invalid_choice": ("Ukendt værdi.", "Unknown value."),
}


class ReachArgsSchema(ma.Schema):
    municipality = Text(
        metadata={
            "description": "Municipality slug; leave out for the whole region (each item once)."
        }
    )
    from_ = Text(
        data_key="from",
        metadata={
            "description": "First day, YYYY-MM-DD (Copenhagen); default 30 days ago / last month."
        },
    )
    to = Text(metadata={"description": "Last day, YYYY-MM-DD, included."})
    initiative = Text(metadata={"description": "Initiative slug."})
    channel = Text(
        metadata={"enum": ["facebook", "instagram", "website", "newsletter", "x", "link"]}
    )


class CitatboksArgsSchema(ReachArgsSchema):
    municipality = Text(required=True)
    lang = Text(load_default="da", validate=ma.validate.OneOf(["da", "en"]))


class ReportArgsSchema(CitatboksArgsSchema):
    format = Text(load_default="html", validate=ma.validate.OneOf(["html", "docx", "csv"]))


def _metrics_schema() -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            m: fields.Integer(
                required=True, allow_none=True, metadata={"description": "null: no data"}
            )
            for m in METRICS
        },
        name="ReachMetrics",
    )


MetricsSchema = _metrics_schema()


class ReachItemSchema(ma.Schema):
    draft_id = fields.Integer(required=True)
    title = fields.String(required=True)
    channel = fields.String(required=True)
    published_at = fields.DateTime(required=True, allow_none=True)
    metrics = fields.Nested(MetricsSchema, required=True)


class ReachSchema(ma.Schema):
    municipality = fields.String(required=True, allow_none=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    totals = fields.Nested(MetricsSchema, required=True)
    previous_totals = fields.Nested(MetricsSchema, required=True)
    by_channel = fields.Dict(
        keys=fields.String(), values=fields.Nested(MetricsSchema), required=True
    )
    items = fields.List(fields.Nested(ReachItemSchema), required=True)


class CitatboksSchema(ma.Schema):
    municipality = fields.String(required=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    lang = fields.String(required=True)
    text = fields.String(required=True)


def _query(
    args: dict[str, Any], *, need_municipality: bool, default: str
) -> tuple[Query | None, Any]:
    raw = {
        k: v
        for k, v in (
            ("municipality", args.get("municipality")),
            ("from", args.get("from_")),
            ("to", args.get("to")),
            ("initiative", args.get("initiative")),
            ("channel", args.get("channel")),
        )
        if v is not None
    }
    zone = current_settings().zone
    today = datetime.now(UTC).astimezone(zone).date()
    query, found = parse_query(
        get_session(), raw, today, need_municipality=need_municipality, default=default
    )
    if query is None:
        return None, problems.invalid([_field_error(p) for p in found])
    return query, None


def _field_error(problem: Problem) -> FieldError:
    da, en = WORDS[problem.code]
    return FieldError(problem.field, problem.code, da, en)


def _figures(figures: Figures) -> dict[str, int | None]:
    return {m: figures[m] for m in METRICS}


def reach_dict(data: Reach) -> dict[str, Any]:
    """The API's answer for one reach query."""
    q = data.query
    return {
        "municipality": q.municipality.slug if q.municipality else None,
        "from_": q.period.start,
        "to": q.period.end,
        "totals": _figures(data.totals),
        "previous_totals": _figures(data.previous_totals),
        "by_channel": {c: _figures(f) for c, f in data.by_channel.items()},
        "items": [
            {
                "draft_id": i.draft_id,
                "title": i.title,
                "channel": i.channel,
                "published_at": i.published_at,
                "metrics": _figures(i.metrics),
            }
            for i in data.items
        ],
    }


@bp.route("/reach", methods=["GET"], tags=["reach"])
@bp.arguments(ReachArgsSchema, location="query")
@bp.response(200, ReachSchema)
@documented(401, 422)
@bp.doc(operationId="getReach")
def get_reach(args: dict[str, Any]) -> Any:
    """Reach for a municipality (or the region) over a period: totals, per channel, per item.

    An item counts in full for every municipality it is tagged with; newsletter figures are
    those of the municipality's subscribers; tracked share-link clicks count for the link's
    municipality. Metrics with no data are null, never 0.
    """
    query, error = _query(args, need_municipality=False, default="recent")
    if query is None:
        return error
    return reach_dict(reach(get_session(), query))


@bp.route("/reach/citatboks", methods=["GET"], tags=["reach"])
@bp.arguments(CitatboksArgsSchema, location="query")
@bp.response(200, CitatboksSchema)
@documented(401, 422)
@bp.doc(operationId="getCitatboks")
def get_citatboks(args: dict[str, Any]) -> Any:
    """The Citatboks text for a municipality and period (default: last calendar month)."""
    query, error = _query(args, need_municipality=True, default="last_month")
    if query is None or query.municipality is None:
        return error
    data = reach(get_session(), query)
    text = citatboks(data, current_app.extensions["organisation"].name, args["lang"])
    return {
        "municipality": query.municipality.slug,
        "from_": query.period.start,
        "to": query.period.end,
        "lang": args["lang"],
        "text": text,
    }


@bp.route("/reach/report", methods=["GET"], tags=["reach"])
@bp.arguments(ReportArgsSchema, location="query")
@bp.response(
    200,
    description="The report: text/html, a Word file "
    "(application/vnd.openxmlformats-officedocument.wordprocessingml.document) or "
    "text/csv, per `format`.",
    content_type="text/html",
)
@documented(401, 422)
@bp.doc(operationId="getReachReport")
def get_report(args: dict[str, Any]) -> Any:
    """The committee status report for a municipality and period, as HTML, DOCX or CSV."""
    from publisher.web.reach import report_response  # the same report the pages give

    query, error = _query(args, need_municipality=True, default="last_month")
    if query is None:
        return error
    with force_locale(args["lang"]):
        return report_response(query, args["format"])
