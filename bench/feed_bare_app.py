"""The yardstick for bench/feeds.py: a bare Flask endpoint that returns the same feed bytes, with
the same ETag and 304 check, and nothing else (no database, no session, no translations)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, request

BODY = Path(os.environ["BENCH_FEED_FILE"]).read_bytes()
ETAG = os.environ["BENCH_FEED_ETAG"]
app = Flask(__name__)


@app.get("/m/<slug>/feed.atom")
def feed(slug: str) -> Response:
    headers = {"ETag": ETAG, "Cache-Control": "public, max-age=60"}
    if request.headers.get("If-None-Match") == ETAG:
        return Response(status=304, headers=headers)
    return Response(BODY, headers=headers, content_type="application/atom+xml; charset=utf-8")
