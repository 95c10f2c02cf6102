"""The channel registry: one row per platform, and everything else reads the rows."""

from __future__ import annotations

from dataclasses import fields

import pytest

from channels.base import Account, Adapter, ChannelSettings, Post
from channels.registry import CHANNELS, REGISTRY
from drafts.models import CHANNEL_NAMES
from publisher.config import Settings
from publisher.web.preview import measure, previews, unsaved_draft

LIMITED = [name for name, row in REGISTRY.items() if row.text.limit is not None]


def test_it_registers_exactly_the_five_channels() -> None:
    assert set(CHANNELS) == {"facebook", "instagram", "website", "newsletter", "x"}


def test_its_rows_are_in_the_channel_order_drafts_use() -> None:
    assert tuple(REGISTRY) == CHANNEL_NAMES


def test_each_adapter_says_it_is_the_kind_it_is_registered_as() -> None:
    for name, row in REGISTRY.items():
        assert issubclass(row.adapter, Adapter)
        assert row.adapter.platform == name == row.name


def test_each_rows_base_url_setting_is_a_setting_of_the_service() -> None:
    settings = {f.name for f in fields(Settings)}
    assert {row.base_url_setting for row in REGISTRY.values()} <= settings


@pytest.mark.parametrize("name", list(REGISTRY))
def test_the_compose_preview_shows_the_limit_and_count_of_the_adapters_own_rules(
    name: str,
) -> None:
    row = REGISTRY[name]
    draft = unsaved_draft({"title": "Koncert", "body": "Kom og hør 🎺 https://example.org"})
    [preview] = previews(draft, [name])

    assert row.text is row.adapter.text_rules
    assert row.media is row.adapter.media_rules
    assert preview.limit == row.adapter.text_rules.limit
    assert preview.length == row.adapter.text_rules.measure(preview.text) == measure(name,
                                                                                      preview.text)


def _text_problems(name: str, text: str) -> list[str]:
    adapter = REGISTRY[name].adapter(Account(platform=name, name="test", external_id="1"),
                                     ChannelSettings(base_url="http://127.0.0.1:9"))
    return [p.code for p in adapter.validate(Post(marker="m", text=text)) if p.field == "text"]


@pytest.mark.parametrize("name", LIMITED)
def test_the_adapter_refuses_one_character_more_than_the_row_allows(name: str) -> None:
    limit = REGISTRY[name].text.limit
    assert limit is not None

    assert _text_problems(name, "a" * limit) == []
    assert len(_text_problems(name, "a" * (limit + 1))) == 1
