"""The `publisher` command: serve, worker, sandbox, db upgrade, demo, user add, token create."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import ScriptInfo, with_appcontext

from publisher.config import ConfigError


def _create_app() -> object:
    from publisher import create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


class PublisherGroup(click.Group):
    """Our commands only (not Flask's -e/-A/--debug or its plugin commands). The app is built
    only by a command that needs it, so `--help` and `sandbox` need no secret key."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: object) -> click.Context:
        extra.setdefault("obj", ScriptInfo(create_app=_create_app,  # type: ignore[arg-type]
                                           set_debug_flag=False))
        return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[arg-type]


@click.group(cls=PublisherGroup)
def main() -> None:
    """Publisher: queue, approve and publish posts to Facebook, Instagram, web and newsletter."""


@main.command("serve")
@click.option("--bind", default="127.0.0.1:5000", show_default=True, help="host:port")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--dev", is_flag=True, help="Werkzeug's reloading dev server instead of gunicorn.")
def serve(bind: str, workers: int, dev: bool) -> None:
    """Run the web service (gunicorn in production)."""
    _check_config()
    if dev:
        from publisher import create_app

        host, _, port = bind.rpartition(":")
        create_app().run(host=host or "127.0.0.1", port=int(port), debug=False)
        return
    os.execvp(
        sys.executable,
        [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(workers),
         "--access-logfile", "-", "--logger-class", "publisher.logs.GunicornLogger",
         "publisher.wsgi:app"],
    )


@main.command("worker")
@with_appcontext
def worker() -> None:
    """Run the publishing worker: claims due deliveries and publishes them (until SIGTERM)."""
    from flask import current_app

    from publisher.worker import run

    run(current_app._get_current_object())  # type: ignore[attr-defined]


@main.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5050, show_default=True, type=click.IntRange(0, 65535))
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to every call.")
def sandbox(host: str, port: int, latency: float) -> None:
    """Run the local platform sandbox and print the settings that point the service at it."""
    from channels.sandbox.server import run

    run(host, port, latency=latency)


def _check_config() -> None:
    from publisher.config import load_settings

    try:
        load_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None


from publisher import cli_app  # noqa: E402  (commands that need the app)

cli_app.register(main)
