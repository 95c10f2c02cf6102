"""Instagram rules checked before anything is sent (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from channels.base import Account, ChannelSettings, MediaItem, Post, Problem
from channels.instagram import InstagramAdapter, is_public_url


def adapter(**options: Any) -> InstagramAdapter:
    account = Account("instagram", "Kulturregion", "1784", {"access_token": "t"})
    return InstagramAdapter(account, ChannelSettings(base_url="http://x", options=options))


def image(**kwargs: Any) -> MediaItem:
    fields: dict[str, Any] = {
        "url": "https://media.example.org/a.jpg",
        "width": 1080,
        "height": 1080,
        "size_bytes": 500_000,
    }
    fields.update(kwargs)
    return MediaItem(**fields)


def problems(
    text: str = "Koncert", media: list[MediaItem] | None = None, **options: Any
) -> list[Problem]:
    post = Post(marker="m", text=text, media=[image()] if media is None else media)
    return adapter(**options).validate(post)


def codes(*args: Any, **kwargs: Any) -> list[str]:
    return [p.code for p in problems(*args, **kwargs)]


def test_it_accepts_a_square_jpeg_with_a_short_caption() -> None:
    assert codes() == []


def test_it_needs_at_least_one_image() -> None:
    assert codes(media=[]) == ["image_required"]


def test_it_takes_only_jpeg() -> None:
    assert codes(media=[image(mime_type="image/png")]) == ["image_format"]


def test_it_refuses_images_over_8_mb() -> None:
    assert codes(media=[image(size_bytes=8 * 1024 * 1024)]) == []
    assert codes(media=[image(size_bytes=8 * 1024 * 1024 + 1)]) == ["image_too_large"]


@pytest.mark.parametrize(
    ("width", "height", "ok"),
    [
        (1080, 1350, True),  # 4:5, the tallest allowed
        (1080, 1360, False),
        (1910, 1000, True),  # 1.91:1, the widest allowed
        (1920, 1000, False),
    ],
)
def test_it_keeps_the_aspect_ratio_between_4_5_and_1_91(width: int, height: int, ok: bool) -> None:
    assert codes(media=[image(width=width, height=height)]) == ([] if ok else ["image_aspect"])


def test_it_caps_the_caption_at_2200_characters() -> None:
    assert codes("a" * 2200) == []
    assert codes("a" * 2201) == ["text_too_long"]


def test_it_warns_above_the_house_hashtag_limit_and_refuses_above_30() -> None:
    five, six = " ".join(f"#t{i}" for i in range(5)), " ".join(f"#t{i}" for i in range(6))

    assert codes(five) == []
    [warning] = problems(six)
    assert (warning.code, warning.level) == ("hashtags_over_house_limit", "warning")
    [error] = problems(" ".join(f"#t{i}" for i in range(31)))
    assert (error.code, error.level) == ("too_many_hashtags", "error")


def test_it_takes_the_house_hashtag_limit_from_settings() -> None:
    assert codes(" ".join(f"#t{i}" for i in range(6)), max_hashtags=10) == []


def test_it_refuses_more_than_20_mentions() -> None:
    assert codes(" ".join(f"@konto{i}" for i in range(20))) == []
    assert codes(" ".join(f"@konto{i}" for i in range(21))) == ["too_many_mentions"]


def test_it_allows_carousels_of_up_to_ten_images() -> None:
    assert codes(media=[image()] * 10) == []
    assert codes(media=[image()] * 11) == ["too_many_images"]


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:5000/a.jpg",
        "http://127.0.0.1/a.jpg",
        "http://10.0.0.4/a.jpg",
        "http://192.168.1.20/a.jpg",
        "http://printer.local/a.jpg",
        "http://intranet/a.jpg",
        "ftp://media.example.org/a.jpg",
        "https://media.example.org/billede-æ.jpg",
    ],
)
def test_it_refuses_image_urls_meta_cannot_fetch(url: str) -> None:
    assert codes(media=[image(url=url)]) == ["image_url_not_public"]


def test_it_allows_private_image_urls_when_configured() -> None:
    assert (
        codes(media=[image(url="http://127.0.0.1:5000/a.jpg")], allow_private_media_urls=True) == []
    )


def test_it_recognises_public_urls() -> None:
    assert is_public_url("https://kulturregion.dk/media/a.jpg")
    assert is_public_url("http://8.8.8.8/a.jpg")


def test_it_caps_alt_text_at_1000_characters() -> None:
    assert codes(media=[image(alt_text="a" * 1001)]) == ["alt_text_too_long"]
