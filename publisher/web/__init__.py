"""The web UI's blueprints, registered explicitly."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from publisher.web import admin, auth_views, drafts_views, health, labels, media

    labels.init_app(app)

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(drafts_views.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    from publisher.web import approvals_admin, approve, links  # approval by emailed link

    app.register_blueprint(approve.bp)
    app.register_blueprint(approvals_admin.bp)
    app.register_blueprint(links.bp)
    from publisher.web import (
        metrics,
        publishing,  # deliveries: health screen, retry
    )

    app.register_blueprint(publishing.bp)
    app.register_blueprint(metrics.bp)
    from publisher.web import public_forms, suggestions_admin  # what the public sends in

    app.register_blueprint(public_forms.bp)
    app.register_blueprint(suggestions_admin.bp)
    from publisher.web import calendar_views  # the calendar and the posting plan

    app.register_blueprint(calendar_views.bp)
    from publisher.web import public  # the public site and feeds

    public.init_app(app, more_menu=public_forms.MENU)
    from publisher.web import subscriptions  # subscriptions: screens and subscriber pages

    subscriptions.init_app(app)
    from publisher.web import reach  # reach per municipality, Citatboks, status reports

    app.register_blueprint(reach.bp)
