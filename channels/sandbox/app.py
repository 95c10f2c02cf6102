"""The sandbox web app: one local HTTP server speaking each platform's API under its own prefix.

    /facebook/v25.0/...      Facebook Graph (Pages)         PUBLISHER_FACEBOOK_GRAPH_URL
    /instagram/v25.0/...     Instagram Graph                PUBLISHER_INSTAGRAM_GRAPH_URL
    /mailchimp/3.0/...       Mailchimp Marketing            PUBLISHER_MAILCHIMP_API_URL
    /wordpress/wp-json/...   WordPress REST                 PUBLISHER_WORDPRESS_URL
    /x/2/...                 X API v2                       PUBLISHER_X_API_URL
    /_sandbox/...            fault knobs, state, reset (JSON)
    /                        a page listing what was "published"
    /view/...                the platforms' public pages for what was published (pages.py)
    /mail                    mails caught by the demo's SMTP sink (channels.sandbox.mailbox)
"""

from __future__ import annotations

from flask import Flask

from channels.registry import REGISTRY
from channels.sandbox import (
    control,
    facebook,
    instagram,
    mailbox,
    mailchimp,
    pages,
    wordpress,
    x,
)
from channels.sandbox.core import Faults, Store


def settings_for(base: str) -> dict[str, str]:
    """The PUBLISHER_…_URL settings that point the service at a sandbox served at `base`."""
    base = base.rstrip("/")
    return {row.env_name: base + row.sandbox_prefix for row in REGISTRY.values()}


def create_sandbox_app(store: Store | None = None, faults: Faults | None = None) -> Flask:
    """Build the sandbox app with its own (or the given) state and fault knobs."""
    app = Flask(__name__)
    store = app.config["SANDBOX_STORE"] = store or Store()
    faults = app.config["SANDBOX_FAULTS"] = faults or Faults()
    # Each platform is served under the prefix its row in channels/registry.py names.
    facebook.register(app, store, faults, REGISTRY["facebook"].sandbox_prefix)
    instagram.register(app, store, faults, REGISTRY["instagram"].sandbox_prefix)
    mailchimp.register(app, store, faults)  # /mailchimp: its API under /3.0, its archive pages
    wordpress.register(app, store, faults, REGISTRY["website"].sandbox_prefix)
    x.register(app, store, faults, REGISTRY["x"].sandbox_prefix)
    control.register(app, store, faults)
    mailbox.register(app, store, faults)
    pages.register(app, store, faults)
    return app
