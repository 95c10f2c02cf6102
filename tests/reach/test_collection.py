"""Collection: the +1 h/+24 h/+7 d/+28 d plan, failures that are recorded and retried (never a
0 for a missing figure), the worker's leader running the job, and `publisher reach collect`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from channels.sandbox.core import freeze_clock
from publisher.flows.reach.collect import (
    STAGES,
    backoff,
    collect_all,
    collect_due,
    problems,
    stage_for,
)
from publisher.flows.reach.models import ReachCollection, ReachRollup, ReachSnapshot
from schedules.worker import Worker
from tests.reach.world import publish_world

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


def test_a_fresh_item_is_first_collected_an_hour_after_publication():
    assert stage_for(T0, T0 + timedelta(minutes=5)) == 0
    assert T0 + STAGES[0][1] == T0 + timedelta(hours=1)


def test_an_item_found_late_is_collected_once_for_the_stage_it_is_in_not_for_each_missed():
    assert STAGES[stage_for(T0, T0 + timedelta(days=8))][0] == "7d"


def test_after_the_last_stage_nothing_more_is_planned():
    assert stage_for(T0, T0 + timedelta(days=30), after=3) == len(STAGES)


def test_failed_collections_wait_longer_each_time_and_honour_retry_after():
    assert backoff(1, None) < backoff(2, None) < backoff(3, None) <= timedelta(hours=6)
    assert backoff(1, 3600) == timedelta(hours=1)
    assert backoff(50, None) == timedelta(hours=6)


def plans(db: Any) -> dict[int, ReachCollection]:
    db.expire_all()
    return {p.delivery_id: p for p in db.scalars(select(ReachCollection)).all()}


def test_collections_move_through_the_stages_as_time_passes(db, sandbox):
    published_at = datetime.now(UTC)
    world = publish_world(db, sandbox.base_url, published_at)
    facebook = world.deliveries["facebook"].id

    assert collect_due(db, world.adapter_for, published_at + timedelta(minutes=30)).collected == []
    first = collect_due(db, world.adapter_for, published_at + timedelta(hours=1, minutes=1))
    after_first = plans(db)[facebook].due_at
    second = collect_due(db, world.adapter_for, published_at + timedelta(hours=25))

    assert facebook in first.collected and facebook in second.collected
    assert after_first == published_at + timedelta(hours=24)
    assert plans(db)[facebook].due_at == published_at + timedelta(days=7)
    stages = db.scalars(
        select(ReachSnapshot.stage).where(ReachSnapshot.delivery_id == facebook).distinct()
    ).all()
    assert sorted(stages) == ["1h", "24h"]


def test_an_expired_token_is_recorded_retried_and_never_written_as_zero(db, sandbox):
    published_at = datetime.now(UTC)
    world = publish_world(db, sandbox.base_url, published_at)
    facebook = world.deliveries["facebook"].id
    sandbox.fault(platform="facebook", op="insights", kind="expired_token")
    at = published_at + timedelta(hours=2)

    run = collect_due(db, world.adapter_for, at)

    plan = plans(db)[facebook]
    assert run.failed[facebook] == "token_expired"
    assert (plan.attempts, plan.last_error, plan.next_stage) == (1, "token_expired", 0)
    assert plan.due_at == at + backoff(1, None)
    assert [p.delivery_id for p in problems(db)] == [facebook]
    assert (
        db.scalar(
            select(func.count())
            .select_from(ReachSnapshot)
            .where(ReachSnapshot.delivery_id == facebook)
        )
        == 0
    )
    assert (
        db.scalar(
            select(func.count()).select_from(ReachRollup).where(ReachRollup.delivery_id == facebook)
        )
        == 0
    )

    sandbox.faults.clear()
    retry = collect_due(db, world.adapter_for, plan.due_at)

    assert facebook in retry.collected
    assert plans(db)[facebook].last_error == "" and problems(db) == []


def test_a_rate_limited_collection_waits_at_least_as_long_as_the_platform_asks(db, sandbox):
    published_at = datetime.now(UTC)
    world = publish_world(db, sandbox.base_url, published_at)
    x = world.deliveries["x"].id
    sandbox.fault(platform="x", op="insights", kind="rate_limit", seconds=60)
    at = published_at + timedelta(hours=2)

    run = collect_due(db, world.adapter_for, at)

    plan = plans(db)[x]
    assert run.failed[x] == "rate_limited" and plan.attempts == 1
    assert plan.due_at is not None and plan.due_at >= at + timedelta(minutes=5)
    assert (
        db.scalar(select(func.count()).select_from(ReachRollup).where(ReachRollup.delivery_id == x))
        == 0
    )


def test_a_snapshot_of_everything_now_leaves_the_plan_alone(db, sandbox):
    published_at = datetime.now(UTC)
    world = publish_world(db, sandbox.base_url, published_at)

    run = collect_all(db, world.adapter_for, published_at + timedelta(minutes=10))

    assert sorted(run.collected) == sorted(d.id for d in world.deliveries.values())
    assert {p.next_stage for p in plans(db).values()} == {0}
    assert set(db.scalars(select(ReachSnapshot.stage)).all()) == {"now"}


def test_a_later_snapshot_replaces_the_rollup_figure_and_an_older_one_does_not(db, sandbox):
    published_at = datetime.now(UTC)
    world = publish_world(db, sandbox.base_url, published_at)
    facebook = world.deliveries["facebook"].id

    def reach_value() -> int:
        db.expire_all()
        return db.scalar(
            select(ReachRollup.value).where(
                ReachRollup.delivery_id == facebook,
                ReachRollup.metric == "reach",
                ReachRollup.segment == "",
            )
        )

    freeze_clock((published_at + timedelta(hours=1)).timestamp())
    collect_all(db, world.adapter_for, published_at + timedelta(hours=1))
    early = reach_value()
    freeze_clock((published_at + timedelta(hours=12)).timestamp())
    collect_all(db, world.adapter_for, published_at + timedelta(hours=12))
    late = reach_value()
    freeze_clock((published_at + timedelta(hours=1)).timestamp())
    collect_all(db, world.adapter_for, published_at + timedelta(hours=6))  # observed earlier

    assert early < late == reach_value()


class Recorder:
    def __init__(self) -> None:
        self.calls: list[datetime] = []

    def __call__(self, now: datetime) -> None:
        self.calls.append(now)


class AlwaysLeader:
    def acquire(self, now: datetime) -> bool:
        return True

    def release(self, now: datetime) -> None:
        pass


class NeverLeader(AlwaysLeader):
    def acquire(self, now: datetime) -> bool:
        return False


def test_the_worker_runs_the_reach_job_only_while_it_leads(app):
    sessions = app.extensions["db_sessionmaker"]
    leading, following = Recorder(), Recorder()

    Worker(
        sessions,
        lambda row: None,
        leader=AlwaysLeader(),  # type: ignore[arg-type]
        leader_jobs=[leading],
    ).leader_tick()
    Worker(
        sessions,
        lambda row: None,
        leader=NeverLeader(),  # type: ignore[arg-type]
        leader_jobs=[following],
    ).leader_tick()

    assert len(leading.calls) == 1 and following.calls == []


def test_one_failing_leader_job_does_not_stop_the_next(app):
    sessions = app.extensions["db_sessionmaker"]
    after = Recorder()

    def broken(now: datetime) -> None:
        raise RuntimeError("boom")

    Worker(
        sessions,
        lambda row: None,
        leader=AlwaysLeader(),  # type: ignore[arg-type]
        leader_jobs=[broken, after],
    ).leader_tick()

    assert len(after.calls) == 1


def cli(app_config: dict[str, Any], monkeypatch: Any, *args: str) -> Any:
    from click.testing import CliRunner

    from publisher.cli import main

    for key, value in app_config.items():
        if key.islower():
            monkeypatch.setenv("PUBLISHER_" + key.upper(), str(value))
    return CliRunner().invoke(main, ["reach", "collect", *args], catch_exceptions=False)


def test_the_command_collects_what_is_due_and_says_how_much(app_config, monkeypatch, db):
    result = cli(app_config, monkeypatch)

    assert result.exit_code == 0 and "Collected 0; failed 0." in result.output


def test_the_command_names_each_failed_collection_and_exits_non_zero(
    app_config, monkeypatch, db, sandbox
):
    world = publish_world(db, sandbox.base_url, datetime.now(UTC))  # no credentials configured

    result = cli(app_config, monkeypatch, "--all")

    assert result.exit_code == 1
    assert f"delivery {world.deliveries['facebook'].id}: token_invalid" in result.output
    assert (
        db.scalar(
            select(func.count())
            .select_from(ReachRollup)
            .where(ReachRollup.delivery_id == world.deliveries["facebook"].id)
        )
        == 0
    )
