"""The explicit channel registry: every kind maps to an adapter that says it is that kind."""

from __future__ import annotations

from channels.base import Adapter
from channels.registry import CHANNELS


def test_it_registers_exactly_the_five_channels() -> None:
    assert set(CHANNELS) == {"facebook", "instagram", "website", "newsletter", "x"}


def test_each_adapter_says_it_is_the_kind_it_is_registered_as() -> None:
    for name, adapter in CHANNELS.items():
        assert issubclass(adapter, Adapter)
        assert adapter.platform == name
