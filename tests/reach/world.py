"""Publishing a small world to the sandbox through the real adapters, and reading the sandbox's
own figures back with plain HTTP (not through the adapters) to know what to expect."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Account, Adapter, ChannelSettings, MediaItem, Post
from channels.facebook import FacebookAdapter
from channels.instagram import InstagramAdapter
from channels.newsletter import NewsletterAdapter
from channels.website import WebsiteAdapter
from channels.x import XAdapter
from drafts.models import ChannelAccount, Draft, Municipality
from drafts.service import create_draft
from drafts.states import transition
from drafts.tracking import link_for
from drafts.validation import clean_draft_input
from schedules.models import Delivery, DeliveryStatus

CPH = ZoneInfo("Europe/Copenhagen")
ACTOR = ("system", None, "test")
PAGE, IG_USER, LIST_ID, X_USER = "1029384756", "17841405822304914", "a1b2c3d4e5", "1700000042"
KEY = "0123456789abcdef0123456789abcdef-us6"
SUBSCRIBERS = {  # address → municipality merge field
    "anne@kulturby.dk": "roskilde",
    "bo@kulturby.dk": "roskilde",
    "carl@kulturby.dk": "koge",
    "dina@kulturby.dk": "koge",
    "emil@kulturby.dk": "ishoj",
    "gorm@kulturby.dk": "halsnaes",
    "hanne@kulturby.dk": "roskilde",
    "ida@kulturby.dk": "koge",
    "jens@kulturby.dk": "halsnaes",
}
# platform → (account external id, credentials)
ACCOUNTS = {
    "facebook": (PAGE, {"access_token": "page-token"}),
    "instagram": (IG_USER, {"access_token": "page-token"}),
    "website": ("redaktion", {"application_password": "abcd efgh ijkl"}),
    "newsletter": (LIST_ID, {"api_key": KEY}),
    "x": (X_USER, {"bearer_token": "x-token"}),
}
SANDBOX_NAME = {
    "facebook": "facebook",
    "instagram": "instagram",
    "website": "wordpress",
    "newsletter": "mailchimp",
    "x": "x",
}
# What each item is, where it goes and which municipalities it is tagged with.
ITEMS = (
    ("Koncert i Roskilde Domkirke", "facebook", ["roskilde", "koge"]),
    ("Ungdomsfestival i Køge", "instagram", ["roskilde"]),
    ("Kulturdag i Halsnæs", "website", ["halsnaes"]),
    ("Nyhedsbrev: efterårets program", "newsletter", ["roskilde", "koge", "halsnaes"]),
    ("Jazz på havnen", "x", ["koge"]),
)


@dataclass
class World:
    base_url: str
    deliveries: dict[str, Delivery] = field(default_factory=dict)  # by channel
    drafts: dict[str, Draft] = field(default_factory=dict)
    link_codes: dict[str, str] = field(default_factory=dict)  # municipality → code

    def adapter_for(self, row: ChannelAccount) -> Adapter:
        return make_adapter(self.base_url, row.platform)


def sandbox_url(base: str, platform: str) -> str:
    from channels.sandbox.app import settings_for

    names = {
        "facebook": "PUBLISHER_FACEBOOK_GRAPH_URL",
        "instagram": "PUBLISHER_INSTAGRAM_GRAPH_URL",
        "newsletter": "PUBLISHER_MAILCHIMP_API_URL",
        "website": "PUBLISHER_WORDPRESS_URL",
        "x": "PUBLISHER_X_API_URL",
    }
    return settings_for(base)[names[platform]]


def make_adapter(base: str, platform: str) -> Adapter:
    external_id, credentials = ACCOUNTS[platform]
    options: dict[str, Any] = {}
    if platform == "newsletter":
        options = {"from_name": "Kulturmetropolen", "reply_to": "nyhedsbrev@kulturby.dk"}
    if platform == "instagram":
        options = {"status_poll_interval": 0.01, "status_poll_attempts": 3}
    settings = ChannelSettings(base_url=sandbox_url(base, platform), timeout=5.0, options=options)
    account = Account(platform, f"{platform} account", external_id, credentials, options)
    adapters: dict[str, type[Adapter]] = {
        "facebook": FacebookAdapter,
        "instagram": InstagramAdapter,
        "website": WebsiteAdapter,
        "newsletter": NewsletterAdapter,
        "x": XAdapter,
    }
    if platform == "newsletter":
        return NewsletterAdapter(account, settings)
    return adapters[platform](account, settings, requests.Session())


def _draft(session: Session, title: str, channel: str, municipalities: list[str]) -> Draft:
    raw = {
        "title": title,
        "body": f"{title}. Kom og vær med.",
        "initiative": "music",
        "municipalities": municipalities,
        "channels": [channel],
        "link": "https://kulturmetropolen.dk/program",
    }
    slugs = set(session.scalars(select(Municipality.slug)).all())
    data, errors = clean_draft_input(
        raw, zone=CPH, municipalities=slugs, initiatives={"music", "youth", "health"}
    )
    assert errors == [], errors
    now = datetime.now(UTC)
    draft = create_draft(session, data, actor=ACTOR, author_id=None, now=now)
    transition(session, draft, "approve", actor=ACTOR, now=now)
    return draft


def _account(session: Session, platform: str) -> ChannelAccount:
    external_id, _ = ACCOUNTS[platform]
    found = session.scalar(
        select(ChannelAccount).where(
            ChannelAccount.platform == platform, ChannelAccount.external_id == external_id
        )
    )
    if found is None:
        found = ChannelAccount(
            platform=platform, external_id=external_id, name=platform, options={}
        )
        session.add(found)
        session.flush()
    return found


def _post(title: str, channel: str, marker: str) -> Post:
    post = Post(
        marker=marker,
        text=f"{title}. Kom og vær med.",
        title=title,
        link="https://kulturmetropolen.dk/program",
        html=f"<p>{title}. Kom og vær med.</p>",
        created_after=datetime.now(UTC) - timedelta(minutes=5),
    )
    if channel == "instagram":
        post.media = [
            MediaItem(url="https://media.example.org/festival.jpg", width=1080, height=1080)
        ]
    return post


def publish_world(session: Session, base_url: str, published_at: datetime) -> World:
    """Publish ITEMS to the sandbox through the adapters and record them as delivered."""
    world = World(base_url)
    newsletter = make_adapter(base_url, "newsletter")
    assert isinstance(newsletter, NewsletterAdapter)
    for email, municipality in SUBSCRIBERS.items():
        newsletter.sync_member(email, municipality)
    for i, (title, channel, municipalities) in enumerate(ITEMS):
        draft = _draft(session, title, channel, municipalities)
        account = _account(session, channel)
        marker = f"pub-reach{i}"
        published = make_adapter(base_url, channel).publish(_post(title, channel, marker))
        delivery = Delivery(
            draft_id=draft.id,
            account_id=account.id,
            channel=channel,
            due_at=published_at,
            status=DeliveryStatus.PUBLISHED.value,
            external_id=published.external_id,
            external_url=published.url or "",
            marker=marker,
            published_at=published_at,
        )
        session.add(delivery)
        draft.status = "published"
        world.deliveries[channel] = delivery
        world.drafts[channel] = draft
    facebook_draft = world.drafts["facebook"]
    for slug in ("roskilde", "koge"):
        muni = session.scalar(select(Municipality).where(Municipality.slug == slug))
        link = link_for(session, facebook_draft, muni, facebook_draft.link, published_at)
        world.link_codes[slug] = link.code
    session.commit()
    return world


# --- the sandbox's own figures, read with plain HTTP -----------------------------------------


def graph_insights(
    http: requests.Session, base: str, platform: str, media_id: str, metrics: str
) -> dict[str, Any]:
    url = f"{sandbox_url(base, platform)}/v25.0/{media_id}/insights"
    body = http.get(url, params={"metric": metrics, "access_token": "page-token"}, timeout=5).json()
    return {m["name"]: m["values"][-1]["value"] for m in body["data"]}


def summed(value: Any) -> int:
    return sum(value.values()) if isinstance(value, dict) else int(value)


def sandbox_figures(http: requests.Session, world: World) -> dict[str, dict[str, Any]]:
    """Per channel: the normalised figures as the platform's own numbers define them, plus
    the newsletter's per-municipality split from its email activity and member list."""
    base, d = world.base_url, world.deliveries
    fb = graph_insights(
        http,
        base,
        "facebook",
        d["facebook"].external_id,
        "post_total_media_view_unique,post_media_view,post_reactions_by_type_total,post_clicks",
    )
    ig = graph_insights(
        http, base, "instagram", d["instagram"].external_id, "reach,views,total_interactions"
    )
    wp = http.get(
        f"{sandbox_url(base, 'website')}/wp-json/publisher-stats/v1/posts/"
        f"{d['website'].external_id}",
        timeout=5,
    ).json()
    tweet = http.get(
        f"{sandbox_url(base, 'x')}/2/tweets/{d['x'].external_id}",
        params={"tweet.fields": "public_metrics"},
        headers={"Authorization": "Bearer x-token"},
        timeout=5,
    ).json()
    pm = tweet["data"]["public_metrics"]
    mc = sandbox_url(base, "newsletter")
    auth = ("anystring", KEY)
    campaign = d["newsletter"].external_id
    report = http.get(f"{mc}/reports/{campaign}", auth=auth, timeout=5).json()
    activity = http.get(
        f"{mc}/reports/{campaign}/email-activity", params={"count": 1000}, auth=auth, timeout=5
    ).json()
    split: dict[str, dict[str, int]] = {}
    for email in activity["emails"]:
        muni = SUBSCRIBERS[email["email_address"]]
        actions = {a["action"] for a in email["activity"]}
        counts = split.setdefault(muni, {"reach": 0, "opens": 0, "clicks": 0})
        counts["reach"] += 1
        counts["opens"] += "open" in actions
        counts["clicks"] += "click" in actions
    return {
        "facebook": {
            "reach": fb["post_total_media_view_unique"],
            "views": fb["post_media_view"],
            "engagements": summed(fb["post_reactions_by_type_total"]),
            "clicks": fb["post_clicks"],
        },
        "instagram": {
            "reach": ig["reach"],
            "views": ig["views"],
            "engagements": ig["total_interactions"],
        },
        "website": {"views": wp["views"], "reach": wp["visitors"]},
        "x": {
            "views": pm["impression_count"],
            "engagements": pm["like_count"]
            + pm["reply_count"]
            + pm["retweet_count"]
            + pm["quote_count"],
        },
        "newsletter": {
            "reach": report["emails_sent"],
            "views": report["opens"]["opens_total"],
            "opens": report["opens"]["unique_opens"],
            "clicks": report["clicks"]["unique_subscriber_clicks"],
        },
        "newsletter_by_municipality": split,  # type: ignore[dict-item]
    }
