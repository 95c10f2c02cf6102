"""Checking draft input from any door (web form, JSON API, CLI) in one place.

`clean_draft_input` takes raw values (strings and lists, as a form or JSON gives them) and returns
either a `DraftInput` with typed values or a list of `FieldError`s, each naming its field and
saying what is wrong in Danish and English. Nothing is changed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from drafts.localtime import AmbiguousLocalTime, NonexistentLocalTime, local_to_utc
from drafts.models import CHANNEL_NAMES, Kind
from drafts.text_rules import (
    bad_characters,
    clean_single_line,
    url_has_bad_characters,
    visible,
)

LIMITS = {
    "title": 200,
    "body": 20000,
    "link": 2000,
    "venue": 200,
    "address": 300,
    "price": 100,
    "ticket_url": 2000,
    "audience": 200,
    "variant": 5000,
    "alt_text": 1000,
}


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    da: str
    en: str

    def message(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da


@dataclass
class DraftInput:
    kind: str
    title: str
    body: str
    link: str
    initiative: str
    municipalities: list[str]
    channels: list[str]
    desired_at: datetime | None  # UTC
    event_start: datetime | None  # UTC
    event_end: datetime | None  # UTC
    venue: str = ""
    address: str = ""
    price: str = ""
    ticket_url: str = ""
    audience: str = ""
    variants: dict[str, str] = field(default_factory=dict)


SINGLE_LINE = ("title", "venue", "address", "price", "audience")  # see drafts.text_rules


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    return value.replace("\r\n", "\n").strip()


def _list(raw: dict[str, Any], name: str) -> list[str]:
    value = raw.get(name) or []
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, list | tuple):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


def parse_moment(
    value: str, zone: ZoneInfo, fold: int | None, name: str
) -> tuple[datetime | None, FieldError | None]:
    """Read a time: ISO with offset = that instant; without = wall-clock time in `zone`."""
    if not value:
        return None, None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None, FieldError(
            name, "invalid_datetime",
            "Ugyldig dato og tid. Brug formatet ÅÅÅÅ-MM-DD TT:MM.",
            "Invalid date and time. Use the format YYYY-MM-DD HH:MM.",
        )
    if not 2000 <= parsed.year <= 2100:
        return None, FieldError(
            name, "out_of_range", "Året skal ligge mellem 2000 og 2100.",
            "The year must be between 2000 and 2100.",
        )
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC), None
    try:
        return local_to_utc(parsed, zone, fold), None
    except NonexistentLocalTime as exc:
        s = exc.suggestion
        return None, FieldError(
            name, "dst_gap",
            f"{parsed:%d.%m.%Y kl. %H.%M} findes ikke (uret stilles frem til sommertid). "
            f"Vælg fx {s:%H.%M}.",
            f"{parsed:%Y-%m-%d %H:%M} does not exist (clocks go forward for summer time). "
            f"Choose for example {s:%H:%M}.",
        )
    except AmbiguousLocalTime:
        return None, FieldError(
            name, "dst_ambiguous",
            f"{parsed:%d.%m.%Y kl. %H.%M} forekommer to gange (uret stilles tilbage). "
            "Vælg om det er den første (sommertid) eller anden (vintertid).",
            f"{parsed:%Y-%m-%d %H:%M} happens twice (clocks go back). "
            "Choose the first (summer time) or the second (winter time).",
        )


def _fold(raw: dict[str, Any], name: str) -> int | None:
    value = raw.get(name + "_fold")
    if value in (0, 1, "0", "1"):
        return int(value)
    return None


def clean_draft_input(
    raw: dict[str, Any],
    *,
    zone: ZoneInfo,
    municipalities: set[str],
    initiatives: set[str],
) -> tuple[DraftInput | None, list[FieldError]]:
    """Check raw draft values; return the typed input, or None and every problem found."""
    errors: list[FieldError] = []

    def err(name: str, code: str, da: str, en: str) -> None:
        errors.append(FieldError(name, code, da, en))

    kind = _text(raw, "kind") or Kind.POST.value
    if kind not in {k.value for k in Kind}:
        err("kind", "invalid_choice", "Ukendt type.", "Unknown kind.")
    texts = {n: _text(raw, n) for n in
             ("title", "body", "link", "venue", "address", "price", "ticket_url", "audience")}
    for name in SINGLE_LINE:
        texts[name], ok = clean_single_line(texts[name])
        if not ok:
            err(name, "invalid_characters",
                "Teksten indeholder kontroltegn eller tegn, der vender skriveretningen.",
                "The text contains control characters or characters that reverse the "
                "writing direction.")
    if bad_characters(texts["body"], multiline=True):
        err("body", "invalid_characters",
            "Teksten indeholder kontroltegn eller tegn, der vender skriveretningen.",
            "The text contains control characters or characters that reverse the "
            "writing direction.")
    if not visible(texts["title"]):
        err("title", "required", "Skriv en titel.", "Enter a title.")
    for name, value in texts.items():
        if len(value) > LIMITS[name]:
            err(name, "too_long",
                f"Højst {LIMITS[name]} tegn (der er {len(value)}).",
                f"At most {LIMITS[name]} characters (there are {len(value)}).")
    for name in ("link", "ticket_url"):
        if url_has_bad_characters(texts[name]):
            err(name, "invalid_url", "En adresse må ikke indeholde mellemrum, linjeskift eller "
                "kontroltegn.", "An address may not contain spaces, line breaks or control "
                "characters.")
        elif texts[name] and not is_http_url(texts[name]):
            err(name, "invalid_url", "Skriv en fuld adresse, der begynder med https://.",
                "Enter a full address starting with https://.")

    initiative = _text(raw, "initiative")
    if not initiative:
        err("initiative", "required", "Vælg en indsats.", "Choose an initiative.")
    elif initiative not in initiatives:
        err("initiative", "unknown", f"Ukendt indsats: {initiative[:60]}.",
            f"Unknown initiative: {initiative[:60]}.")

    chosen = _list(raw, "municipalities")
    unknown = [m for m in chosen if m not in municipalities]
    if not chosen:
        err("municipalities", "required", "Vælg mindst én kommune.",
            "Choose at least one municipality.")
    elif unknown:
        names = ", ".join(u[:40] for u in unknown[:5])
        err("municipalities", "unknown", f"Ukendt kommune: {names}.",
            f"Unknown municipality: {names}.")

    channels = _list(raw, "channels")
    bad = [c for c in channels if c not in CHANNEL_NAMES]
    if bad:
        names = ", ".join(b[:40] for b in bad[:5])
        err("channels", "unknown", f"Ukendt kanal: {names}.", f"Unknown channel: {names}.")

    moments: dict[str, datetime | None] = {}
    for name in ("desired_at", "event_start", "event_end"):
        moment, problem = parse_moment(_text(raw, name), zone, _fold(raw, name), name)
        moments[name] = moment
        if problem:
            errors.append(problem)
    if kind == Kind.EVENT.value and not moments["event_start"] and not any(
        e.field == "event_start" for e in errors
    ):
        err("event_start", "required", "Et arrangement skal have et starttidspunkt.",
            "An event needs a start time.")
    start, end = moments["event_start"], moments["event_end"]
    if start and end and end < start:
        err("event_end", "before_start", "Sluttidspunktet ligger før starttidspunktet.",
            "The end is before the start.")

    variants_raw = raw.get("variants") or {}
    variants: dict[str, str] = {}
    if not isinstance(variants_raw, dict):
        err("variants", "invalid", "Varianter skal angives pr. kanal.",
            "Variants must be given per channel.")
    else:
        for channel, text in variants_raw.items():
            if channel not in CHANNEL_NAMES:
                err("variants", "unknown", f"Ukendt kanal: {str(channel)[:40]}.",
                    f"Unknown channel: {str(channel)[:40]}.")
                continue
            value = (str(text) if text is not None else "").replace("\r\n", "\n").strip()
            if len(value) > LIMITS["variant"]:
                err(f"variants.{channel}", "too_long", f"Højst {LIMITS['variant']} tegn.",
                    f"At most {LIMITS['variant']} characters.")
            elif value:
                variants[channel] = value

    if errors:
        return None, errors
    return DraftInput(
        kind=kind,
        title=texts["title"],
        body=texts["body"],
        link=texts["link"],
        initiative=initiative,
        municipalities=sorted(set(chosen)),
        channels=[c for c in CHANNEL_NAMES if c in channels],
        desired_at=moments["desired_at"],
        event_start=start,
        event_end=end,
        venue=texts["venue"],
        address=texts["address"],
        price=texts["price"],
        ticket_url=texts["ticket_url"],
        audience=texts["audience"],
        variants=variants,
    ), []
