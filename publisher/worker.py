"""`publisher worker`: the schedules worker with this service's settings, adapters and mail."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from publisher.config import Settings
from publisher.db import make_engine
from publisher.flows.accounts import adapter_factory

log = logging.getLogger("publisher.worker")


def schedule_settings(settings: Settings) -> dict[str, Any]:
    """The schedules package's knobs from the service settings."""
    return {
        "public_base_url": settings.base_url,
        "upload_dir": settings.upload_dir,
        "max_attempts": settings.worker_max_attempts,
        "backoff_base": settings.worker_backoff_base,
        "backoff_cap": settings.worker_backoff_cap,
        "max_lateness": settings.worker_max_lateness,
        "lease_seconds": settings.worker_lease_seconds,
        "pool_size": settings.worker_pool_size,
        "account_concurrency": settings.worker_account_concurrency,
        "account_rate": settings.worker_account_rate,
        "token_warning_days": settings.worker_token_warning_days,
    }


def notifier(app: Flask) -> Any:
    """Tell the secretariat about failed and held deliveries and expiring tokens."""

    def notify(kind: str, subject: Any) -> None:
        from publisher.flows.notices import notify_worker_problem

        with app.app_context():
            try:
                notify_worker_problem(kind, subject)
            except Exception:  # a mail problem must never stop publishing
                log.exception("could not notify the secretariat about %s", kind)

    return notify


def run(app: Flask) -> None:
    """Run the worker until SIGTERM."""
    from schedules.worker import run_forever

    settings: Settings = app.extensions["publisher_settings"]
    knobs = schedule_settings(settings)
    engine = make_engine(settings.database_url, pool_size=settings.worker_pool_size + 4)
    jobs = approval_jobs(app)
    feeds = feed_jobs(app)
    try:
        run_forever(engine, adapter_factory(settings), knobs, notifier(app),
                    leader_jobs=[reach_job(engine, settings)])
    finally:
        jobs.shutdown(wait=False)
        feeds.shutdown(wait=False)


def reach_job(engine: Any, settings: Settings) -> Any:
    """Reach collection (+1 h, +24 h, +7 d, +28 d after publication), run by the leader only:
    every leader round (every ~30 s) it collects what is due, a batch at a time."""
    from sqlalchemy.orm import Session

    from publisher.flows.reach.collect import collect_due

    factory = adapter_factory(settings)

    def job(now: datetime) -> None:
        with Session(engine) as session:
            run = collect_due(session, factory, now)
        if run.collected or run.failed:
            log.info("reach: collected %d, failed %d", len(run.collected), len(run.failed))

    return job


def approval_jobs(app: Flask) -> Any:
    """Deadlines, reminders, share kits and mail retries, once a minute in every worker.

    These jobs are safe to run from several workers at once (each claims its rows), so they do
    not need the leader.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    from publisher.flows.approval_jobs import run_jobs

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(lambda: run_jobs(app), "interval", seconds=60, max_instances=1,
                      coalesce=True, next_run_time=datetime.now(UTC))
    scheduler.start()
    return scheduler


FEED_JOB_SECONDS = 5  # how soon an item goes public (or is withdrawn) after its time


def feed_jobs(app: Flask) -> Any:
    """The public record, webhook deliveries and digests, every few seconds in every worker.

    Each step claims its rows, so several workers may run them at once without the leader.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    from publisher.flows.feeds.jobs import run_feed_jobs

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(lambda: run_feed_jobs(app), "interval", seconds=FEED_JOB_SECONDS,
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))
    scheduler.start()
    return scheduler
