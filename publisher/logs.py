"""Structured logs: one JSON object per line (or plain text), never a secret."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from gunicorn.glogging import Logger as _GunicornLogger

from publisher.config import Settings

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
REDACTED = "[redacted]"
SECRET_ARGUMENT = re.compile(r"token|secret|signature|key|password", re.IGNORECASE)
_SEGMENT = r"[^/?#\s\"']+"
# Paths with a secret part: the approval link, and (added by `learn_secret_routes`) every route
# with an argument named like a secret (<token>, <secret>, <signature>, <key>). Each pattern's
# capturing groups are the secret parts.
SECRET_PATHS: set[str] = {rf"/a/({_SEGMENT})"}
# Query parameters (and similar pairs) whose value is a secret.
_SECRET_PARAMS = re.compile(
    r"(?i)((?:^|[?&;\s])(?:[\w.-]*(?:token|secret|password|signature|api_key|apikey|session)"
    r"[\w.-]*|key|code|sig)=)[^&;\s\"']*")
_BEARER = re.compile(r"(?i)(bearer\s+|pub_)[A-Za-z0-9._~+/=-]{8,}")
_compiled: list[re.Pattern[str]] = []


def _patterns() -> list[re.Pattern[str]]:
    if len(_compiled) != len(SECRET_PATHS):
        _compiled[:] = [re.compile(p) for p in sorted(SECRET_PATHS)]
    return _compiled


def _blank_groups(match: re.Match[str]) -> str:
    text, start = match.group(0), match.start(0)
    for index in range(match.re.groups, 0, -1):
        if match.start(index) >= 0:
            text = (text[:match.start(index) - start] + REDACTED
                    + text[match.end(index) - start:])
    return text


def redact(text: str) -> str:
    """`text` with approval tokens, secret path parts, secret query values and bearer tokens
    replaced by [redacted]."""
    if not text:
        return text
    for pattern in _patterns():
        text = pattern.sub(_blank_groups, text)
    text = _SECRET_PARAMS.sub(lambda m: m.group(1) + REDACTED, text)
    return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)


def rule_pattern(rule: str) -> str:
    """A regular expression for a URL rule whose secret-named arguments are capturing groups."""
    out = []
    for part in re.split(r"(<[^>]+>)", rule):
        found = re.fullmatch(r"<(?:[^>:]+:)?([^>]+)>", part)
        if found is None:
            out.append(re.escape(part))
        elif SECRET_ARGUMENT.search(found.group(1)):
            out.append(f"({_SEGMENT})")
        else:
            out.append(f"(?:{_SEGMENT})")
    return "".join(out)


def learn_secret_routes(app: Flask) -> None:
    """Redact the secret part of every route with an argument named like a secret.

    Called once the blueprints are registered, so a route another module adds later
    (a private feed /feeds/<token>.atom) is covered without being listed anywhere."""
    for rule in app.url_map.iter_rules():
        if any(SECRET_ARGUMENT.search(a) for a in rule.arguments):
            SECRET_PATHS.add(rule_pattern(rule.rule))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with `redact` (for loggers we do not format: Werkzeug's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if has_request_context():
            entry["path"] = redact(request.path)
            entry["method"] = request.method
            if "request_id" in g:
                entry["request_id"] = g.request_id
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(settings: Settings) -> None:
    """Send the service's logs to stderr in the configured format."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("publisher")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    root.propagate = False
    for name in ("schedules", "channels"):
        other = logging.getLogger(name)
        other.handlers[:] = [handler]
        other.setLevel(settings.log_level.upper())
        other.propagate = False


def init_app(app: Flask, settings: Settings) -> None:
    configure(settings)
    werkzeug = logging.getLogger("werkzeug")  # the dev server's access log
    if not any(isinstance(f, RedactingFilter) for f in werkzeug.filters):
        werkzeug.addFilter(RedactingFilter())
    app.logger.handlers[:] = logging.getLogger("publisher").handlers
    app.logger.setLevel(settings.log_level.upper())


class GunicornLogger(_GunicornLogger):  # type: ignore[misc]
    """gunicorn's access log without secrets (`--logger-class publisher.logs.GunicornLogger`).

    Every atom of the access line passes through `redact`: the request line, path, query, the
    referrer (a page behind an approval link is the referrer of its stylesheet) and a redirect's
    Location; cookie and authorization headers, should a custom format name them, are replaced
    whole.
    """

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in found.items():
            lower = key.lower()
            if "cookie" in lower or "authorization" in lower:
                found[key] = REDACTED
            elif isinstance(value, str):
                found[key] = redact(value)
        return found
