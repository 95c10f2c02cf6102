"""What may be in a single-line field (a title, a name, a subject) and in a URL.

Single-line fields end up in mail headers, platform titles and HTML attributes, where a line
break or a control character either breaks the mail (the mail library refuses a subject with a
newline) or changes what is shown (a right-to-left override reverses the text that follows).

- Line breaks (CR, LF, NEL, U+2028, U+2029), tabs and other white space fold into one space.
- Other control characters (BEL, ESC, DEL, …) and bidirectional overrides are refused.
- Invisible characters (zero-width spaces and joiners, soft hyphens, the BOM …) do not count
  when checking that a field is not blank.
- A URL may not contain any character at or below U+0020, nor U+007F.
"""

from __future__ import annotations

import re
import unicodedata

_BREAKS = re.compile(r"[\s\u0085\u2028\u2029]+")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def fold_single_line(value: str) -> str:
    """`value` on one line: every run of line breaks and white space becomes one space."""
    return _BREAKS.sub(" ", value).strip()


def bad_characters(value: str, *, multiline: bool = False) -> list[str]:
    """The control characters and bidi overrides in `value` (tab and LF allowed if multiline)."""
    allowed = {"\n", "\t", "\r"} if multiline else set()
    return [c for c in value if c not in allowed and (
        unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS)]


def visible(value: str) -> str:
    """`value` without invisible (format) characters and surrounding white space."""
    return "".join(c for c in value if unicodedata.category(c) != "Cf").strip()


def clean_single_line(value: str) -> tuple[str, bool]:
    """(folded value, ok): ok is False when a forbidden character remains after folding."""
    folded = fold_single_line(value)
    return folded, not bad_characters(folded)


def url_has_bad_characters(value: str) -> bool:
    """True when a URL holds a character ≤ U+0020 or U+007F (spaces, CR, LF, tabs, NUL, DEL)."""
    return any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value)
