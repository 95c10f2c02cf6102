"""What the public forms say about each problem code, in the reader's language (Babel)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

FIELD_WORDS: dict[str, Any] = {
    "required": _l("Please fill in this field."),
    "too_long": _l("Please shorten this to at most %(max)s characters."),
    "invalid_email": _l("This does not look like an email address. Check it, e.g. "
                        "name@example.dk."),
    "invalid_phone": _l("Write the phone number with digits only, e.g. 12 34 56 78."),
    "unknown": _l("Choose one of the municipalities in the list."),
    "invalid_datetime": _l("Write the date and time as YYYY-MM-DD HH:MM."),
    "out_of_range": _l("The year must be between 2000 and 2100."),
    "dst_gap": _l("That time does not exist (clocks go forward). Choose an hour later."),
    "dst_ambiguous": _l("That time happens twice (clocks go back). Choose another time."),
    "in_past": _l("The activity has to be in the future."),
    "before_start": _l("The end has to be after the start."),
    "alt_required": _l("Describe the image in a sentence for people who cannot see it."),
    "image_empty": _l("The image file is empty."),
    "image_too_large": _l("The image is too large (at most %(limit)s MB)."),
    "image_not_image": _l("The file is not an image we can read (JPEG, PNG or WebP)."),
    "image_format": _l("The image format %(format)s is not supported (use JPEG, PNG or WebP)."),
    "image_too_small": _l("The image is too small: at least %(min)s pixels each way."),
    "image_too_big": _l("The image is too big: at most %(max)s pixels each way."),
}

SIGNUP_WORDS: dict[str, Any] = {
    "no_newsletter": _l("The newsletter is not open for sign-up right now. Please try again "
                        "later."),
    "not_configured": _l("The newsletter cannot take sign-ups right now because of a setup "
                         "problem on our side. We have been told; please try again later."),
    "address_refused": _l("The newsletter service refuses this address. Check that it is "
                          "spelled correctly, or use another address."),
    "bounced": _l("Mail to this address has bounced before, so the newsletter service will not "
                  "take it again. Please use another address."),
    "unavailable": _l("The newsletter service did not answer. Nothing was saved; please try "
                      "again in a few minutes."),
}


def field_message(code: str, params: dict[str, Any] | None = None) -> str:
    """The words for a field problem code."""
    words = FIELD_WORDS.get(code, FIELD_WORDS["required"])
    return str(words) % params if params else str(words)


def rate_limited(minutes: int) -> str:
    return _("You have sent this form many times in a short while. Please wait %(minutes)s "
             "minutes and try again.", minutes=minutes)
