"""X's weighted length (platforms.md §6.2) and the URL detector it relies on."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.x_text import EMOJI_RANGES, find_urls, weighted_length

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
CODER = "\U0001f469\U0001f3fd\u200d\U0001f4bb"  # woman technologist, medium skin tone
DANISH_FLAG = "\U0001f1e9\U0001f1f0"
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
THUMB_TONE = "\U0001f44d\U0001f3fd"
KEYCAP_ONE = "1\ufe0f\u20e3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a" * 280, 280),
        ("Koncert i Kulturhuset på lørdag", 31),
        ("æøå ÆØÅ", 7),
        ("日本語", 6),
        ("中" * 140, 280),
        ("한국어", 6),
        ("“citat” – ‘svar’ ′", 18),  # U+2010–U+201F and U+2032 weigh 1
        ("…", 2),  # U+2026 lies outside the light ranges
        ("e\u0301", 1),  # NFC makes é
        ("A\u030a", 1),  # NFC makes Å
        ("q\u0301", 2),  # no precomposed form: two light code points
        ("\u1100\u1161\u11a8", 2),  # NFC makes one Hangul syllable (weight 2), not three jamo
        ("😀", 2),
        (THUMB_TONE, 2),
        (FAMILY, 2),
        (CODER, 2),
        (DANISH_FLAG, 2),
        (DANISH_FLAG + "\U0001f1f8", 4),  # a flag and an unpaired regional indicator
        (ENGLAND, 2),
        (KEYCAP_ONE, 2),
        ("#\u20e3", 2),
        ("©", 1),
        ("©\ufe0f", 2),
        ("\u2764\ufe0f", 2),
        ("\U0001f468\u200da", 4),  # a ZWJ joining nothing pictographic is just a ZWJ
        ("Hej " + FAMILY + DANISH_FLAG + "!", 9),
        ("https://example.com/" + "lang-sti/" * 20, 23),
        ("Se kultur.dk", 26),
        ("Se https://kultur.dk/a og www.kultur.dk/b.", 3 + 23 + 4 + 23 + 1),
        ("(https://kultur.dk/side)", 25),
        ("mail@kultur.dk", 14),  # an e-mail address is not a URL
        ("日本 https://例え.jp/パス", 5 + 23),
    ],
)
def test_it_weighs_text_as_x_counts_it(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    ("code_point", "weight"),
    [(0x10FF, 1), (0x1100, 2), (0x1FFF, 2), (0x2000, 1), (0x200D, 1), (0x200E, 2),
     (0x2010, 1), (0x201F, 1), (0x2020, 2), (0x2031, 2), (0x2032, 1), (0x2037, 1), (0x2038, 2)],
)  # fmt: skip
def test_it_weighs_the_edges_of_the_light_ranges_exactly(code_point: int, weight: int) -> None:
    assert weighted_length(chr(code_point)) == weight


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("Læs mere på https://kultur.dk/program.", ["https://kultur.dk/program"]),
        ("HTTP://KULTUR.DK/X?a=1&b=2#top", ["HTTP://KULTUR.DK/X?a=1&b=2#top"]),
        ("www.kulturmetropolen.dk, kultur.eu og roskilde.dk:8080/x", [
            "www.kulturmetropolen.dk", "kultur.eu", "roskilde.dk:8080/x"]),
        ("(se https://da.wikipedia.org/wiki/Fil_(ord))", [
            "https://da.wikipedia.org/wiki/Fil_(ord)"]),
        ("https://kultur.dk/æbler/program", ["https://kultur.dk/æbler/program"]),
        ("example.community og kl. 12.30", []),
        ("info@kultur.dk @kultur.dk #kultur.dk", []),
        ("https:// alene", []),
        ("kultur.dk/sti🎉", ["kultur.dk/sti"]),
    ],
)  # fmt: skip
def test_it_detects_the_urls_it_documents(text: str, urls: list[str]) -> None:
    assert [text[a:b] for a, b in find_urls(text)] == urls


# --- an independent reference for the property test -------------------------------------------
# It shares only the data (EMOJI_RANGES) and the URL detector (tested above): emoji are found
# with one regular expression instead of a scanner, and weights with a plain comparison.


def _char_class(ranges: list[tuple[int, int]]) -> str:
    parts = [re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges]
    return "".join(parts)


_PICTO = _char_class([r for r in EMOJI_RANGES if r[0] not in (0xA9, 0xAE)])
_ELEMENT = f"(?:[{_PICTO}]|[\u00a9\u00ae]\ufe0f)[\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]*"
_EMOJI = re.compile(
    f"{_ELEMENT}(?:\u200d{_ELEMENT})*|[\U0001f1e6-\U0001f1ff]{{2}}|[0-9#*]\ufe0f?\u20e3"
)


def _reference_plain(text: str) -> int:
    without_emoji, count = _EMOJI.subn("", text)
    light = sum(
        1
        for ch in without_emoji
        if ord(ch) <= 0x10FF
        or 0x2000 <= ord(ch) <= 0x200D
        or 0x2010 <= ord(ch) <= 0x201F
        or 0x2032 <= ord(ch) <= 0x2037
    )
    return 2 * count + light + 2 * (len(without_emoji) - light)


def reference_length(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    spans = find_urls(text)
    edges = [0] + [i for span in spans for i in span] + [len(text)]
    plain = [text[edges[i] : edges[i + 1]] for i in range(0, len(edges), 2)]
    return 23 * len(spans) + sum(_reference_plain(part) for part in plain)


PIECES = [
    "\u200d", "\ufe0f", "\ufe0e", "\u20e3", "\U0001f3fb", "\U0001f3ff", "\U0001f1e9",
    "\U0001f1f0", "\U000e0067", "\U000e007f", "\U0001f3f4", "©", "®", "1", "#", "*", "😀",
    "\U0001f468", "\U0001f469", "\u2764", "\u0301", "\u030a", "e", "A", "\u1100", "\u1161",
    "\u11a8", "中", " ", ".", "/", "https://", "kultur.dk", "https://kultur.dk/x", "@",
    FAMILY, CODER, DANISH_FLAG, ENGLAND, THUMB_TONE, KEYCAP_ONE,
]  # fmt: skip


@given(st.lists(st.one_of(st.text(max_size=8), st.sampled_from(PIECES)), max_size=30))
def test_it_agrees_with_a_straightforward_reference_on_any_text(parts: list[str]) -> None:
    text = "".join(parts)
    assert weighted_length(text) == reference_length(text)


@given(st.text(), st.sampled_from(["https://kultur.dk/" + "x" * 60, "www.kultur.dk", "a.eu/b"]))
def test_it_counts_any_added_url_as_23(text: str, url: str) -> None:
    assert weighted_length(f"{text} {url}") == weighted_length(text) + 1 + 23
