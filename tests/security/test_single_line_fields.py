"""Problem 11: control characters were accepted in links (https://example.org/a\\r\\nb) and
titles (BEL, ESC, right-to-left override), and a title of only zero-width characters passed
"not blank"."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from drafts.text_rules import bad_characters, fold_single_line, visible
from drafts.validation import clean_draft_input

BASE = {"title": "Koncert", "initiative": "music", "municipalities": ["roskilde"],
        "channels": ["facebook"]}


def check(**changes: object) -> dict[str, str]:
    data, errors = clean_draft_input({**BASE, **changes}, zone=ZoneInfo("Europe/Copenhagen"),
                                     municipalities={"roskilde"}, initiatives={"music"})
    return {e.field: e.code for e in errors}


@pytest.mark.parametrize("link", ["https://example.org/a\r\nb", "https://example.org/a b",
                                  "https://example.org/\x00", "https://example.org/\x7f",
                                  "https://example.org/\tx"])
def test_a_link_with_a_control_character_or_space_is_refused(link):
    assert check(link=link) == {"link": "invalid_url"}


@pytest.mark.parametrize("title", ["Ring\x07ring", "Esc\x1b[31m", "Koncert \u202eedrå"])
def test_a_title_with_a_control_character_or_direction_override_is_refused(title):
    assert check(title=title) == {"title": "invalid_characters"}


@pytest.mark.parametrize("title", ["\u200b\u200b", "\u200d\ufeff ", "\u00ad"])
def test_a_title_of_only_invisible_characters_is_blank(title):
    assert check(title=title) == {"title": "required"}


def test_line_breaks_in_a_title_fold_into_one_space():
    data, errors = clean_draft_input({**BASE, "title": "Koncert\r\n\u2028i\u0085Roskilde"},
                                     zone=ZoneInfo("Europe/Copenhagen"),
                                     municipalities={"roskilde"}, initiatives={"music"})
    assert errors == [] and data is not None
    assert data.title == "Koncert i Roskilde"


def test_the_body_keeps_its_line_breaks_but_not_other_control_characters():
    assert check(body="Første linje\n\nAnden linje") == {}
    assert check(body="Bip\x07") == {"body": "invalid_characters"}


def test_the_rules_themselves():
    assert fold_single_line(" a\n\tb\u2029c ") == "a b c"
    assert bad_characters("ok\u202etext") == ["\u202e"]
    assert visible("\u200bx\u200c") == "x"


def test_an_admin_form_name_with_a_control_character_is_refused(client, admin):
    client.login("admin")
    response = client.post_form("/admin/approvers/new", {
        "name": "Rikke\x1b Formand", "email": "rikke@example.org", "municipality": "1",
        "role": "chair", "locale": "da", "active": "1"})
    assert response.status_code == 422
    assert "kontroltegn" in response.get_data(as_text=True)
