"""The newsletter email is accessible: Danish lang, layout tables, alt texts, a plain-text part."""

from __future__ import annotations

from html.parser import HTMLParser

from channels.base import MediaItem, Post
from channels.newsletter_email import render_email


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def render() -> tuple[str, str]:
    post = Post(
        marker="m",
        title="Sommer & sol",
        text="Første afsnit.\n\nAndet afsnit.",
        html="<p>Første afsnit.</p><p>Andet afsnit.</p>",
        link="https://kulturby.dk/sommer",
        media=[
            MediaItem(url="https://kulturby.dk/a.jpg", alt_text="Børn danser"),
            MediaItem(url="https://kulturby.dk/b.jpg"),
        ],
    )
    return render_email(post, "Kulturmetropolen")


def parsed(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collect = Collect()
    collect.feed(html)
    return collect.tags


def test_the_html_is_danish() -> None:
    html, _ = render()

    [root] = [attrs for tag, attrs in parsed(html) if tag == "html"]
    assert root["lang"] == "da"


def test_every_image_has_an_alt_text() -> None:
    images = [attrs for tag, attrs in parsed(render()[0]) if tag == "img"]

    assert [i["alt"] for i in images] == ["Børn danser", "Sommer & sol"]  # title as fallback


def test_layout_tables_are_marked_presentational() -> None:
    tables = [attrs for tag, attrs in parsed(render()[0]) if tag == "table"]

    assert tables and all(t.get("role") == "presentation" for t in tables)


def test_the_title_is_escaped_but_the_sanitised_body_is_kept() -> None:
    html, _ = render()

    assert "<h1" in html and "Sommer &amp; sol</h1>" in html
    assert "<p>Første afsnit.</p><p>Andet afsnit.</p>" in html


def test_there_is_a_plain_text_part_with_link_and_unsubscribe() -> None:
    _, text = render()

    assert "Sommer & sol" in text and "Andet afsnit." in text and "<" not in text
    assert "https://kulturby.dk/sommer" in text and "*|UNSUB|*" in text


def test_the_footer_carries_the_unsubscribe_and_address_merge_tags() -> None:
    html, _ = render()

    assert 'href="*|UNSUB|*"' in html and "*|LIST:ADDRESSLINE|*" in html
