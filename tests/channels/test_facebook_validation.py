"""Facebook Page rules checked before anything is sent (no HTTP)."""

from __future__ import annotations

from typing import Any

from channels.base import Account, ChannelSettings, MediaItem, Post
from channels.facebook import FacebookAdapter


def adapter(**options: Any) -> FacebookAdapter:
    account = Account("facebook", "Kulturregion", "1234", {"access_token": "t"})
    return FacebookAdapter(account, ChannelSettings(base_url="http://x", options=options))


def photo(**kwargs: Any) -> MediaItem:
    fields: dict[str, Any] = {
        "url": "https://media.example.org/a.jpg",
        "width": 1200,
        "height": 900,
        "size_bytes": 300_000,
    }
    fields.update(kwargs)
    return MediaItem(**fields)


def codes(post: Post, **options: Any) -> list[str]:
    return [p.code for p in adapter(**options).validate(post)]


def test_it_accepts_a_plain_text_post() -> None:
    assert codes(Post(marker="m", text="Koncert i Køge")) == []


def test_it_refuses_an_empty_post() -> None:
    assert codes(Post(marker="m", text="  ")) == ["empty"]


def test_it_accepts_a_photo_without_text() -> None:
    assert codes(Post(marker="m", text="", media=[photo()])) == []


def test_it_caps_the_message_at_63206_characters() -> None:
    assert codes(Post(marker="m", text="a" * 63206)) == []
    assert codes(Post(marker="m", text="a" * 63207)) == ["text_too_long"]


def test_it_allows_ten_photos_with_a_short_caption() -> None:
    assert codes(Post(marker="m", text="Fotos", media=[photo()] * 10)) == []
    assert codes(Post(marker="m", text="Fotos", media=[photo()] * 11)) == ["too_many_images"]


def test_it_allows_only_four_photos_with_a_caption_over_one_kilobyte() -> None:
    caption = "æ" * 600  # 1 200 bytes in UTF-8

    assert codes(Post(marker="m", text=caption, media=[photo()] * 4)) == []
    assert codes(Post(marker="m", text=caption, media=[photo()] * 5)) == ["too_many_images"]


def test_it_refuses_a_photo_over_the_configured_size() -> None:
    big = photo(size_bytes=10 * 1024 * 1024 + 1)

    assert codes(Post(marker="m", text="x", media=[big])) == ["image_too_large"]
    assert codes(
        Post(marker="m", text="x", media=[photo(size_bytes=5_000_000)]),
        max_photo_bytes=4 * 1024 * 1024,
    ) == ["image_too_large"]


def test_it_refuses_a_link_that_is_not_http() -> None:
    assert codes(Post(marker="m", text="x", link="ftp://example.org/a")) == ["link_invalid"]
    assert codes(Post(marker="m", text="x", link="https://example.org/a")) == []


def test_it_refuses_an_image_type_facebook_does_not_take() -> None:
    assert codes(Post(marker="m", text="x", media=[photo(mime_type="image/svg+xml")])) == [
        "image_format"
    ]


def test_it_puts_the_link_in_the_message_when_photos_hide_its_preview() -> None:
    post = Post(marker="m", text="Se mere", link="https://example.org/a", media=[photo()])

    assert FacebookAdapter.message(post) == "Se mere\n\nhttps://example.org/a"
    assert FacebookAdapter.message(Post(marker="m", text="Se mere", link="https://e.org")) == (
        "Se mere"
    )


def test_it_explains_problems_in_danish_and_english() -> None:
    [problem] = adapter().validate(Post(marker="m", text=""))

    assert problem.message("da") == "Opslaget er tomt."
    assert problem.message("en") == "The post is empty."
