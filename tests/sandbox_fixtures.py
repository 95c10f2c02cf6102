"""Sandbox fixtures for every test folder (a pytest plugin of tests/conftest.py): a real sandbox
server on a free loopback port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from channels.sandbox.app import create_sandbox_app, settings_for
from channels.sandbox.core import FaultRule, Faults, Store


@dataclass
class RunningSandbox:
    base_url: str
    store: Store
    faults: Faults

    def url(self, platform: str) -> str:
        return settings_for(self.base_url)[
            {
                "facebook": "PUBLISHER_FACEBOOK_GRAPH_URL",
                "instagram": "PUBLISHER_INSTAGRAM_GRAPH_URL",
                "mailchimp": "PUBLISHER_MAILCHIMP_API_URL",
                "wordpress": "PUBLISHER_WORDPRESS_URL",
                "x": "PUBLISHER_X_API_URL",
            }[platform]
        ]

    def fault(self, **kwargs: object) -> FaultRule:
        return self.faults.add(FaultRule(**kwargs))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[RunningSandbox]:
    store, faults = Store(), Faults()
    app = create_sandbox_app(store, faults)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningSandbox(f"http://127.0.0.1:{server.server_port}", store, faults)
    finally:
        server.shutdown()


@pytest.fixture
def sandbox(_sandbox_server: RunningSandbox) -> Iterator[RunningSandbox]:
    """The shared sandbox server with clean state and no faults for each test."""
    _sandbox_server.store.reset()
    _sandbox_server.faults.clear()
    yield _sandbox_server
    _sandbox_server.faults.clear()
