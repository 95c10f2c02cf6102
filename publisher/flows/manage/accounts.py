"""A channel account's non-secret settings, and testing its connection.

Settings live in the account's `options` (a JSON object the adapters read); which keys each
platform takes and what a value must look like is written down once here, for the web form and
the API alike. Secrets never pass through here: they come from the environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from drafts.models import ChannelAccount
from drafts.states import Actor, audit
from publisher.config import Settings
from publisher.flows.accounts import check_connection
from publisher.flows.firstday import paused

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Option:
    """One setting: its kind for the API document, a check, and what the check wants (da, en)."""

    kind: str  # "string" | "integer" | "boolean"
    check: Callable[[Any], bool]
    da: str
    en: str
    description: str
    label_da: str = ""
    label_en: str = ""

    def label(self, lang: str = "da") -> str:
        return self.label_en if lang == "en" else self.label_da


def _text(max_len: int, pattern: str | None = None) -> Callable[[Any], bool]:
    regex = re.compile(pattern) if pattern else None
    return lambda v: (isinstance(v, str) and len(v) <= max_len and "\x00" not in v
                      and (regex is None or v == "" or bool(regex.fullmatch(v))))


def _whole(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _email(v: Any) -> bool:
    return isinstance(v, str) and (v == "" or (len(v) <= 254 and bool(EMAIL.fullmatch(v))))


OPTIONS: dict[str, dict[str, Option]] = {
    "newsletter": {
        "from_name": Option("string", _text(100), "Højst 100 tegn.", "At most 100 characters.",
                            "The sender name subscribers see.",
            label_da="Afsendernavn", label_en="Sender name"),
        "reply_to": Option("string", _email, "En e-mailadresse.", "An email address.",
                           "Where replies to the newsletter go.",
            label_da="Svar-adresse", label_en="Reply-to address"),
        "list_id": Option("string", _text(64, r"[A-Za-z0-9_-]+"),
                          "Bogstaver, tal, - og _ (højst 64).",
                          "Letters, digits, - and _ (at most 64).",
                          "The Mailchimp audience (list) id, if not the account's own id.",
            label_da="Modtagerliste (audience-id)", label_en="Audience (list) id"),
        "merge_field": Option("string", _text(10, r"[A-Z][A-Z0-9_]*"),
                              "Store bogstaver, tal og _ (højst 10), f.eks. KOMMUNE.",
                              "Capitals, digits and _ (at most 10), e.g. KOMMUNE.",
                              "The merge field holding the subscriber's municipality.",
            label_da="Flettefelt med kommunen", label_en="Merge field holding the municipality"),
        "organisation": Option("string", _text(160), "Højst 160 tegn.",
                               "At most 160 characters.", "The organisation named in mails.",
            label_da="Organisationens navn i mails", label_en="Organisation named in mails"),
        "segment_by_municipality": Option(
            "boolean", lambda v: isinstance(v, bool), "true eller false.", "true or false.",
            "Send each post only to the subscribers of its municipalities (by merge_field).",
            label_da="Send kun til modtagere i opslagets kommuner",
            label_en="Send only to subscribers in the post’s municipalities"),
        "status_if_new": Option(
            "string", lambda v: v in ("subscribed", "pending"), "subscribed eller pending.",
            "subscribed or pending.", "How a new sign-up joins the audience (pending: they "
            "confirm by mail first).",
            label_da="Nye tilmeldinger (subscribed eller pending)",
            label_en="New sign-ups (subscribed or pending)"),
    },
    "instagram": {
        "max_hashtags": Option("integer", _whole(0, 30), "Et heltal fra 0 til 30.",
                               "A whole number from 0 to 30.", "The house limit on hashtags.",
            label_da="Højst antal hashtags", label_en="Most hashtags"),
    },
    "x": {
        "username": Option("string", _text(15, r"[A-Za-z0-9_]+"),
                           "Bogstaver, tal og _ (højst 15).",
                           "Letters, digits and _ (at most 15).",
                           "The account's handle, for links to its posts.",
            label_da="Brugernavn (uden @)", label_en="Handle (without @)"),
    },
    "facebook": {},
    "website": {},
}


@dataclass(frozen=True)
class SettingProblem:
    field: str
    code: str
    da: str
    en: str

    def message(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da


def check_options(platform: str, changes: dict[str, Any]) -> list[SettingProblem]:
    """What is wrong with `changes` to a `platform` account's options (None removes a key)."""
    known = OPTIONS.get(platform, {})
    found: list[SettingProblem] = []
    for key, value in changes.items():
        option = known.get(key)
        if option is None:
            names = ", ".join(sorted(known)) or "—"
            found.append(SettingProblem(f"options.{key}", "unknown_option",
                                        f"Ukendt indstilling for denne platform ({names}).",
                                        f"Not a setting of this platform ({names})."))
        elif value is not None and not option.check(value):
            found.append(SettingProblem(f"options.{key}", "invalid", option.da, option.en))
    return found


def update_account(session: Session, account: ChannelAccount, *, now: datetime, actor: Actor,
                   name: str | None = None, options: dict[str, Any] | None = None
                   ) -> list[SettingProblem]:
    """Change an account's name and non-secret options (audited); no commit."""
    changes = options or {}
    found = check_options(account.platform, changes)
    if name is not None and not (0 < len(name.strip()) <= 160):
        found.append(SettingProblem("name", "invalid", "Angiv et navn (højst 160 tegn).",
                                    "Enter a name (at most 160 characters)."))
    if found:
        return found
    changed: list[str] = []
    if name is not None and name.strip() != account.name:
        account.name = name.strip()
        changed.append("name")
    merged = dict(account.options or {})
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value.strip() if isinstance(value, str) else value
    if merged != (account.options or {}):
        changed += [f"options.{k}" for k in sorted(changes)]
        account.options = merged  # a new dict, so the JSON column sees the change
    if changed:
        audit(session, action="account.updated", actor=actor, now=now,
              details={"account_id": account.id, "platform": account.platform,
                       "changed": changed})
        # Deliveries paused for this account's configuration go out again after a fix.
        paused.resume(session, account, now, actor)
    return []


def test_account(session: Session, settings: Settings, account: ChannelAccount, *,
                 now: datetime, actor: Actor) -> bool:
    """Ask the platform whether the account works; store and audit the answer; no commit."""
    ok = check_connection(settings, account, now)
    audit(session, action="account.tested", actor=actor, now=now,
          details={"account_id": account.id, "health": account.health})
    return ok
