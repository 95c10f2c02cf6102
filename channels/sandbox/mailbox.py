"""A mail catcher for the demo: an SMTP server that keeps what it receives, and a page showing it.

The demo has no real mail server, yet approvals, reminders and share kits are mails with links
in them. `start_sink` runs an SMTP server (aiosmtpd) on a local port that stores every message in
the sandbox's Store; GET /mail lists them, newest first, with their plain-text part and clickable
links, so a newcomer can follow an approval link from the "politician's" mail, and the HTML part
as the recipient sees it: in an iframe with `sandbox` (no scripts, no forms, no same origin),
served from GET /mail/<id>.html with a Content-Security-Policy that allows no scripts.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, render_template_string
from markupsafe import Markup, escape

from channels.sandbox.core import Faults, Store

PLATFORM, COLLECTION = "mail", "messages"
SHOWN = 100
_URL = re.compile(r"https?://[^\s<>\"']+")


class _Handler:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        keep(self.store, envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        return "250 Message accepted for delivery"


def keep(store: Store, sender: str, recipients: list[str], raw: bytes) -> dict[str, Any]:
    """Store one received message: its plain-text part (or the HTML one) and its HTML part."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    html_part = message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    item = {
        "id": store.new_id(),
        "from": sender,
        "to": ", ".join(recipients),
        "subject": str(message.get("Subject", "")),
        "text": body.get_content() if body is not None else "",
        "html": html_part.get_content() if html_part is not None else "",
        "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with store.lock:
        store.collection(PLATFORM, COLLECTION)[item["id"]] = item
    return item


def start_sink(store: Store, host: str = "127.0.0.1", port: int = 5051) -> Any:
    """Start the SMTP catcher in its own thread; returns the controller (call .stop())."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Handler(store), hostname=host, port=port)
    controller.start()
    return controller


def linkify(text: str) -> Markup:
    """Escape the text and make its http(s) links clickable."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last:match.start()]))
        url = escape(match.group(0))
        out.append(Markup(f'<a href="{url}">{url}</a>'))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


PAGE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandkasse: mails / Sandbox: mail</title></head>
<body>
<main>
<h1>Sandkasse: sendte mails <span lang="en">(Sandbox: mail sent)</span></h1>
<p>Mails fra Publisher i demoen lander her i stedet for hos modtagerne.
<span lang="en">In the demo, Publisher's mails land here instead of with their recipients.</span>
<a href="/">Tilbage til oversigten / Back to the overview</a></p>
{% for m in messages %}
<article>
  <h2>{{ m.subject }}</h2>
  <p>Til / To: {{ m.to }} · {{ m.received_at }}</p>
  {% if m.html %}
  <iframe src="/mail/{{ m.id }}.html" sandbox="allow-popups allow-popups-to-escape-sandbox"
    title="HTML-delen af mailen: {{ m.subject }}" loading="lazy"
    style="width:100%;height:32rem;border:1px solid #999"></iframe>
  <details><summary>Tekstdelen / Plain-text part</summary>
  <pre>{{ linkify(m.text) }}</pre></details>
  {% else %}
  <pre>{{ linkify(m.text) }}</pre>
  {% endif %}
</article>
{% else %}
<p>Ingen mails endnu. <span lang="en">No mail yet.</span></p>
{% endfor %}
</main>
</body></html>"""


def register(app: Flask, store: Store, faults: Faults) -> None:
    """Serve GET /mail: the caught messages, newest first."""

    @app.get("/mail")
    def mailbox() -> Response:
        with store.lock:
            items = list(store.collection(PLATFORM, COLLECTION).values())
        items.sort(key=lambda m: m["received_at"], reverse=True)
        html = render_template_string(PAGE, messages=items[:SHOWN], linkify=linkify)
        return Response(html, mimetype="text/html")

    @app.get("/mail/<message_id>.html")
    def mail_html(message_id: str) -> Response:
        with store.lock:
            item = store.collection(PLATFORM, COLLECTION).get(message_id)
        if item is None or not item.get("html"):
            return Response("Ingen HTML-del / No HTML part", 404, mimetype="text/plain")
        answer = Response(item["html"], mimetype="text/html")
        # Shown only inside the sandboxed iframe; even opened directly it may run nothing.
        answer.headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; sandbox"
        )
        answer.headers["X-Content-Type-Options"] = "nosniff"
        return answer
