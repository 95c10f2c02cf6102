"""Danish first, English second: locale choice, and dates, times and numbers per locale."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, g, request, session
from flask_babel import Babel, format_datetime, get_locale

from publisher.config import Settings, current_settings


def select_locale() -> str:
    """The visitor's choice (session), then a logged-in user's, then the organisation default."""
    settings = current_settings()
    allowed = settings.locale_list
    chosen = session.get("locale")
    if chosen in allowed:
        return str(chosen)
    user = g.get("user")
    if user is not None and user.locale in allowed:
        return str(user.locale)
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(allowed)
        if best:
            return best
    return settings.default_locale


def select_timezone() -> str:
    settings = current_settings()
    return settings.timezone


def lang() -> str:
    """The current locale as "da" or "en"."""
    return str(get_locale() or "da")


# One way of writing a moment per language, everywhere (pages, mails, tables), in the
# organisation's zone: "lør. 28. nov. 2026 kl. 14.30" / "Sat 28 Nov 2026 at 14:30".
DATETIME_FORMATS = {"da": "EEE d. MMM y 'kl.' HH.mm", "en": "EEE d MMM y 'at' HH:mm"}


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """Format a UTC instant in the organisation's zone for the current locale (`fmt` is kept
    for callers; every moment is written the one way the language uses)."""
    if value is None:
        return ""
    return str(format_datetime(value, DATETIME_FORMATS.get(lang(), DATETIME_FORMATS["da"])))


def init_app(app: Flask, settings: Settings) -> None:
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_locale=settings.default_locale,
        default_timezone=settings.timezone,
    )
    app.jinja_env.filters["localdt"] = local_datetime
    app.jinja_env.globals["current_lang"] = lang
