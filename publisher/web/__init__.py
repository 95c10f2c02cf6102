"""The web UI's blueprints, registered explicitly."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from publisher.web import admin, auth_views, drafts_views, health, media

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(drafts_views.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
