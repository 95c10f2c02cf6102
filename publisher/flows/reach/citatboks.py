"""The Citatboks: a short text for a municipality and a period, in the seed's style.

"I oktober 2026 har Halsnæs Kommunes borgere haft glæde af disse aktiviteter i
Kulturmetropolen: …" — the activities by name, then the figures in plain words. Names come from
the database and the organisation file, never from the code. Written in the locale asked for
(Danish or English) through the message catalogues.
"""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal
from flask_babel import force_locale, gettext

from publisher.flows.reach.query import Period, Reach

MAX_ACTIVITIES = 6


def citatboks(data: Reach, org_name: str, locale: str = "da") -> str:
    """The text for `data` (a municipality's reach over a period) in `locale`."""
    muni = data.query.municipality
    assert muni is not None, "a Citatboks is written for one municipality"
    with force_locale(locale):
        period = period_phrase(data.query.period, locale)
        titles = activities(data)
        if not titles:
            return gettext(
                "%(period)s %(org)s published nothing about %(municipality)s Municipality.",
                period=period,
                org=org_name,
                municipality=muni.name,
            )
        shown = titles[:MAX_ACTIVITIES]
        if len(titles) > len(shown):
            shown.append(gettext("%(n)s others", n=len(titles) - len(shown)))
        first = gettext(
            "%(period)s, residents of %(municipality)s Municipality have enjoyed these "
            "activities in %(org)s: %(activities)s.",
            period=period,
            municipality=muni.name,
            org=org_name,
            activities=format_list(shown, locale=locale),
        )
        return f"{first} {figures_sentence(data, locale)}"


def activities(data: Reach) -> list[str]:
    """Distinct titles, the items that reached most people first."""
    seen: list[str] = []
    for item in data.top(len(data.items)):
        if item.title not in seen:
            seen.append(item.title)
    return seen


def figures_sentence(data: Reach, locale: str) -> str:
    """The figures that exist, in plain words; a plain statement when none do yet."""
    totals = data.totals

    def n(value: int | None) -> str:
        return format_decimal(value or 0, locale=locale)

    parts = []
    if totals["reach"] is not None:
        parts.append(gettext("%(n)s people reached", n=n(totals["reach"])))
    if totals["views"] is not None:
        parts.append(gettext("%(n)s views", n=n(totals["views"])))
    if totals["engagements"] is not None:
        parts.append(gettext("%(n)s interactions", n=n(totals["engagements"])))
    if totals["clicks"] is not None:
        parts.append(gettext("%(n)s clicks", n=n(totals["clicks"])))
    if totals["opens"] is not None:
        parts.append(gettext("%(n)s newsletter opens", n=n(totals["opens"])))
    if not parts:
        return gettext("The figures for the period have not been collected yet.")
    return gettext("Together that made %(figures)s.", figures=format_list(parts, locale=locale))


def period_phrase(period: Period, locale: str) -> str:
    """ "I oktober 2026" for a calendar month, else "I perioden 3. oktober–17. oktober 2026"."""
    if (
        period.start.day == 1
        and _is_month_end(period.end)
        and (period.start.year, period.start.month) == (period.end.year, period.end.month)
    ):
        return gettext("In %(month)s", month=format_date(period.start, "MMMM y", locale=locale))
    return gettext(
        "From %(start)s to %(end)s",
        start=format_date(period.start, "long", locale=locale),
        end=format_date(period.end, "long", locale=locale),
    )


def _is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1
