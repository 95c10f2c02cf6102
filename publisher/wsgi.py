"""WSGI entry point for gunicorn: `gunicorn publisher.wsgi:app`."""

from publisher import create_app

app = create_app()
