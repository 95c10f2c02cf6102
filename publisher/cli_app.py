"""CLI commands that work on the database through the app: db, demo, users, tokens, demo run."""

from __future__ import annotations

import getpass
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from drafts.models import ApiToken, Initiative, Role, User
from publisher.auth import hash_password, new_api_token, password_problem
from publisher.config import current_organisation, current_settings
from publisher.db import get_session


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from publisher.migrate import upgrade

    upgrade(current_settings().database_url, revision)
    click.echo(f"Database at {revision}.")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load the organisation and demo users, approvers and drafts (safe to repeat)."""
    from publisher.seed import load_demo

    with click.progressbar(length=8, label="Demo data") as bar:
        load_demo(get_session(), current_organisation(), current_settings(),
                  datetime.now(UTC), progress=lambda _m: bar.update(1))
    click.echo("Demo data loaded. Log in as admin / demo-admin-password.")


@click.command("load-organisation")
@with_appcontext
def load_org() -> None:
    """Insert or update municipalities, initiatives and accounts from the organisation file."""
    from publisher.seed import load_organisation

    db = get_session()
    counts = load_organisation(db, current_organisation())
    db.commit()
    click.echo(", ".join(f"{v} new {k}" for k, v in counts.items()))


@click.group("user")
def user_group() -> None:
    """User accounts."""


@user_group.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Full name shown in the UI.")
@click.option("--email", default="")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="viewer",
              show_default=True)
@click.option("--initiative", "initiatives", multiple=True, help="Initiative slug (editors).")
@click.option("--locale", type=click.Choice(["da", "en"]), default="da", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def user_add(username: str, name: str, email: str, role: str, initiatives: tuple[str, ...],
             locale: str, password_stdin: bool) -> None:
    """Create a user."""
    db = get_session()
    if db.scalar(select(User).where(User.username == username)) is not None:
        raise click.ClickException(f"user {username!r} exists already")
    found = list(db.scalars(select(Initiative).where(Initiative.slug.in_(initiatives))))
    missing = set(initiatives) - {i.slug for i in found}
    if missing:
        raise click.ClickException(f"unknown initiative: {', '.join(sorted(missing))}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem[1])
    db.add(User(username=username, name=name, email=email, role=role, locale=locale,
                password_hash=hash_password(password), initiatives=found))
    db.commit()
    click.echo(f"Created {role} {username}.")


@click.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.option("--user", "username", required=True)
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@with_appcontext
def token_create(username: str, name: str) -> None:
    """Create an API token for a user; it is printed once and only its hash is kept."""
    db = get_session()
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise click.ClickException(f"no active user {username!r}")
    token, secret = new_api_token(db, user, name, datetime.now(UTC))
    db.commit()
    click.echo(f"Token {token.id} for {username} (shown once, store it now):", err=True)
    click.echo(secret)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id: int) -> None:
    """Revoke an API token by id."""
    db = get_session()
    token = db.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"no token {token_id}")
    token.revoked_at = datetime.now(UTC)
    db.commit()
    click.echo(f"Revoked token {token_id}.")


@click.command("run-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--sandbox-port", default=5050, show_default=True, type=int)
@with_appcontext
def run_demo(host: str, port: int, sandbox_port: int) -> None:
    """Run web + sandbox + worker in one process, for a demo on SQLite."""
    from werkzeug.serving import make_server

    from channels.sandbox.app import create_sandbox_app
    from channels.sandbox.core import Store
    from channels.sandbox.mailbox import start_sink
    from publisher.worker import run as run_worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = Store()
    sink = start_sink(store, host, current_settings().smtp_port)
    _seed_sandbox_audiences(store)
    sandbox_server = make_server(host, sandbox_port, create_sandbox_app(store), threaded=True)
    threading.Thread(target=sandbox_server.serve_forever, daemon=True).start()
    threading.Thread(target=run_worker, args=(app,), daemon=True).start()
    web = make_server(host, port, app, threaded=True)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    click.echo("")
    click.echo(f"  Publisher is running:  http://{host}:{port}/")
    click.echo("  Log in as admin / demo-admin-password (editor: musik / demo-editor-password)")
    click.echo(f"  Sandbox (what was 'published'):  http://{host}:{sandbox_port}/")
    click.echo(f"  Mail sent by the demo (approval links):  http://{host}:{sandbox_port}/mail")
    click.echo("  The publishing worker runs in the same process.")
    click.echo("  Stop with Ctrl+C.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        web.shutdown()
        sandbox_server.shutdown()
        sink.stop()


def _seed_sandbox_audiences(store: Any) -> None:
    """Give each newsletter audience of the demo subscribers in every municipality."""
    from channels.sandbox.mailchimp_site import seed_audience

    org = current_app.extensions["organisation"]
    slugs = [str(m["slug"]) for m in org.municipalities]
    for row in org.accounts:
        if row.get("platform") == "newsletter":
            options = dict(row.get("options") or {})
            list_id = str(options.get("list_id") or row["external_id"])
            seed_audience(store, list_id, str(options.get("merge_field") or "KOMMUNE"), slugs)


@click.group("reach")
def reach_group() -> None:
    """Reach figures from the platforms."""


@reach_group.command("collect")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Snapshot every published delivery now, not only what is due.",
)
@with_appcontext
def reach_collect(everything: bool) -> None:
    """Collect reach figures that are due (or all of them with --all)."""
    from publisher.flows.accounts import adapter_factory
    from publisher.flows.reach.collect import collect_all, collect_due

    now = datetime.now(UTC)
    session = get_session()
    factory = adapter_factory(current_settings())
    run = (
        collect_all(session, factory, now)
        if everything
        else collect_due(session, factory, now, limit=10_000)
    )
    click.echo(f"Collected {len(run.collected)}; failed {len(run.failed)}.")
    for delivery_id, reason in sorted(run.failed.items()):
        click.echo(f"  delivery {delivery_id}: {reason} (will be tried again)", err=True)
    if run.failed:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    for command in (db_group, demo, load_org, user_group, token_group, run_demo, reach_group):
        group.add_command(command)
