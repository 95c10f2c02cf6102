#!/usr/bin/env python3
"""Create a post, approve it and follow it until it is out — through the JSON API alone.

    PUBLISHER_URL=http://127.0.0.1:5000 PUBLISHER_TOKEN=... \
        python scripts/examples/follow_post.py --image poster.jpg --alt "Plakaten for koncerten"

The token must belong to an administrator (`publisher token create --user NAME`): the script sets
the draft's approval policy to "no outside approver" and approves it itself. Without --approve it
sends the draft to the approvers its policy names instead, and follows it once they have decided.
It prints each delivery's status and, for a failed one, its attempts; --retry sends failed ones
again once. Exit status: 0 when every delivery is published, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import requests

FINAL = {"published", "failed", "held", "cancelled"}


class Api:
    """A small client: JSON in and out, problems raised with their text."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {token}",
                                  "Accept-Language": "en"})

    def call(self, method: str, path: str, **kw: Any) -> Any:
        response = self.http.request(method, self.base + path, timeout=30, **kw)
        if response.status_code >= 400:
            problem = response.json()
            details = "; ".join(f"{e['field']}: {e['message']}" for e in problem.get("errors", []))
            raise SystemExit(f"{method} {path}: {response.status_code} {problem.get('title')}"
                             f" — {problem.get('detail', '')} {details}".rstrip())
        return response.json()


def create(api: Api, args: argparse.Namespace) -> dict[str, Any]:
    draft = api.call("POST", "/drafts", json={
        "title": args.title, "body": args.body, "initiative": args.initiative,
        "municipalities": args.municipality, "channels": args.channel,
    })
    print(f"draft {draft['id']} created (version {draft['version']})")
    if args.image:
        with Path(args.image).open("rb") as image:
            draft = api.call("POST", f"/drafts/{draft['id']}/media",
                             files={"image": (Path(args.image).name, image)},
                             data={"alt_text": args.alt})
        print(f"image added: {draft['media'][-1]['url']}")
    return draft


def approve(api: Api, draft_id: int, *, by_admin: bool) -> None:
    if by_admin:
        api.call("PUT", f"/drafts/{draft_id}/approvals/policy", json={
            "mode": "none", "rule": "any", "approver_ids": [], "deadline_hours": 0,
            "reminder_hours": 0})
    state = api.call("POST", f"/drafts/{draft_id}/approvals")
    print(f"sent for approval: {state['status']}, asked "
          f"{[r['approver']['name'] for r in state['requests']] or 'nobody outside'}")
    if by_admin:
        state = api.call("POST", f"/drafts/{draft_id}/approvals/approve")
        print(f"approved by the administrator: {state['status']}")


def follow(api: Api, draft_id: int, timeout: float) -> list[dict[str, Any]]:
    """Poll the draft's deliveries until each has ended (or the time is up)."""
    deadline, seen = time.monotonic() + timeout, {}
    while True:
        items = api.call("GET", "/deliveries", params={"draft": draft_id})["items"]
        for d in items:
            if seen.get(d["id"]) != (d["status"], d["attempts"]):
                seen[d["id"]] = (d["status"], d["attempts"])
                where = d["external_url"] or d["problem"]
                print(f"  delivery {d['id']} {d['channel']:<10} {d['status']:<11} {where}")
        if items and all(d["status"] in FINAL for d in items):
            return items
        if time.monotonic() > deadline:
            print("  (stopped following: time is up)")
            return items
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("PUBLISHER_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--token", default=os.environ.get("PUBLISHER_TOKEN", ""))
    parser.add_argument("--title", default="Sommerkoncert i Byparken")
    parser.add_argument("--body", default="Gratis koncert for alle. Tag en ven med!")
    parser.add_argument("--initiative", default="music")
    parser.add_argument("--municipality", action="append", default=None)
    parser.add_argument("--channel", action="append", default=None)
    parser.add_argument("--image", help="A JPEG or PNG to attach.")
    parser.add_argument("--alt", default="", help="The image's alt text.")
    parser.add_argument("--approve", action=argparse.BooleanOptionalAction, default=True,
                        help="Approve as administrator (policy: no outside approver).")
    parser.add_argument("--retry", action="store_true", help="Retry failed deliveries once.")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    args.municipality = args.municipality or ["roskilde"]
    args.channel = args.channel or ["facebook"]
    if not args.token:
        parser.error("give --token or set PUBLISHER_TOKEN")
    api = Api(args.url, args.token)

    draft = create(api, args)
    approve(api, draft["id"], by_admin=args.approve)
    deliveries = follow(api, draft["id"], args.timeout)
    failed = [d for d in deliveries if d["status"] == "failed"]
    for d in failed:
        for a in api.call("GET", f"/deliveries/{d['id']}/attempts"):
            print(f"  attempt {a['id']} {a['action']} → {a['outcome']} {a['error_text']}")
    if failed and args.retry:
        for d in failed:
            api.call("POST", f"/deliveries/{d['id']}/retry", json={})
            print(f"  delivery {d['id']} retried")
        deliveries = follow(api, draft["id"], args.timeout)
    published = sum(d["status"] == "published" for d in deliveries)
    print(f"{published} of {len(deliveries)} deliveries published")
    return 0 if deliveries and published == len(deliveries) else 1


if __name__ == "__main__":
    sys.exit(main())
