"""Every UI text has its Danish translation, and the compiled catalogues match the sources."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "publisher"
CATALOGUES = ROOT / "translations"


def _catalogue(lang: str):
    with (CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def _source_msgids() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2),
                                         "_l": None, "lazy_gettext": None},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_text_in_the_code_is_in_the_danish_catalogue():
    danish = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue("da") if m.id}
    missing = sorted(_source_msgids() - danish)
    assert missing == [], "run scripts/i18n and translate: " + "; ".join(missing[:10])


def test_every_danish_entry_is_translated():
    untranslated = [m.id for m in _catalogue("da") if m.id and not (
        m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == []


def test_the_compiled_catalogues_match_their_sources():
    for lang in ("da", "en"):
        source = _catalogue(lang)
        with (CATALOGUES / lang / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
            compiled = read_mo(fh)
        expected = io.BytesIO()
        write_mo(expected, source)
        expected.seek(0)
        rebuilt = read_mo(expected)
        assert {m.id: m.string for m in compiled if m.id} == \
            {m.id: m.string for m in rebuilt if m.id}, f"recompile {lang}: scripts/i18n compile"
