"""What a delivery's problem is, in plain words that match its status.

The words come from two things together: the delivery's status (is a retry scheduled? is it
final? is it waiting for a person?) and the class of its last error (would trying again help?).
A promise such as "we will try again" is made only while a retry really is scheduled, and then
with its time; a failed delivery never promises one. The UI, the API and the mails all use this.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from channels.base import ErrorKind, reason_text
from schedules.models import DeliveryStatus, held_reason_text

# The class of error each reason key stands for. The adapters decide the class when they raise;
# a delivery keeps only the key, and these are the keys only ever raised as one class.
TRANSIENT_REASONS = frozenset({"rate_limited", "platform_unavailable", "media_processing",
                               "not_ready"})
UNKNOWN_REASONS = frozenset({"outcome_unknown"})


def reason_kind(reason: str) -> ErrorKind:
    """The class of error a stored reason key stands for."""
    if reason in TRANSIENT_REASONS:
        return ErrorKind.RETRYABLE
    if reason in UNKNOWN_REASONS:
        return ErrorKind.UNKNOWN
    return ErrorKind.PERMANENT


def when_text(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    """A moment as people in the organisation's zone read it, e.g. "28.11.2026 kl. 14:05"."""
    local = moment.astimezone(zone)
    if lang == "en":
        return f"{local:%d %b %Y} at {local:%H:%M}"
    return f"{local:%d.%m.%Y} kl. {local:%H:%M}"


def _pick(lang: str, da: str, en: str) -> str:
    return en if lang == "en" else da


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def problem_text(
    status: str,
    reason: str,
    *,
    held_reason: str = "",
    next_attempt_at: datetime | None = None,
    attempts: int = 0,
    zone: ZoneInfo,
    lang: str = "da",
) -> str:
    """The problem a delivery has, or "" when it has none to tell (published, cancelled, due)."""
    cause = reason_text(reason, lang) if reason else ""
    if status == DeliveryStatus.HELD:
        return held_reason_text(held_reason, lang)
    if status == DeliveryStatus.FAILED:
        return _join(cause, _final(reason, attempts, lang))
    if status in (DeliveryStatus.PUBLISHED, DeliveryStatus.CANCELLED) or not reason:
        return ""
    when = when_text(next_attempt_at, zone, lang) if next_attempt_at is not None else ""
    if status == DeliveryStatus.UNCONFIRMED:
        return _join(cause, _pick(
            lang,
            f"Vi spørger platformen, om opslaget kom ud, før det sendes igen ({when})."
            if when else "Vi spørger platformen, om opslaget kom ud, før det sendes igen.",
            f"We will ask the platform whether it went out before sending it again ({when})."
            if when else "We will ask the platform whether it went out before sending it again.",
        ))
    if status == DeliveryStatus.RUNNING:
        return _join(cause, _pick(lang, "Vi prøver igen nu.", "Trying again now."))
    if when:  # scheduled, with a retry booked
        return _join(cause, _pick(lang, f"Vi prøver igen automatisk {when}.",
                                  f"We will try again automatically on {when}."))
    return cause


def _final(reason: str, attempts: int, lang: str) -> str:
    """What a failed delivery waits for: never the worker, always a person."""
    if reason_kind(reason) is ErrorKind.PERMANENT:
        return _pick(lang,
                     "Vi prøver ikke igen automatisk. Ret årsagen, og vælg «Prøv igen nu».",
                     "We will not try again automatically. Fix the cause, then choose "
                     "“Retry now”.")
    return _pick(lang,
                 f"Vi har givet op efter {attempts} forsøg og prøver ikke igen automatisk. "
                 "Vælg «Prøv igen nu», når platformen svarer igen.",
                 f"We gave up after {attempts} attempts and will not try again automatically. "
                 "Choose “Retry now” when the platform answers again.")
