"""The committee status report (HTML and Word) and the CSV export, from one `Reach`.

The HTML is rendered by the web face from `StatusReport`; the Word file is built here with
python-docx (committee papers are Word documents), the charts as PNG beside their tables.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Cm
from flask_babel import force_locale, gettext

from publisher.flows.reach.charts import png_bars, svg_bars
from publisher.flows.reach.citatboks import citatboks
from publisher.flows.reach.query import Figures, Reach, channels_in
from publisher.flows.reach.rollup import METRICS


@dataclass
class StatusReport:
    """What a status report shows: the Citatboks, totals, charts, items."""

    data: Reach
    org_name: str
    locale: str
    citatboks: str
    trend_svg: str
    channel_svg: str


def metric_label(metric: str) -> str:
    return {
        "reach": gettext("Reach"),
        "views": gettext("Views"),
        "engagements": gettext("Engagements"),
        "clicks": gettext("Clicks"),
        "opens": gettext("Newsletter opens"),
    }[metric]


def channel_label(channel: str) -> str:
    return {
        "facebook": "Facebook",
        "instagram": "Instagram",
        "website": gettext("Website"),
        "newsletter": gettext("Newsletter"),
        "x": "X",
        "link": gettext("Shared links"),
    }.get(channel, channel)


def trend_series(data: Reach, metric: str = "reach") -> list[tuple[str, int | None]]:
    return [(str(day.day), figures[metric]) for day, figures in data.by_day.items()]


def channel_series(data: Reach, metric: str = "reach") -> list[tuple[str, int | None]]:
    return [(channel_label(c), data.by_channel[c][metric]) for c in channels_in(data)]


def label_every(data: Reach) -> int:
    return max(1, len(data.by_day) // 15)


def build(data: Reach, org_name: str, locale: str, chart_prefix: str = "reach") -> StatusReport:
    """Everything a report or dashboard needs, in `locale`."""
    with force_locale(locale):
        text = citatboks(data, org_name, locale) if data.query.municipality else ""
        trend = svg_bars(
            f"{chart_prefix}-trend",
            gettext("Reach per day"),
            _describe(trend_series(data), locale),
            trend_series(data),
            label_every(data),
        )
        chan = svg_bars(
            f"{chart_prefix}-channels",
            gettext("Reach per channel"),
            _describe(channel_series(data), locale),
            channel_series(data),
        )
    return StatusReport(data, org_name, locale, text, trend, chan)


def _describe(series: list[tuple[str, int | None]], locale: str) -> str:
    known = [(label, v) for label, v in series if v is not None]
    if not known:
        return gettext("No data for this period.")
    best = max(known, key=lambda p: p[1])
    return gettext(
        "%(count)s values; the highest is %(value)s (%(label)s). The table below the "
        "chart holds every value.",
        count=len(series),
        value=format_decimal(best[1], locale=locale),
        label=best[0],
    )


def number(value: int | None, locale: str) -> str:
    """A figure for people: "–" when there is no data."""
    return "–" if value is None else format_decimal(value, locale=locale)


def docx_bytes(report: StatusReport, title: str, period_text: str) -> bytes:
    """The status report as a Word document."""
    data, locale = report.data, report.locale
    doc = Document()
    with force_locale(locale):
        doc.add_heading(title, level=0)
        doc.add_paragraph(period_text)
        if report.citatboks:
            doc.add_heading(gettext("Citatboks"), level=1)
            doc.add_paragraph(report.citatboks)
        doc.add_heading(gettext("Figures"), level=1)
        _figures_table(doc, data.totals, data.previous_totals, locale)
        doc.add_heading(gettext("Reach per day"), level=1)
        doc.add_picture(
            io.BytesIO(png_bars(gettext("Reach per day"), trend_series(data), label_every(data))),
            width=Cm(16),
        )
        doc.add_heading(gettext("Reach per channel"), level=1)
        doc.add_picture(
            io.BytesIO(png_bars(gettext("Reach per channel"), channel_series(data))), width=Cm(16)
        )
        _channel_table(doc, data, locale)
        doc.add_heading(gettext("Activities"), level=1)
        _items_table(doc, data, locale)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _figures_table(doc: DocxDocument, now: Figures, before: Figures, locale: str) -> None:
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    head = table.rows[0].cells
    head[0].text, head[1].text, head[2].text = (
        gettext("Figure"),
        gettext("This period"),
        gettext("Previous period"),
    )
    for metric in METRICS:
        cells = table.add_row().cells
        cells[0].text = metric_label(metric)
        cells[1].text = number(now[metric], locale)
        cells[2].text = number(before[metric], locale)


def _channel_table(doc: DocxDocument, data: Reach, locale: str) -> None:
    table = doc.add_table(rows=1, cols=1 + len(METRICS))
    table.style = "Table Grid"
    head = table.rows[0].cells
    head[0].text = gettext("Channel")
    for i, metric in enumerate(METRICS, 1):
        head[i].text = metric_label(metric)
    for channel in channels_in(data):
        cells = table.add_row().cells
        cells[0].text = channel_label(channel)
        for i, metric in enumerate(METRICS, 1):
            cells[i].text = number(data.by_channel[channel][metric], locale)


def _items_table(doc: DocxDocument, data: Reach, locale: str) -> None:
    table = doc.add_table(rows=1, cols=3 + len(METRICS))
    table.style = "Table Grid"
    head = table.rows[0].cells
    head[0].text, head[1].text, head[2].text = (
        gettext("Title"),
        gettext("Channel"),
        gettext("Published"),
    )
    for i, metric in enumerate(METRICS, 3):
        head[i].text = metric_label(metric)
    for item in data.items:
        cells = table.add_row().cells
        cells[0].text = item.title
        cells[1].text = channel_label(item.channel)
        cells[2].text = (
            format_date(item.published_at, "short", locale=locale) if item.published_at else ""
        )
        for i, metric in enumerate(METRICS, 3):
            cells[i].text = number(item.metrics[metric], locale)


CSV_HEADER = ("draft_id", "title", "channel", "published_at", *METRICS)


def csv_text(data: Reach) -> str:
    """One row per item and channel, then the totals; empty cells where there is no data."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for item in data.items:
        writer.writerow(
            [
                item.draft_id,
                _safe(item.title),
                item.channel,
                item.published_at.isoformat() if item.published_at else "",
                *("" if item.metrics[m] is None else item.metrics[m] for m in METRICS),
            ]
        )
    writer.writerow(
        ["", "total", "", "", *("" if data.totals[m] is None else data.totals[m] for m in METRICS)]
    )
    return out.getvalue()


def _safe(text: str) -> str:
    """Keep spreadsheets from running a title as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def period_label(start: date, end: date, locale: str) -> str:
    first, last = (format_date(d, "long", locale=locale) for d in (start, end))
    return f"{first} – {last}"
