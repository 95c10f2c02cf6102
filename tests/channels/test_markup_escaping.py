"""Problem 4: the WordPress title was sent as raw HTML, so an editor could put script on the
public site (with an account allowed unfiltered HTML) or change what approvers approved.
Every field a platform reads as markup is checked the same way (channels/markup.md)."""

from __future__ import annotations

from typing import Any

import requests

from channels.base import Post
from channels.newsletter_email import render_email
from tests.channels.test_website_sandbox import make_adapter, make_post, posts

TITLE = '<script>alert("x")</script> Tom & Jerry <b>fed</b>'


def test_the_wordpress_title_is_sent_as_text_not_html(sandbox: Any) -> None:
    published = make_adapter(sandbox).publish(make_post(title=TITLE))

    [stored] = posts(sandbox)
    assert stored["title"] == ('&lt;script&gt;alert("x")&lt;/script&gt; Tom &amp; Jerry '
                               "&lt;b&gt;fed&lt;/b&gt;")
    page = requests.get(published.url or "", timeout=5).text
    assert "<script>alert" not in page


def test_the_newsletter_html_shows_the_title_as_text() -> None:
    html_part, text_part = render_email(
        Post(marker="d1-newsletter-a1", title=TITLE, text="Kom og hør.", html=""),
        "Kulturmetropolen")
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part
    assert TITLE in text_part
