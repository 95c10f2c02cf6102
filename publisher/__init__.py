"""Publisher: the Flask service (web UI, JSON API, CLI) over drafts/, schedules/ and channels/."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the web app: settings, database, translations, security, blueprints."""
    from publisher import auth, db, errors, i18n, logs, security
    from publisher.config import load_organisation, load_settings

    overrides = dict(test_config or {})
    flask_overrides = {k: overrides.pop(k) for k in list(overrides) if k.isupper()}
    settings = load_settings(overrides=overrides)

    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="publisher_session",
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes * settings.images_per_draft + 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead of a clock
        WTF_CSRF_SSL_STRICT=False,
        JSON_SORT_KEYS=False,
    )
    app.config.update(flask_overrides)
    app.extensions["publisher_settings"] = settings
    organisation = load_organisation(settings.organisation_file)
    app.extensions["organisation"] = organisation
    app.jinja_env.globals["org_name"] = lambda: organisation.name

    logs.init_app(app, settings)
    engine = db.make_engine(settings.database_url)
    db.init_app(app, engine)
    i18n.init_app(app, settings)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)

    from publisher.api import init_app as init_api
    from publisher.web import register_blueprints

    register_blueprints(app)
    init_api(app)
    logs.learn_secret_routes(app)  # after every route exists: their secrets stay out of logs
    return app
