"""Reading the draft form: raw values for `clean_draft_input`, uploads as Media rows, image edits.

Problems are (field, message) pairs in the current language. Nothing here touches the session:
Media rows are returned unsaved, so a refused form leaves no row behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from drafts.localtime import is_ambiguous
from drafts.models import CHANNEL_NAMES, Draft
from drafts.validation import LIMITS

Problem = tuple[str, str]

TEXT_FIELDS = ("kind", "title", "body", "link", "initiative", "venue", "address", "price",
               "ticket_url", "audience")
MOMENT_FIELDS = ("desired_at", "event_start", "event_end")


def draft_raw(form: MultiDict[str, str]) -> dict[str, Any]:
    """The raw dict `clean_draft_input` expects, from a submitted draft form."""
    raw: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS + MOMENT_FIELDS}
    raw["municipalities"] = form.getlist("municipalities")
    raw["channels"] = form.getlist("channels")
    for name in MOMENT_FIELDS:
        fold = form.get(name + "_fold")
        if fold in ("0", "1"):
            raw[name + "_fold"] = fold
    if form.get("publish_now"):  # the explicit choice: no time, out as soon as approved
        raw["desired_at"], raw["publish_now"] = "", "1"
    raw["variants"] = {
        c: form.get(f"variant_{c}", "") for c in CHANNEL_NAMES
        if form.get(f"variant_{c}", "").strip()
    }
    return raw


def local_input(moment: datetime | None, zone: ZoneInfo) -> tuple[str, str | None]:
    """A UTC instant as a datetime-local value in `zone`, and its fold if the time is ambiguous."""
    if moment is None:
        return "", None
    local = moment.astimezone(zone)
    naive = local.replace(tzinfo=None, fold=0)
    fold = str(local.fold) if is_ambiguous(naive, zone) else None
    return local.strftime("%Y-%m-%dT%H:%M"), fold


def draft_values(draft: Draft, zone: ZoneInfo) -> dict[str, Any]:
    """The form values that show `draft` as it is stored."""
    values: dict[str, Any] = {name: getattr(draft, name) or "" for name in TEXT_FIELDS
                              if name != "initiative"}
    values["initiative"] = draft.initiative.slug if draft.initiative else ""
    values["municipalities"] = [m.slug for m in draft.municipalities]
    values["channels"] = list(draft.channels or [])
    for name in MOMENT_FIELDS:
        text, fold = local_input(getattr(draft, name), zone)
        values[name] = text
        if fold is not None:
            values[name + "_fold"] = fold
    values["variants"] = {v.channel: v.text for v in draft.variants}
    return values


def empty_values(initiative: str = "") -> dict[str, Any]:
    """The values of a new, empty form."""
    values: dict[str, Any] = {name: "" for name in TEXT_FIELDS + MOMENT_FIELDS}
    values.update(kind="post", initiative=initiative, municipalities=[], channels=[],
                  variants={})
    return values


def new_alt_texts(form: MultiDict[str, str]) -> list[str]:
    """Alt texts for new uploads: one field per file, or one line per file in a single field."""
    texts: list[str] = []
    for entry in form.getlist("new_alt"):
        texts.extend(line.strip() for line in entry.replace("\r\n", "\n").split("\n"))
    return texts


def media_changes(
    form: MultiDict[str, str], draft: Draft
) -> tuple[set[int], dict[int, str], list[Problem]]:
    """Images of `draft` to remove, their new alt texts, and problems with them."""
    ids = {m.id for m in draft.media}
    remove = {int(v) for v in form.getlist("remove_media") if v.isdigit() and int(v) in ids}
    alts: dict[int, str] = {}
    problems: list[Problem] = []
    for item in draft.media:
        key = f"alt_{item.id}"
        if key not in form:
            continue
        text = form.get(key, "").replace("\r\n", "\n").strip()
        if len(text) > LIMITS["alt_text"]:
            problems.append((key, _("An alt text can have at most %(max)s characters.",
                                    max=LIMITS["alt_text"])))
        alts[item.id] = text
    return remove, alts, problems
