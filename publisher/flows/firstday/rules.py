"""Platform rules before approval: each chosen channel's adapter `validate()` on the draft.

The adapters know their platform's rules (channels/); this module asks them about a draft before
anyone is asked to approve it, and says what to do about each problem in words. A problem is
*blocking* when the platform would refuse the post (over a limit, Instagram without an image, an
image the platform refuses) or when the draft names a channel no active account publishes to;
everything else is a warning. Problems with an account's own setup (e.g. the newsletter's sender
name) are warnings here: the content is fine, the secretariat fixes the account, and deliveries
wait for the fix (see `paused`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import MediaItem, Post
from channels.base import Problem as ChannelProblem
from channels.registry import REGISTRY
from drafts.content import channel_text, render_markdown
from drafts.models import CHANNEL_NAMES, ChannelAccount, Draft, Media
from publisher.config import Settings
from publisher.flows.accounts import build_adapter
from schedules.posts import media_item

# Names of channels in sentences (Danish, English).
CHANNEL_WORDS: dict[str, tuple[str, str]] = {
    "facebook": ("Facebook", "Facebook"),
    "instagram": ("Instagram", "Instagram"),
    "website": ("hjemmesiden", "the website"),
    "newsletter": ("nyhedsbrevet", "the newsletter"),
    "x": ("X", "X"),
}
TOO_LONG = {"text_too_long", "too_long"}


@dataclass(frozen=True)
class RuleProblem:
    """One rule a draft breaks on one channel, with the fix in words."""

    channel: str
    code: str  # the platform rule (the adapter's code), or "no_account"
    field: str
    blocking: bool
    da: str
    en: str

    def message(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da

    def as_dict(self, lang: str = "da") -> dict[str, object]:
        return {
            "channel": self.channel,
            "rule": self.code,
            "field": self.field,
            "blocking": self.blocking,
            "message": self.message(lang),
        }


def measure(channel: str, text: str) -> int:
    """The length of `text` as the channel's row counts it (X: weighted characters)."""
    return REGISTRY[channel].text.measure(text)


def accounts_by_channel(session: Session, draft: Draft) -> dict[str, list[ChannelAccount]]:
    """The active accounts each chosen channel would publish to (the same choice as scheduling:
    the central account, else the accounts of the draft's municipalities)."""
    chosen = [c for c in CHANNEL_NAMES if c in (draft.channels or [])]
    rows = (
        list(
            session.scalars(
                select(ChannelAccount)
                .where(ChannelAccount.active.is_(True), ChannelAccount.platform.in_(chosen))
                .order_by(ChannelAccount.id)
            )
        )
        if chosen
        else []
    )
    tagged = {m.id for m in draft.municipalities}
    found: dict[str, list[ChannelAccount]] = {}
    for platform in chosen:
        central = [a for a in rows if a.platform == platform and a.municipality_id is None]
        found[platform] = central or [
            a for a in rows if a.platform == platform and a.municipality_id in tagged
        ]
    return found


def draft_post(
    draft: Draft,
    channel: str,
    settings: Settings,
    media: Sequence[Media] | None = None,
    marker: str = "preview",
) -> Post:
    """The post `channel` would get for the draft as it is (the same fields as publishing)."""
    municipalities = list(draft.municipalities or [])
    initiative = draft.initiative
    items: list[MediaItem] = [
        media_item(m, settings.base_url, settings.upload_dir)
        for m in (draft.media if media is None else media)
    ]
    return Post(
        marker=marker,
        text=channel_text(draft, channel),
        title=draft.title or "",
        link=draft.link or None,
        html=render_markdown(draft.body or ""),
        media=items,
        kind=draft.kind or "post",
        municipalities=[m.slug for m in municipalities],
        municipality_names=[m.name for m in municipalities],
        initiative=initiative.slug if initiative is not None else None,
        initiative_name=initiative.name if initiative is not None else None,
        scheduled_at=draft.desired_at,
    )


def _fix(channel: str, problem: ChannelProblem, post: Post) -> tuple[str, str]:
    """The adapter's message, turned into what to do where we know a better fix."""
    da_name, en_name = CHANNEL_WORDS.get(channel, (channel, channel))
    limit = REGISTRY[channel].text.limit
    if problem.code in TOO_LONG and problem.field == "text" and limit is not None:
        over = measure(channel, post.text) - limit
        if over > 0:
            return (
                f"Forkort teksten til {da_name} med {over} tegn, eller skriv en særskilt "
                f"{da_name}-tekst.",
                f"Shorten the text for {en_name} by {over} characters, or write a separate "
                f"{en_name} text.",
            )
    if problem.code == "image_required":
        return (
            f"Tilføj et billede (JPEG), eller fjern {da_name} fra kanalerne.",
            f"Add an image (JPEG), or remove {en_name} from the channels.",
        )
    return (
        f"{da_name[:1].upper()}{da_name[1:]}: {problem.message('da')}",
        f"{en_name[:1].upper()}{en_name[1:]}: {problem.message('en')}",
    )


