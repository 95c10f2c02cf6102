"""Draft input checking: each problem is named by field, in Danish and English."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from drafts.validation import clean_draft_input

ZONE = ZoneInfo("Europe/Copenhagen")
MUNIS = {"halsnaes", "ishoj"}
INITS = {"music"}


def _clean(**raw):
    base = {"title": "Koncert", "initiative": "music", "municipalities": ["halsnaes"]}
    base.update(raw)
    return clean_draft_input(base, zone=ZONE, municipalities=MUNIS, initiatives=INITS)


def _codes(errors):
    return {(e.field, e.code) for e in errors}


def test_good_input_comes_back_typed_and_in_utc():
    data, errors = _clean(desired_at="2026-12-01T10:00", channels=["x", "facebook"])
    assert errors == []
    assert data.desired_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert data.channels == ["facebook", "x"]


def test_an_offset_time_is_taken_as_that_instant():
    data, _ = _clean(desired_at="2026-12-01T10:00:00+00:00")
    assert data.desired_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"title": ""}, ("title", "required")),
        ({"title": "x" * 201}, ("title", "too_long")),
        ({"body": "x" * 20001}, ("body", "too_long")),
        ({"link": "kulturmetropolen.dk"}, ("link", "invalid_url")),
        ({"link": "javascript:alert(1)"}, ("link", "invalid_url")),
        ({"initiative": "painting"}, ("initiative", "unknown")),
        ({"municipalities": []}, ("municipalities", "required")),
        ({"municipalities": ["gotham"]}, ("municipalities", "unknown")),
        ({"channels": ["myspace"]}, ("channels", "unknown")),
        ({"desired_at": "tomorrow"}, ("desired_at", "invalid_datetime")),
        ({"desired_at": "1900-01-01T10:00"}, ("desired_at", "out_of_range")),
        ({"desired_at": "2026-03-29T02:30"}, ("desired_at", "dst_gap")),
        ({"desired_at": "2026-10-25T02:30"}, ("desired_at", "dst_ambiguous")),
        ({"kind": "event"}, ("event_start", "required")),
        ({"kind": "event", "event_start": "2026-12-01T12:00", "event_end": "2026-12-01T11:00"},
         ("event_end", "before_start")),
        ({"kind": "poem"}, ("kind", "invalid_choice")),
        ({"variants": {"x": "y" * 5001}}, ("variants.x", "too_long")),
        ({"variants": "text"}, ("variants", "invalid")),
    ],
)
def test_each_bad_value_is_named_with_a_reason(raw, expected):
    data, errors = _clean(**raw)
    assert data is None
    assert expected in _codes(errors)
    for error in errors:
        assert error.message("da") and error.message("en")
        assert error.message("da") != error.message("en")


def test_the_gap_message_suggests_a_time_that_exists():
    _, errors = _clean(desired_at="2026-03-29T02:30")
    assert "03.00" in errors[0].message("da")
    assert "03:00" in errors[0].message("en")


def test_the_overlap_is_resolved_by_an_explicit_choice():
    data, _ = _clean(desired_at="2026-10-25T02:30", desired_at_fold="1")
    assert data.desired_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
