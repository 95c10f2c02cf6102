"""X's weighted text length (twitter-text config v3) and the URL detector it relies on.

The rules (platforms.md §6.2): the text is normalised to NFC; code points in U+0000–U+10FF,
U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1, every other code point weighs 2; an emoji
sequence weighs 2 in total however many code points it has; every URL weighs 23.

What counts as one emoji sequence here:

- a pictographic base (`EMOJI_RANGES`, close to Unicode's Extended_Pictographic; © and ® only
  when followed by U+FE0F, because as plain text they weigh 1), followed by any run of U+FE0F,
  skin-tone modifiers (U+1F3FB–U+1F3FF) and tag characters (U+E0020–U+E007F, the subdivision
  flags), optionally joined by U+200D (ZWJ) to further such elements — so a ZWJ family is one;
- a pair of regional indicators (a flag); a third, unpaired one weighs 2 on its own;
- a keycap: 0-9, # or *, an optional U+FE0F, then U+20E3.

Anything else — a lone ZWJ, a lone skin tone, U+FE0E — is weighed as an ordinary code point.

What counts as a URL (`find_urls`), a deliberately small version of twitter-text's extractor:

- `http://` or `https://` (any case) followed by one or more URL characters: ASCII letters and
  digits, ``-._~:/?#[]@!$&'()*+,;=%``, and any other Unicode letter or digit;
- a bare domain: ASCII labels of letters, digits and hyphens joined by dots, ending in one of
  `COMMON_TLDS` (any case) and not followed by a letter, digit or hyphen; then an optional
  `:port` and an optional `/path` of URL characters;
- a URL never starts right after an ASCII letter or digit or one of ``@＠#＃$_.-/`` (so e-mail
  addresses, mentions and hashtags are not URLs);
- trailing ``.,:;!?'"`` and an unbalanced trailing ``)`` or ``]`` are not part of the URL.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
EMOJI_WEIGHT = 2

# (first, last) code points weighing 1; everything else weighs 2.
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# Close to Unicode's Extended_Pictographic property (emoji-data.txt), as inclusive ranges.
EMOJI_RANGES = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
    (0x231A, 0x231B), (0x2328, 0x2328), (0x2388, 0x2388), (0x23CF, 0x23CF),
    (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
    (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712),
    (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721),
    (0x2728, 0x2728), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747),
    (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757),
    (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F),
    (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171), (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5), (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA),
    (0x1F400, 0x1F53D), (0x1F546, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F),
    (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945),
    (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
)  # fmt: skip

TEXT_STYLE_EMOJI = frozenset({0x00A9, 0x00AE})  # emoji only with U+FE0F after them
VS16 = 0xFE0F
ZWJ = 0x200D
KEYCAP = 0x20E3
KEYCAP_BASES = frozenset(map(ord, "0123456789#*"))
REGIONAL_INDICATORS = (0x1F1E6, 0x1F1FF)
# Code points that stick to the emoji element before them: VS16, skin tones, tag characters.
EMOJI_TRAILERS = ((VS16, VS16), (0x1F3FB, 0x1F3FF), (0xE0020, 0xE007F))

COMMON_TLDS = (
    "com", "org", "net", "info", "biz", "io", "co", "app", "dev", "me", "tv", "ly", "eu",
    "dk", "fo", "gl", "se", "no", "fi", "is", "de", "uk", "nl", "be", "fr", "es", "it", "at",
    "ch", "pl", "nu", "gov", "edu", "int", "museum",
)  # fmt: skip

_URL_CHAR = r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|[^\W_])"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_TLD = "(?:" + "|".join(sorted(COMMON_TLDS, key=len, reverse=True)) + ")"
_URL_RE = re.compile(
    r"(?<![A-Za-z0-9@＠#＃$_.\-/])"
    r"(?:"
    rf"https?://{_URL_CHAR}+"
    r"|"
    rf"(?:{_LABEL}\.)+{_TLD}(?![A-Za-z0-9-])(?::[0-9]{{1,5}})?(?:/{_URL_CHAR}*)?"
    r")",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,:;!?'\""
_PROTOCOL_RE = re.compile(r"https?://", re.IGNORECASE)


def _in(ranges: tuple[tuple[int, int], ...], cp: int) -> bool:
    return any(first <= cp <= last for first, last in ranges)


def _trim(url: str) -> str:
    """Drop punctuation that ends a sentence rather than the URL."""
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCTUATION:
            url = url[:-1]
        elif last == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        elif last == "]" and url.count("]") > url.count("["):
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) spans of the URLs in `text`, as the module docstring defines."""
    spans = []
    for match in _URL_RE.finditer(text):
        url = _trim(match.group())
        protocol = _PROTOCOL_RE.match(url)
        if protocol and protocol.end() == len(url):
            continue  # nothing left after "https://"
        spans.append((match.start(), match.start() + len(url)))
    return spans


def _emoji_element_end(cps: list[int], i: int) -> int:
    """Index after the emoji element starting at `i`, or `i` when none starts there."""
    cp = cps[i]
    nxt = cps[i + 1] if i + 1 < len(cps) else None
    if cp in TEXT_STYLE_EMOJI:
        if nxt != VS16:
            return i
    elif not _in(EMOJI_RANGES, cp):
        return i
    i += 1
    while i < len(cps) and _in(EMOJI_TRAILERS, cps[i]):
        i += 1
    return i


def _emoji_sequence_end(cps: list[int], i: int) -> int:
    """Index after the emoji sequence starting at `i`, or `i` when none starts there."""
    cp = cps[i]
    if cp in KEYCAP_BASES:
        j = i + 1
        if j < len(cps) and cps[j] == VS16:
            j += 1
        return j + 1 if j < len(cps) and cps[j] == KEYCAP else i
    if _in((REGIONAL_INDICATORS,), cp):
        pair = i + 1 < len(cps) and _in((REGIONAL_INDICATORS,), cps[i + 1])
        return i + 2 if pair else i
    end = _emoji_element_end(cps, i)
    while end > i and end + 1 < len(cps) and cps[end] == ZWJ:
        after = _emoji_element_end(cps, end + 1)
        if after == end + 1:
            break
        end = after
    return end


def _plain_length(text: str) -> int:
    """Weigh text that holds no URL: emoji sequences 2, other code points by range."""
    cps = [ord(ch) for ch in text]
    total, i = 0, 0
    while i < len(cps):
        end = _emoji_sequence_end(cps, i)
        if end > i:
            total += EMOJI_WEIGHT
            i = end
        else:
            total += 1 if _in(LIGHT_RANGES, cps[i]) else 2
            i += 1
    return total


def weighted_length(text: str) -> int:
    """Return the length X counts for `text` (twitter-text v3 weighting, URLs as 23)."""
    text = unicodedata.normalize("NFC", text)
    total, pos = 0, 0
    for start, end in find_urls(text):
        total += _plain_length(text[pos:start]) + URL_WEIGHT
        pos = end
    return total + _plain_length(text[pos:])