def check_channel(
    settings: Settings,
    draft: Draft,
    channel: str,
    accounts: Iterable[ChannelAccount],
    media: Sequence[Media] | None = None,
) -> list[RuleProblem]:
    """The rules `channel` would apply to the draft, for each account it goes to."""
    rows = list(accounts)
    da_name, en_name = CHANNEL_WORDS.get(channel, (channel, channel))
    found: list[RuleProblem] = []
    if not rows:
        found.append(
            RuleProblem(
                channel,
                "no_account",
                "channels",
                True,
                f"Der er ingen aktiv konto til {da_name}. Fjern {da_name} fra kanalerne, "
                "eller opret en konto under Administration → Kanalkonti.",
                f"There is no active account for {en_name}. Remove {en_name} from the channels, or "
                "add an account under Administration → Channel accounts.",
            )
        )
    post = draft_post(draft, channel, settings, media)
    seen: set[tuple[str, str]] = set()
    candidates: list[ChannelAccount | None] = list(rows) if rows else [None]
    for row in candidates:
        # The service's one factory; no credentials: validation never calls the platform.
        probe = row or ChannelAccount(platform=channel, name=channel, external_id="", options={})
        adapter = build_adapter(settings, probe, credentials=lambda _prefix: {})
        for problem in adapter.validate(post):
            if (problem.field, problem.code) in seen:
                continue
            seen.add((problem.field, problem.code))
            configuration = problem.field == "account"
            if configuration and row is None:
                continue  # no account at all: said once above, not per missing setting
            da, en = _fix(channel, problem, post)
            if configuration:
                da += " Indtil det er rettet, venter udgivelsen til denne konto."
                en += " Until it is fixed, publishing to this account waits."
            found.append(
                RuleProblem(
                    channel,
                    problem.code,
                    problem.field,
                    problem.level == "error" and not configuration,
                    da,
                    en,
                )
            )
    return found


def check_draft(
    session: Session, settings: Settings, draft: Draft, media: Sequence[Media] | None = None
) -> list[RuleProblem]:
    """Every platform rule the draft breaks on its chosen channels, channel by channel."""
    accounts = accounts_by_channel(session, draft)
    found: list[RuleProblem] = []
    for channel, rows in accounts.items():
        found += check_channel(settings, draft, channel, rows, media)
    return found


def by_channel(problems: Iterable[RuleProblem]) -> dict[str, list[RuleProblem]]:
    grouped: dict[str, list[RuleProblem]] = {}
    for problem in problems:
        grouped.setdefault(problem.channel, []).append(problem)
    return grouped


def blocking(problems: Iterable[RuleProblem]) -> list[RuleProblem]:
    return [p for p in problems if p.blocking]


def time_problem(desired_at: datetime | None, now: datetime) -> RuleProblem | None:
    """A publishing time already past: refused, with the explicit alternative."""
    if desired_at is None or desired_at > now:
        return None
    return RuleProblem(
        "",
        "time_passed",
        "desired_at",
        True,
        "Det ønskede tidspunkt er passeret. Vælg et senere tidspunkt, eller vælg “Udgiv nu” "
        "(udgives, så snart den er godkendt).",
        "The desired time has passed. Choose a later time, or choose “Publish now” (it goes "
        "out as soon as it is approved).",
    )


class NotReady(Exception):
    """The draft breaks a blocking rule (or its time has passed): nobody is asked, nothing
    changes. `problems` names each channel and rule."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.channel or '-'}/{p.code}" for p in self.problems))
        self.code = (
            "time_passed"
            if [p.code for p in self.problems] == ["time_passed"]
            else "platform_rules"
        )

    def message(self, lang: str = "da") -> str:
        lead = (
            "Kladden kan ikke sendes videre endnu: "
            if lang != "en"
            else "The draft cannot go on yet: "
        )
        return lead + " ".join(p.message(lang) for p in self.problems)


def ensure_ready(session: Session, settings: Settings, draft: Draft, now: datetime) -> None:
    """Raise NotReady when a platform would refuse the draft or its time has passed."""
    late = time_problem(draft.desired_at, now)
    found = ([late] if late is not None else []) + blocking(check_draft(session, settings, draft))
    if found:
        raise NotReady(found)
