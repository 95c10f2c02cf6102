"""gunicorn's access log without secrets: `--logger-class publisher.gunicorn_logging.Logger`.

Every atom of the access line passes through `publisher.logs.redact`: the request line, path,
query, the referrer (a page behind an approval link is the referrer of its stylesheet) and a
redirect's Location; cookie and authorization headers, should a custom format name them, are
replaced whole.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger as _Logger

from publisher.logs import REDACTED, redact


class Logger(_Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in found.items():
            lower = key.lower()
            if "cookie" in lower or "authorization" in lower:
                found[key] = REDACTED
            elif isinstance(value, str):
                found[key] = redact(value)
        return found
