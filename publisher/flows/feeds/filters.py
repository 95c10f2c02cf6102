"""Which items a feed or subscription wants: municipalities, initiatives, kinds (each any of,
empty = all), only upcoming events, keywords (any of, in the title or summary)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from publisher.flows.feeds.items import PUBLIC_KINDS
from publisher.flows.feeds.models import PublicItem

MAX_KEYWORDS = 10
MAX_KEYWORD_CHARS = 60


class FilterError(ValueError):
    """A filter names something unknown; `field` and `value` say what."""

    def __init__(self, field_name: str, value: str) -> None:
        super().__init__(f"unknown {field_name}: {value!r}")
        self.field = field_name
        self.value = value


@dataclass(frozen=True)
class Filter:
    municipalities: tuple[str, ...] = ()
    initiatives: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    upcoming: bool = False
    keywords: tuple[str, ...] = field(default=())

    def matches(self, item: PublicItem, now: datetime) -> bool:
        """True when the item is one this filter wants."""
        if self.municipalities and not set(self.municipalities) & set(item.municipalities):
            return False
        if self.initiatives and item.initiative not in self.initiatives:
            return False
        if self.kinds and item.kind not in self.kinds:
            return False
        if self.upcoming:
            end = item.event_end or item.event_start
            if item.kind != "event" or end is None or end < now:
                return False
        if self.keywords:
            text = f"{item.title} {item.summary}".casefold()
            return any(k.casefold() in text for k in self.keywords)
        return True

    def key(self) -> str:
        """A canonical text for cache keys."""
        return "|".join([",".join(self.municipalities), ",".join(self.initiatives),
                         ",".join(self.kinds), "u" if self.upcoming else "",
                         ",".join(self.keywords)])

    def as_dict(self) -> dict[str, Any]:
        return {"municipalities": list(self.municipalities),
                "initiatives": list(self.initiatives), "kinds": list(self.kinds),
                "upcoming": self.upcoming, "keywords": list(self.keywords)}


def _clean(values: Iterable[str], known: set[str], name: str) -> tuple[str, ...]:
    found: list[str] = []
    for raw in values:
        for value in str(raw).split(","):
            value = value.strip().lower()
            if not value:
                continue
            if value not in known:
                raise FilterError(name, value)
            if value not in found:
                found.append(value)
    return tuple(sorted(found))


def make_filter(get: Callable[[str], list[str]], *, municipalities: set[str],
                initiatives: set[str], upcoming: bool = False,
                keywords: Iterable[str] = ()) -> Filter:
    """A filter from repeatable fields (`get(name)` lists the values); FilterError if unknown."""
    words: list[str] = []
    for raw in keywords:
        for word in str(raw).split(","):
            word = " ".join(word.split())[:MAX_KEYWORD_CHARS]
            if word and word not in words:
                words.append(word)
    return Filter(
        municipalities=_clean(get("municipality"), municipalities, "municipality"),
        initiatives=_clean(get("initiative"), initiatives, "initiative"),
        kinds=_clean(get("kind"), set(PUBLIC_KINDS), "kind"),
        upcoming=upcoming, keywords=tuple(words[:MAX_KEYWORDS]),
    )


def from_dict(data: dict[str, Any]) -> Filter:
    """The filter stored on a subscription."""
    return Filter(tuple(data.get("municipalities", ())), tuple(data.get("initiatives", ())),
                  tuple(data.get("kinds", ())), bool(data.get("upcoming", False)),
                  tuple(data.get("keywords", ())))
