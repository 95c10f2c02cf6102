"""The queue's query string: filters, sorting and paging, checked and turned into SQL.

Every filter runs in the database and works the same on SQLite and PostgreSQL. A value that is
not understood becomes a (field, message) problem instead of an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, String, case, cast, func
from werkzeug.datastructures import MultiDict

from drafts.models import CHANNEL_NAMES, Draft, Initiative, Kind, Municipality
from drafts.states import Status

Problem = tuple[str, str]

SORT_KEYS = ("desired_at", "updated_at", "title", "status")
DEFAULT_SORT = "-updated_at"
FILTER_NAMES = ("status", "municipality", "initiative", "channel", "kind", "date_from",
                "date_to", "q")
MAX_SEARCH = 200
MIN_YEAR, MAX_YEAR = 2000, 2100  # as drafts.validation accepts for times


@dataclass
class QueueQuery:
    """What the queue was asked to show."""

    status: str = ""
    municipality: str = ""
    initiative: str = ""
    channel: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    raw: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments that reproduce this view, with `changes` applied."""
        out = {k: v for k, v in self.raw.items() if v and k in FILTER_NAMES}
        if self.sort != DEFAULT_SORT:
            out["sort"] = self.sort
        out.update(changes)
        return {k: v for k, v in out.items() if v not in ("", None)}

    @property
    def active(self) -> bool:
        return any(self.raw.get(name) for name in FILTER_NAMES)


def _choice(args: MultiDict[str, str], name: str, allowed: set[str], message: str,
            q: QueueQuery) -> str:
    value = args.get(name, "").strip()
    if value and value not in allowed:
        q.problems.append((name, message % {"value": value[:60]}))
        return ""
    return value


def _date(args: MultiDict[str, str], name: str, q: QueueQuery) -> date | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        q.problems.append((name, _("“%(value)s” is not a date. Use the format YYYY-MM-DD.",
                                   value=value[:40])))
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        q.problems.append((name, _("Choose a date between the years %(first)s and %(last)s.",
                                   first=MIN_YEAR, last=MAX_YEAR)))
        return None
    return day


def parse_queue_args(args: MultiDict[str, str], municipalities: set[str],
                     initiatives: set[str]) -> QueueQuery:
    """Read and check the queue's query string."""
    q = QueueQuery(raw={k: args.get(k, "") for k in FILTER_NAMES})
    q.status = _choice(args, "status", {s.value for s in Status},
                       _("Unknown status: %(value)s."), q)
    q.municipality = _choice(args, "municipality", municipalities,
                             _("Unknown municipality: %(value)s."), q)
    q.initiative = _choice(args, "initiative", initiatives, _("Unknown initiative: %(value)s."), q)
    q.channel = _choice(args, "channel", set(CHANNEL_NAMES), _("Unknown channel: %(value)s."), q)
    q.kind = _choice(args, "kind", {k.value for k in Kind}, _("Unknown kind: %(value)s."), q)
    q.date_from = _date(args, "date_from", q)
    q.date_to = _date(args, "date_to", q)
    if q.date_from and q.date_to and q.date_to < q.date_from:
        q.problems.append(("date_to", _("The end date is before the start date.")))
    q.q = args.get("q", "").strip()
    if len(q.q) > MAX_SEARCH:
        q.problems.append(("q", _("Search for at most %(max)s characters.", max=MAX_SEARCH)))
    sort = args.get("sort", DEFAULT_SORT).strip() or DEFAULT_SORT
    if sort.removeprefix("-") not in SORT_KEYS:
        q.problems.append(("sort", _("The list cannot be sorted by “%(value)s”.",
                                     value=sort[:40])))
    else:
        q.sort = sort
    page = args.get("page", "1").strip() or "1"
    if not page.isdigit() or int(page) < 1 or len(page) > 6:
        q.problems.append(("page", _("“%(value)s” is not a page number.", value=page[:20])))
    else:
        q.page = int(page)
    return q


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(q: QueueQuery, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    """SQL conditions for the filters in `q`."""
    where: list[ColumnElement[bool]] = []
    if q.status:
        where.append(Draft.status == q.status)
    if q.kind:
        where.append(Draft.kind == q.kind)
    if q.initiative:
        where.append(Draft.initiative.has(Initiative.slug == q.initiative))
    if q.municipality:
        where.append(Draft.municipalities.any(Municipality.slug == q.municipality))
    if q.channel:
        # Channels are a JSON list; its text holds each name in quotes on SQLite and PostgreSQL.
        where.append(cast(Draft.channels, String).like(f'%"{q.channel}"%'))
    if q.date_from:
        where.append(Draft.desired_at >= _local_midnight(q.date_from, zone))
    if q.date_to:
        where.append(Draft.desired_at < _local_midnight(q.date_to + timedelta(days=1), zone))
    if q.q:
        pattern = f"%{_like_escape(q.q.lower())}%"
        where.append(func.lower(Draft.title).like(pattern, escape="\\"))
    return where


def ordering(sort: str) -> list[Any]:
    """ORDER BY clauses for `sort`; drafts without a desired time come last either way."""
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    column: Any
    if key == "status":
        column = case({s.value: i for i, s in enumerate(Status)}, value=Draft.status, else_=99)
    elif key == "title":
        column = func.lower(Draft.title)
    else:
        column = getattr(Draft, key)
    clauses: list[Any] = []
    if key == "desired_at":
        clauses.append(Draft.desired_at.is_(None))
    clauses.append(column.desc() if descending else column.asc())
    clauses.append(Draft.id.desc() if descending else Draft.id.asc())
    return clauses


def apply(stmt: Select[Any], q: QueueQuery, zone: ZoneInfo) -> Select[Any]:
    """`stmt` with the filters of `q` applied (no ordering, no paging)."""
    where = conditions(q, zone)
    return stmt.where(*where) if where else stmt
