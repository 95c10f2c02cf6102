"""The sandbox's own public pages, where its "see it on the platform" links lead.

    /view/facebook/<post-id>      a Page post as a reader would see it (text, photos, link)
    /view/facebook/photo/<id>     one photo
    /view/instagram/<shortcode>   an Instagram post (image and caption)

The Graph sandboxes answer `permalink_url` / `permalink` with these addresses, so in the demo
"Se det på platformen" opens a page of the sandbox instead of facebook.com or instagram.com.
(The newsletter's web version is /mailchimp/archive/<id>; the website's pages live under
/wordpress/.)
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template_string, request

from channels.sandbox.core import Faults, Store

PAGE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ heading }} – sandkasse</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
img{max-width:100%;height:auto}.note{color:#555;font-size:.9rem}</style></head>
<body><main>
<p class="note">Sandkassen – ikke den rigtige {{ platform }}.</p>
<h1>{{ heading }}</h1>
{% for url in images %}<img src="{{ url }}" alt="Billede til opslaget">{% endfor %}
{% for part in text.split("\\n") %}<p>{{ part }}</p>{% endfor %}
{% if link %}<p><a href="{{ link }}">{{ link }}</a></p>{% endif %}
<p class="note">{{ when }}</p>
</main></body></html>"""


def view_url(platform: str, key: str) -> str:
    """The sandbox page for one item, on the host the current request came to."""
    return f"{request.host_url.rstrip('/')}/view/{platform}/{key}"


def _page(
    platform: str, heading: str, text: str, images: list[str], link: str | None, when: Any
) -> str:
    return render_template_string(
        PAGE,
        platform=platform,
        heading=heading,
        text=text or "",
        images=[u for u in images if u],
        link=link,
        when=when or "",
    )


def register(app: Flask, store: Store, faults: Faults) -> None:
    """Serve the sandbox's reader-facing pages."""

    @app.get("/view/facebook/<post_id>")
    def facebook_post(post_id: str) -> Any:
        post = store.collection("facebook", "posts").get(post_id)
        if post is None or not post.get("is_published"):
            return Response("Opslaget findes ikke (eller er ikke udgivet).", 404)
        photos = store.collection("facebook", "photos")
        images = [str(photos.get(p, {}).get("url") or "") for p in post["attached_media"]]
        return _page(
            "Facebook",
            f"Facebook-opslag {post_id}",
            post["message"],
            images,
            post.get("link"),
            post.get("published_ts"),
        )

    @app.get("/view/facebook/photo/<photo_id>")
    def facebook_photo(photo_id: str) -> Any:
        photo = store.collection("facebook", "photos").get(photo_id)
        if photo is None:
            return Response("Billedet findes ikke.", 404)
        return _page(
            "Facebook",
            f"Facebook-billede {photo_id}",
            str(photo.get("name") or ""),
            [str(photo.get("url") or "")],
            None,
            photo.get("created_ts"),
        )

    @app.get("/view/instagram/<shortcode>")
    def instagram_media(shortcode: str) -> Any:
        found = next(
            (
                m
                for m in store.collection("instagram", "media").values()
                if m.get("shortcode") == shortcode
            ),
            None,
        )
        if found is None:
            return Response("Opslaget findes ikke.", 404)
        return _page(
            "Instagram",
            f"Instagram-opslag {found['id']}",
            found.get("caption") or "",
            [str(found.get("media_url") or "")],
            None,
            found.get("ts"),
        )
