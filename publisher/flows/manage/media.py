"""Images of a draft: checking and storing uploads, adding them, their alt texts, removing them.

The draft form and the API's media endpoints call these, so an image passes the same checks
(type, size, sides, pixels, count per draft, alt-text length) whichever way it arrives.
Problems are (field, message) pairs in the current language.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from drafts.images import ImageRejected, ImageRules, check_and_store
from drafts.models import Draft, Media
from drafts.states import Actor
from drafts.validation import LIMITS, DraftInput, clean_draft_input
from publisher.config import Settings
from publisher.flows.editing import edit_draft
from publisher.i18n import lang

Problem = tuple[str, str]


def image_rules(settings: Settings) -> ImageRules:
    """The image checks the settings ask for."""
    return ImageRules(settings.max_upload_bytes, settings.min_image_side,
                      settings.max_image_side, settings.max_image_pixels)


def chosen_files(files: list[FileStorage]) -> list[FileStorage]:
    """The file parts that carry a file (an empty file input still sends one empty part)."""
    return [f for f in files if f is not None and f.filename]


def _display_name(upload: FileStorage) -> str:
    return Path((upload.filename or "").replace("\\", "/")).name.strip()[:255] or "?"


def store_uploads(
    files: list[FileStorage], alts: list[str], settings: Settings, room: int
) -> tuple[list[Media], list[Problem]]:
    """Check and store each uploaded image; return unsaved Media rows and the problems found."""
    chosen = chosen_files(files)
    problems: list[Problem] = []
    if len(chosen) > room:
        problems.append(("images", _(
            "A draft can have at most %(max)s images; you can add %(room)s more.",
            max=settings.images_per_draft, room=max(room, 0))))
        return [], problems
    for text in alts:
        if len(text) > LIMITS["alt_text"]:
            problems.append(("new_alt", _("An alt text can have at most %(max)s characters.",
                                          max=LIMITS["alt_text"])))
            break
    rules = image_rules(settings)
    media: list[Media] = []
    for index, upload in enumerate(chosen):
        name = _display_name(upload)
        data = upload.stream.read(settings.max_upload_bytes + 1)
        try:
            stored = check_and_store(data, rules, Path(settings.upload_dir))
        except ImageRejected as exc:
            problems.append(("images", f"{name}: {exc.message(lang())}"))
            continue
        media.append(Media(
            filename=name, stored_name=stored.stored_name, mime_type=stored.mime_type,
            width=stored.width, height=stored.height, size_bytes=stored.size_bytes,
            sha256=stored.sha256, alt_text=alts[index][:LIMITS["alt_text"]]
            if index < len(alts) else "",
        ))
    return media, problems




def raw_input(draft: Draft) -> dict[str, Any]:
    """The draft's current values in the shape clean_draft_input reads (for partial updates)."""
    def iso(value: Any) -> str:
        return value.isoformat() if value is not None else ""

    return {
        "kind": draft.kind, "title": draft.title, "body": draft.body, "link": draft.link,
        "initiative": draft.initiative.slug,
        "municipalities": [m.slug for m in draft.municipalities],
        "channels": list(draft.channels or []),
        "desired_at": iso(draft.desired_at), "event_start": iso(draft.event_start),
        "event_end": iso(draft.event_end),
        "venue": draft.venue, "address": draft.address, "price": draft.price,
        "ticket_url": draft.ticket_url, "audience": draft.audience,
        "variants": {v.channel: v.text for v in draft.variants},
    }


def _unchanged(draft: Draft, settings: Settings) -> DraftInput:
    """The draft's own fields as input, so an image change leaves the text as it is."""
    raw = raw_input(draft)
    data, errors = clean_draft_input(raw, zone=settings.zone,
                                     municipalities=set(raw["municipalities"]),
                                     initiatives={raw["initiative"]})
    if data is None:  # stored values always pass; if not, say so rather than guess
        raise ValueError("; ".join(e.message("en") for e in errors))
    return data


def add_images(session: Any, draft: Draft, files: list[FileStorage], alts: list[str],
               settings: Settings, *, actor: Actor, now: datetime
               ) -> tuple[list[Media], list[Problem]]:
    """Check, store and attach uploaded images (a new version of the draft); no commit.

    Raises drafts.service.NotEditable when the draft can no longer change.
    """
    if not chosen_files(files):
        return [], [("image", _("Choose an image to upload."))]
    room = settings.images_per_draft - len(draft.media)
    media, problems = store_uploads(files, alts, settings, room)
    if problems:
        return [], problems
    edit_draft(session, draft, _unchanged(draft, settings), actor=actor, now=now,
               new_media=media)
    return media, []


def change_image(session: Any, draft: Draft, media_id: int, settings: Settings, *,
                 actor: Actor, now: datetime, alt_text: str | None = None,
                 remove: bool = False) -> list[Problem]:
    """Change one image's alt text, or remove it from the draft; no commit."""
    if alt_text is not None and len(alt_text.strip()) > LIMITS["alt_text"]:
        return [("alt_text", _("An alt text can have at most %(max)s characters.",
                               max=LIMITS["alt_text"]))]
    edit_draft(session, draft, _unchanged(draft, settings), actor=actor, now=now,
               remove_media={media_id} if remove else None,
               alt_texts={media_id: alt_text.strip()} if alt_text is not None else None)
    return []
