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
    assert "HTML-udgaven" not in page  # the plain-text part on the page, the HTML in a frame
    assert 'href="/mail"' in requests.get(sandbox.base_url + "/", timeout=5).text


def test_links_are_escaped_before_they_are_made_clickable():
    html = str(linkify('<script>x</script> https://e.org/?a=1&b="2"'))
    assert "<script>" not in html
    assert '<a href="https://e.org/?a=1&amp;b=">' in html


def test_the_html_part_is_shown_in_a_sandboxed_frame_that_may_run_nothing(sandbox):
    port = _free_port()
    sink = start_sink(sandbox.store, "127.0.0.1", port)
    try:
        message = EmailMessage()
        message["From"], message["To"] = "noreply@example.org", "formand@example.org"
        message["Subject"] = "Godkend venligst: Koncert"
        message.set_content("Tekstudgaven\n")
        message.add_alternative('<p>HTML-<b>udgaven</b></p><script>alert(1)</script>',
                                subtype="html")
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.send_message(message)
    finally:
        sink.stop()
    page = requests.get(sandbox.base_url + "/mail", timeout=5).text
    [item] = sandbox.store.collection("mail", "messages").values()
    assert f'<iframe src="/mail/{item["id"]}.html" sandbox="' in page
    assert "allow-scripts" not in page and "allow-same-origin" not in page
    frame = requests.get(f"{sandbox.base_url}/mail/{item['id']}.html", timeout=5)
    assert frame.headers["Content-Type"].startswith("text/html")
    assert "HTML-<b>udgaven</b>" in frame.text
    assert "script-src" not in frame.headers["Content-Security-Policy"]  # none allowed
    assert frame.headers["Content-Security-Policy"].startswith("default-src 'none'")
