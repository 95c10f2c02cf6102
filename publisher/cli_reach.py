"""`publisher reach collect`: collect what is due now, or (--all) a snapshot of everything."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from publisher.db import get_session


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
    from publisher.flows.accounts import build_adapter
    from publisher.flows.reach.collect import collect_all, collect_due

    settings: Any = current_app.extensions["publisher_settings"]
    now = datetime.now(UTC)
    session = get_session()
    factory = lambda row: build_adapter(settings, row)  # noqa: E731
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
