"""The demo's mail catcher keeps what Publisher sends and shows it with clickable links."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

import requests

from channels.sandbox.mailbox import linkify, start_sink


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_mail_sent_over_smtp_shows_on_the_mail_page_with_its_link(sandbox):
    port = _free_port()
    sink = start_sink(sandbox.store, "127.0.0.1", port)
    try:
        message = EmailMessage()
        message["From"], message["To"] = "noreply@example.org", "formand@example.org"
        message["Subject"] = "Godkend venligst: Koncert"
        message.set_content("Åbn linket: http://127.0.0.1:5000/a/abc.def\n")
        message.add_alternative("<p>HTML-udgaven</p>", subtype="html")
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.send_message(message)
    finally:
        sink.stop()
    page = requests.get(sandbox.base_url + "/mail", timeout=5).text
    assert "Godkend venligst: Koncert" in page
    assert '<a href="http://127.0.0.1:5000/a/abc.def">' in page
    assert "HTML-udgaven" not in page  # the plain-text part is shown
    assert 'href="/mail"' in requests.get(sandbox.base_url + "/", timeout=5).text


def test_links_are_escaped_before_they_are_made_clickable():
    html = str(linkify('<script>x</script> https://e.org/?a=1&b="2"'))
    assert "<script>" not in html
    assert '<a href="https://e.org/?a=1&amp;b=">' in html
