"""The newsletter's email: an accessible HTML part and a plain-text part from two templates.

The templates live in channels/templates/ (newsletter.html, newsletter.txt) and are read with
importlib.resources. The HTML is Danish (`lang="da"`), laid out with role="presentation" tables
and inline CSS (mail clients drop style sheets), gives every image an alt text, and keeps the
Mailchimp merge tags *|UNSUB|*, *|UPDATE_PROFILE|* and *|LIST:ADDRESSLINE|* in the footer.
"""

from __future__ import annotations

import html
from importlib import resources

from jinja2 import Environment, FunctionLoader, select_autoescape
from markupsafe import Markup

from channels.base import Post


def _templates() -> Environment:
    folder = resources.files("channels.templates")

    def load(name: str) -> str:
        return (folder / name).read_text(encoding="utf-8")

    return Environment(
        loader=FunctionLoader(load),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        keep_trailing_newline=True,
    )


def render_email(post: Post, organisation: str) -> tuple[str, str]:
    """Render the campaign's HTML and plain-text parts from the newsletter templates."""
    env = _templates()
    body_html = post.html or "".join(
        f"<p>{html.escape(part)}</p>" for part in post.text.split("\n\n") if part.strip()
    )
    images = [{"url": m.url, "alt": m.alt_text or post.title} for m in post.media if m.url]
    context = {
        "lang": "da",
        "subject": post.title,
        "title": post.title,
        "preview_text": preview_text(post.text),
        "organisation": organisation,
        "images": images,
        "link": post.link,
        "link_label": "Læs mere",
        "footer_reason": (
            f"Du får denne mail, fordi du abonnerer på nyhedsbrevet fra {organisation}."
        ),
        "unsubscribe_label": "Afmeld nyhedsbrevet",
        "profile_label": "Ret dine oplysninger",
    }
    rendered = env.get_template("newsletter.html").render(body_html=Markup(body_html), **context)
    text = env.get_template("newsletter.txt").render(body_text=post.text.strip(), **context)
    return rendered, text


def preview_text(text: str) -> str:
    """Return the first ~140 characters of `text` on one line (the inbox preview)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= 140 else flat[:139].rstrip() + "…"
