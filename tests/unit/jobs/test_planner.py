"""The quota planner: spread the day's budget over the cycles, best work first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harvester.jobs.planner import (
    CYCLE_SECONDS,
    Candidate,
    WorkKind,
    by_value,
    choose,
    cycle_allowance,
    plan_cycle,
)

MIDNIGHT = datetime(2026, 12, 2, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def seconds_to(self, when: datetime) -> float:
        return (when - self.now).total_seconds()


def _new(vid: str, found_minutes_ago: int, cost: int = 2) -> Candidate:
    return Candidate(
        vid, WorkKind.NEW, cost, discovered_at=MIDNIGHT - timedelta(minutes=found_minutes_ago)
    )


def _stale(vid: str, harvested_hours_ago: int, cost: int = 2) -> Candidate:
    when = MIDNIGHT - timedelta(hours=harvested_hours_ago)
    return Candidate(vid, WorkKind.REHARVEST, cost, discovered_at=when, last_harvested_at=when)


def test_a_fresh_day_is_not_spent_in_the_first_cycle() -> None:
    assert cycle_allowance(1000, 86_400) == 7  # 1000 over 144 cycles, rounded up
    assert cycle_allowance(1000, 86_400) * 144 >= 1000


def test_the_last_cycle_of_the_day_takes_what_is_left() -> None:
    assert cycle_allowance(40, 300) == 40
    assert cycle_allowance(40, 0) == 40
    assert cycle_allowance(0, 86_400) == 0


def test_what_a_quiet_cycle_leaves_rolls_over() -> None:
    clock = FakeClock(MIDNIGHT - timedelta(days=1))
    busy = cycle_allowance(1000, clock.seconds_to(MIDNIGHT))
    clock.now += timedelta(hours=12)  # half a day spent nothing
    assert cycle_allowance(1000, clock.seconds_to(MIDNIGHT)) == 14 > busy


def test_a_simulated_day_spends_the_budget_evenly_and_never_more() -> None:
    clock = FakeClock(MIDNIGHT - timedelta(days=1))
    left, spent_per_cycle = 1000, []
    backlog = [_new(f"v{i}", i, cost=1) for i in range(5000)]
    while clock.now < MIDNIGHT:
        plan = plan_cycle(backlog, left, clock.seconds_to(MIDNIGHT))
        backlog = plan.deferred
        left -= plan.cost
        spent_per_cycle.append(plan.cost)
        clock.now += timedelta(seconds=CYCLE_SECONDS)
    assert len(spent_per_cycle) == 144
    assert sum(spent_per_cycle) == 1000 and left == 0
    assert max(spent_per_cycle) <= 8  # never the whole day in one cycle


def test_new_ads_videos_come_before_re_harvests() -> None:
    order = by_value([_stale("old", 48), _new("a", 30), _stale("older", 72), _new("b", 5)])
    assert [c.video_id for c in order] == ["b", "a", "older", "old"]


def test_choose_takes_the_most_valuable_work_that_fits() -> None:
    plan = choose([_stale("s", 30), _new("n1", 1), _new("n2", 2), _new("n3", 3)], allowance=5)
    assert [c.video_id for c in plan.chosen] == ["n1", "n2"]
    assert {c.video_id for c in plan.deferred} == {"n3", "s"}
    assert plan.cost == 4 <= plan.allowance


def test_a_video_is_planned_once() -> None:
    plan = choose([_stale("v", 30), _new("v", 1)], allowance=10)
    assert [(c.video_id, c.kind) for c in plan.chosen] == [("v", WorkKind.NEW)]


def test_an_operators_run_may_spend_all_that_is_left() -> None:
    work = [_new(f"v{i}", i) for i in range(100)]
    assert plan_cycle(work, 50, 86_400, spread=False).cost == 50
    assert plan_cycle(work, 50, 86_400).cost <= 2


def test_linking_takes_whole_advertisers_up_to_its_share() -> None:
    from harvester.jobs.functions.discovery import _within

    ads = [
        {"ad_id": "1", "business_id": "a"},
        {"ad_id": "2", "business_id": "a"},
        {"ad_id": "3", "business_id": "b"},
        {"ad_id": "4", "business_id": None},
        {"ad_id": "5", "business_id": "c"},
    ]
    # One lookup per advertiser: two advertisers' worth keeps both of "a"'s ads.
    assert [a["ad_id"] for a in _within(ads, 2)] == ["1", "2", "3"]
    assert _within(ads, 0) == []
    assert _within(ads, None) == ads  # a worker spends no TikTok quota: unbounded
