"""Fixtures for the approval tests: a real SMTP server (aiosmtpd) the app sends to, and the
browser fixtures of tests/browser (loaded by path, not edited). The sandbox comes from
tests/conftest.py."""

from __future__ import annotations

import email
import importlib.util
import socket
import sys
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_browser = _load("tests_browser_conftest_for_approvals", HERE.parent / "browser" / "conftest.py")
live_app = _browser.live_app
live_server = _browser.live_server
page = _browser.page
check_a11y_fixture = _browser.check_a11y_fixture
log_in_fixture = _browser.log_in_fixture
add_user = _browser.add_user


class Inbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=default_policy)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def clear(self) -> None:
        self.messages.clear()
        self.envelopes.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """An aiosmtpd server on a fixed loopback port that can be stopped and started again."""

    def __init__(self, inbox: Inbox, port: int) -> None:
        self.inbox, self.port = inbox, port
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A real SMTP server on a free loopback port, collecting every message."""
    inbox = Inbox()
    server = SmtpServer(inbox, _free_port())
    server.start()
    inbox.port = server.port  # type: ignore[attr-defined]
    inbox.server = server  # type: ignore[attr-defined]
    yield inbox
    server.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    """The app sends its mail to the test's SMTP server."""
    return {**app_config, "smtp_host": "127.0.0.1", "smtp_port": smtp.port,  # type: ignore
            "base_url": "http://publisher.test"}


@pytest.fixture
def peek(database_url: str) -> Iterator[Any]:
    """`peek(fn)`: run fn(session) in a short read on a plain engine and return its result.

    The app's SQLite engine starts every transaction with BEGIN IMMEDIATE (a write lock), so a
    test that kept one of its sessions open would stall the app; this one only reads.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from publisher.db import normalise_url

    engine = create_engine(normalise_url(database_url))

    def run(fn: Any) -> Any:
        with Session(engine) as session:
            return fn(session)

    yield run
    engine.dispose()
