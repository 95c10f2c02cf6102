"""The calendar's words in the user's language, shared by the web pages and the API.

Flows and domain code return codes; this turns them into sentences with Babel.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _

from publisher.flows.plan.moves import MoveRefused
from publisher.i18n import lang

LONG_TIME = {"da": "EEEE 'den' d. MMMM y 'kl.' HH.mm", "en": "EEEE d MMMM y 'at' HH:mm"}


def long_time(value: Any) -> str:
    """A UTC instant as a long local (Copenhagen) time in the current language."""
    if value is None:
        return ""
    language = getattr(get_locale(), "language", "da")
    return str(format_datetime(value, LONG_TIME.get(language, LONG_TIME["da"])))


def problem_text(name: str, code: str, value: str = "") -> str:
    """Words for a (field, code) problem from the flows, in the user's language."""
    texts = {
        "unknown": _("Unknown value for %(field)s: %(value)s.", field=name, value=value),
        "not_a_date": _("“%(value)s” is not a date. Use the format YYYY-MM-DD.", value=value),
        "required": _("Fill in this field."),
        "too_long": _("The text is too long."),
        "not_a_time": _("Give the time as HH:MM, e.g. 09:00."),
        "range": _("The number is outside the allowed range."),
        "below_min": _("The maximum is below the minimum."),
        "before_first": _("The last day is before the first."),
    }
    return texts.get(code, code)


def refusal_text(exc: MoveRefused) -> list[str]:
    """The reasons a move was refused, in the user's language."""
    if exc.code == "quiet_period":
        return [
            _(
                "Nothing is published in the quiet period “%(title)s” (%(first)s – %(last)s)."
                " %(reason)s",
                title=p.title,
                first=long_time(p.starts_at),
                last=long_time(p.ends_at),
                reason=p.reason,
            )
            for p in exc.quiet
        ]
    if exc.code == "platform":
        return [f"{name}: {problem.message(lang())}" for name, problem in exc.problems]
    texts = {
        "not_movable": _("This item has been published or cancelled and can no longer move."),
        "in_past": _("Choose a time in the future."),
        "deadline_passed": _(
            "The approvers would have no time: their deadline would be %(when)s,"
            " which has passed. Choose a later time.",
            when=long_time(exc.deadline),
        ),
        "not_a_time": _("Give a date (YYYY-MM-DD) and a time (HH:MM)."),
        "gap": _(
            "That time does not exist (the clocks are put forward). Try %(when)s.",
            when=long_time(exc.deadline),
        ),
        "ambiguous": _("That time happens twice (the clocks are put back). Choose which."),
    }
    return [texts.get(exc.code, exc.code)]
