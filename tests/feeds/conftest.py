"""Fixtures for the feeds' tests: a real SMTP server (aiosmtpd) and real HTTP receivers for
webhooks on loopback addresses."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

RECEIVER_HOST = "127.0.0.2"  # the one loopback address the tests allow webhooks to reach


class Inbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(  # type: ignore[arg-type]
            envelope.original_content or envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    yield inbox
    controller.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    """Mail to the test's SMTP server; webhooks may reach the receivers' loopback address."""
    return {**app_config, "smtp_host": "127.0.0.1", "smtp_port": smtp.port,  # type: ignore
            "base_url": "http://127.0.0.1:5000", "webhook_allow_networks": "127.0.0.2/32",
            "webhook_timeout": 5.0}


class Receiver:
    """A real HTTP server that records every request and answers as told."""

    def __init__(self, host: str) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, str]]] = []  # next answers; then 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "body": body,
                                          "headers": dict(self.headers.items())})
                status, headers = receiver.answers.pop(0) if receiver.answers else (204, {})
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on the allowed loopback address."""
    found = Receiver(RECEIVER_HOST)
    yield found
    found.close()


@pytest.fixture
def inside_receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1, which webhooks must never reach (it stands for the inside)."""
    found = Receiver("127.0.0.1")
    yield found
    found.close()
