"""What a preview shows is what is published: per channel, the text `render` gives is the text the
adapter sends (property-tested over titles, bodies, links and per-channel variants).

Each example publishes through the real client library over HTTP to the sandbox, then compares
what the sandbox holds with `render(post)`: the same function the previews call. The generated
body stands for the channel's text, which is the draft's body or its per-channel variant
(drafts.content.channel_text picks it before a Post is built), so variants are covered as bodies.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels import facebook, instagram, newsletter, website, x
from channels.base import Account, ChannelSettings, MediaItem, Post
from channels.registry import CHANNELS
from channels.sandbox.mailchimp_site import seed_audience

EXAMPLES = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LIST_ID = "a1b2c3d4e5"
WORDS = st.text(
    alphabet=st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzæøåÆØÅ ÉéüABC0123456789.,!?-–&<>\"'")
        + ["\n", "🎻", "☕"]
    ),
    max_size=120,
)
TITLES = WORDS.map(str.strip).filter(bool)
BODIES = WORDS.filter(lambda text: bool(text.strip()))
LINKS = st.none() | st.builds(
    lambda host, path: f"https://{host}.dk/{path}",
    st.sampled_from(["kulturmetropolen", "roskilde", "koege"]),
    st.text(alphabet="abcdefghij-0123456789", max_size=20),
)
MARKERS = st.uuids().map(lambda u: f"pub-{u.hex[:16]}")


def image(tmp: Path, name: str = "billede") -> MediaItem:
    path = tmp / f"{name}.png"
    if not path.exists():
        path.write_bytes(
            bytes.fromhex(
                "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
            )
        )
    return MediaItem(
        url=f"https://media.example.org/{name}.png",
        path=str(path),
        mime_type="image/png",
        width=1080,
        height=1080,
        size_bytes=70,
        alt_text="Et billede",
    )


def make_post(
    marker: str, title: str, body: str, link: str | None, media: list[MediaItem], **kwargs: Any
) -> Post:
    return Post(
        marker=marker,
        text=body,
        title=title,
        link=link,
        media=media,
        created_after=datetime.now(UTC) - timedelta(minutes=1),
        **kwargs,
    )


def adapter_for(
    platform: str, sandbox: Any, external_id: str, credentials: dict[str, str], **options: Any
) -> Any:
    base = sandbox.url({"website": "wordpress", "newsletter": "mailchimp"}.get(platform, platform))
    settings_ = ChannelSettings(base_url=base, timeout=5.0, options={"status_poll_interval": 0.01})
    account = Account(platform, "Kulturmetropolen", external_id, credentials, options)
    return CHANNELS[platform](account, settings_, requests.Session())


def test_every_adapter_renders_with_its_channels_own_function() -> None:
    modules = {
        "facebook": facebook,
        "instagram": instagram,
        "website": website,
        "newsletter": newsletter,
        "x": x,
    }
    for platform, adapter_class in CHANNELS.items():
        assert adapter_class.render is modules[platform].render


@EXAMPLES
@given(marker=MARKERS, title=TITLES, body=BODIES, link=LINKS, photos=st.integers(0, 2))
def test_facebook_sends_the_rendered_message_and_link(
    sandbox: Any,
    tmp_path: Path,
    marker: str,
    title: str,
    body: str,
    link: str | None,
    photos: int,
) -> None:
    sandbox.store.reset()
    post = make_post(marker, title, body, link, [image(tmp_path, f"f{i}") for i in range(photos)])
    rendered = facebook.render(post)

    published = adapter_for(
        "facebook", sandbox, "1029384756", {"access_token": "page-token"}
    ).publish(post)

    stored = sandbox.store.collection("facebook", "posts")[published.external_id]
    assert (stored["message"] or "") == rendered.text
    assert stored["link"] == rendered.link
    assert len(stored["attached_media"]) == len(rendered.images) == photos


@EXAMPLES
@given(marker=MARKERS, title=TITLES, body=BODIES, link=LINKS, photos=st.integers(1, 3))
def test_instagram_sends_the_rendered_caption(
    sandbox: Any,
    tmp_path: Path,
    marker: str,
    title: str,
    body: str,
    link: str | None,
    photos: int,
) -> None:
    sandbox.store.reset()
    post = make_post(marker, title, body, link, [image(tmp_path, f"i{i}") for i in range(photos)])
    rendered = instagram.render(post)

    published = adapter_for(
        "instagram", sandbox, "17841405822304914", {"access_token": "page-token"}
    ).publish(post)

    stored = sandbox.store.collection("instagram", "media")[published.external_id]
    assert (stored["caption"] or "") == rendered.text
    assert len(rendered.images) == photos


@EXAMPLES
@given(
    marker=MARKERS, title=TITLES, body=WORDS.map(lambda t: t[:100]).filter(str.strip), link=LINKS
)
def test_x_sends_the_rendered_text(
    sandbox: Any,
    marker: str,
    title: str,
    body: str,
    link: str | None,
) -> None:
    sandbox.store.reset()
    post = make_post(marker, title, body, link, [])
    rendered = x.render(post)
    assert rendered.over_limit == 0  # the body is kept short enough for X's count
    credentials = {
        "consumer_key": "ck",
        "consumer_secret": "cs",
        "access_token": "4242-access",
        "access_token_secret": "ats",
    }

    published = adapter_for("x", sandbox, "4242", credentials).publish(post)

    stored = sandbox.store.collection("x", "tweets")[published.external_id]
    assert stored["raw_text"] == rendered.text


@EXAMPLES
@given(marker=MARKERS, title=TITLES, body=BODIES, link=LINKS, photos=st.integers(0, 1))
def test_the_website_sends_the_rendered_title_content_and_link(
    sandbox: Any,
    tmp_path: Path,
    marker: str,
    title: str,
    body: str,
    link: str | None,
    photos: int,
) -> None:
    sandbox.store.reset()
    post = make_post(marker, title, body, link, [image(tmp_path, f"w{i}") for i in range(photos)])
    rendered = website.render(post)

    published = adapter_for(
        "website", sandbox, "redaktion", {"application_password": "abcd efgh ijkl mnop"}
    ).publish(post)

    [stored] = [
        p
        for p in sandbox.store.collection("wordpress", "posts").values()
        if str(p["id"]) == published.external_id
    ]
    assert html.unescape(stored["title"]) == rendered.title  # WordPress keeps "<" as "&lt;"
    assert stored["content"] == rendered.html
    if link:
        assert f'href="{link}"' in stored["content"]
    assert bool(stored.get("featured_media")) == bool(rendered.images)


@EXAMPLES
@given(marker=MARKERS, title=TITLES, body=BODIES, link=LINKS)
def test_the_newsletter_sends_the_rendered_subject_and_both_parts(
    sandbox: Any,
    marker: str,
    title: str,
    body: str,
    link: str | None,
) -> None:
    sandbox.store.reset()
    seed_audience(sandbox.store, LIST_ID, "KOMMUNE", ["roskilde"])
    post = make_post(marker, title, body, link, [])
    adapter = adapter_for(
        "newsletter",
        sandbox,
        LIST_ID,
        {"api_key": "0123456789abcdef-us6"},
        from_name="Kulturmetropolen",
        reply_to="nyt@kulturby.dk",
    )
    rendered = newsletter.render(post, adapter.render_options)

    published = adapter.publish(post)

    stored = sandbox.store.collection("mailchimp", "campaigns")[published.external_id]
    assert stored["settings"]["subject_line"] == rendered.title
    assert stored["settings"]["preview_text"] == rendered.summary
    assert (stored["_html"], stored["_plain_text"]) == (rendered.html, rendered.text)
    if link:
        assert link in rendered.text
