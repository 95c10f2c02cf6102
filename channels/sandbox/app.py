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

from channels.sandbox.core import Faults, Store

# Each platform module exposes `register(app, store, faults)`; listed explicitly, no magic.
PLATFORM_MODULES = (
    "channels.sandbox.facebook",
    "channels.sandbox.instagram",
    "channels.sandbox.mailchimp",
    "channels.sandbox.wordpress",
    "channels.sandbox.x",
    "channels.sandbox.control",
    "channels.sandbox.mailbox",
    "channels.sandbox.pages",
)

PREFIXES = {
    "facebook": "/facebook",
    "instagram": "/instagram",
    "mailchimp": "/mailchimp/3.0",
    "wordpress": "/wordpress",
    "x": "/x",
}

SETTING_NAMES = {
    "facebook": "PUBLISHER_FACEBOOK_GRAPH_URL",
    "instagram": "PUBLISHER_INSTAGRAM_GRAPH_URL",
    "mailchimp": "PUBLISHER_MAILCHIMP_API_URL",
    "wordpress": "PUBLISHER_WORDPRESS_URL",
    "x": "PUBLISHER_X_API_URL",
}


def settings_for(base: str) -> dict[str, str]:
    """The PUBLISHER_…_URL settings that point the service at a sandbox served at `base`."""
    base = base.rstrip("/")
    return {SETTING_NAMES[p]: base + PREFIXES[p] for p in SETTING_NAMES}


def create_sandbox_app(store: Store | None = None, faults: Faults | None = None) -> Flask:
    """Build the sandbox app with its own (or the given) state and fault knobs."""
    import importlib

    app = Flask(__name__)
    app.config["SANDBOX_STORE"] = store or Store()
    app.config["SANDBOX_FAULTS"] = faults or Faults()
    for name in PLATFORM_MODULES:
        module = importlib.import_module(name)
        module.register(app, app.config["SANDBOX_STORE"], app.config["SANDBOX_FAULTS"])
    return app
