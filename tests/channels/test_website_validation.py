"""The website's limits: a title of at most 200 characters, a body, and web image types."""

from __future__ import annotations

from typing import Any

import pytest

from channels.base import Account, ChannelSettings, MediaItem, Post
from channels.website import WebsiteAdapter, slug_for


def problems(**kwargs: Any) -> list[tuple[str, str]]:
    fields: dict[str, Any] = {"text": "Tekst", "title": "Titel", "html": "<p>Tekst</p>"}
    fields.update(kwargs)
    adapter = WebsiteAdapter(
        Account("website", "Site", "redaktion", {"application_password": "x"}),
        ChannelSettings(base_url="http://site.test"),
    )
    return [(p.field, p.code) for p in adapter.validate(Post(marker="m", **fields))]


def image(mime_type: str, path: str | None = "/tmp/a") -> MediaItem:
    return MediaItem(url="http://x.test/a", path=path, mime_type=mime_type)


def test_a_complete_article_passes() -> None:
    assert problems() == []


def test_it_requires_a_title() -> None:
    assert problems(title="  ") == [("title", "required")]


def test_it_accepts_a_title_of_exactly_200_characters() -> None:
    assert problems(title="å" * 200) == []


def test_it_refuses_a_title_of_201_characters() -> None:
    assert problems(title="å" * 201) == [("title", "too_long")]


def test_it_requires_a_body() -> None:
    assert problems(text=" ", html=None) == [("body", "required")]


def test_a_plain_text_body_is_enough() -> None:
    assert problems(html=None) == []


@pytest.mark.parametrize("mime_type", ["image/jpeg", "image/png", "image/gif", "image/webp"])
def test_it_accepts_web_image_types(mime_type: str) -> None:
    assert problems(media=[image(mime_type)]) == []


@pytest.mark.parametrize("mime_type", ["image/tiff", "image/heic", "application/pdf"])
def test_it_refuses_other_media_types(mime_type: str) -> None:
    assert problems(media=[image(mime_type)]) == [("media[0]", "media_type")]


def test_it_needs_the_image_file_to_upload_it() -> None:
    assert problems(media=[image("image/png", path=None)]) == [("media[0]", "media_missing")]


def test_the_slug_depends_only_on_the_marker() -> None:
    assert slug_for("D17/Website:A1") == "d17-website-a1"
    assert slug_for("!!!") == slug_for("!!!") != ""
