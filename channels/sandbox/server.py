"""Run the sandbox as its own HTTP server (`publisher sandbox`, `python -m channels.sandbox`).

The sandbox keeps its state in memory, so it must be one process. werkzeug's threaded server
(a thread per connection, HTTP/1.1 keep-alive) is that, and it is the only server here that lets
an accept-then-drop fault close the client's socket (`werkzeug.socket`). bench/sandbox.py
measured it on the 2-CPU build machine, clients on the same machine: about 350–1000 requests/s
with one client and 700–1200 with eight (p95 under 20 ms), reads and publishes alike, varying
with the machine's other load; gunicorn with one gthread worker was not consistently faster,
and the GIL caps both. Requests are logged unless `quiet`. Nagle's algorithm is off because
werkzeug writes headers and body separately (no difference measured on Linux loopback, but it
rules out delayed-ACK stalls elsewhere).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from channels.sandbox.app import create_sandbox_app, settings_for
from channels.sandbox.core import FaultRule, Faults, Store

DEFAULT_PORT = 5050


class SandboxRequestHandler(WSGIRequestHandler):
    """werkzeug's handler with Nagle's algorithm off."""

    disable_nagle_algorithm = True


class QuietRequestHandler(SandboxRequestHandler):
    """Same, without a log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def parse_fault(spec: str) -> FaultRule:
    """Read "platform:op:kind[:code]" (e.g. "x:publish:accept_then_timeout") as a FaultRule."""
    parts = spec.split(":", 3)
    if len(parts) < 3 or not all(parts[:3]):
        raise ValueError(f"expected platform:op:kind[:code], got {spec!r}")
    code = parts[3] if len(parts) > 3 else ""
    return FaultRule(platform=parts[0], op=parts[1], kind=parts[2], code=code)


def make_sandbox_server(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    latency: float = 0.0,
    faults: Iterable[FaultRule | str] = (),
    quiet: bool = False,
    error_rate: float = 0.0,
) -> BaseWSGIServer:
    """Build (but do not start) a threaded server for a fresh sandbox app."""
    knobs = Faults(latency=latency)
    for rule in faults:
        knobs.add(parse_fault(rule) if isinstance(rule, str) else rule)
    if error_rate > 0:
        knobs.add(FaultRule(kind="error", rate=min(error_rate, 1.0)))
    app = create_sandbox_app(Store(), knobs)
    handler = QuietRequestHandler if quiet else SandboxRequestHandler
    return make_server(host, port, app, threaded=True, request_handler=handler)


def base_url(server: BaseWSGIServer) -> str:
    """The URL a local client reaches the server at."""
    host = server.host if server.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{server.server_port}"


def run(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    latency: float = 0.0,
    faults: Iterable[FaultRule | str] = (),
    quiet: bool = False,
    error_rate: float = 0.0,
    **_ignored: Any,
) -> None:
    """Serve the sandbox until interrupted, after printing the PUBLISHER_…_URL settings."""
    server = make_sandbox_server(host, port, latency, faults, quiet, error_rate)
    for name, value in settings_for(base_url(server)).items():
        print(f"{name}={value}", flush=True)
    print(f"# sandbox overview: {base_url(server)}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
