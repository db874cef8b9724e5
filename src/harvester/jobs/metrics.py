"""Prometheus metrics of the pipeline (served at /metrics).

How runs ended is read from the engine at each scrape (``export_runs``), by the same
count as the health check, the overview and ``harvester status``. The engine's own
``engine_runs_finished_total`` counts what this process finished since it started.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from harvester.engine import Engine, RunStatus
from harvester.guard.quota import APIS, QuotaLedger
from harvester.jobs.run_outcomes import DAY, HOUR, run_outcomes

VIDEOS_DISCOVERED = Counter("harvester_videos_discovered_total", "Promoted videos discovered")
COMMENTS_HARVESTED = Counter("harvester_comments_harvested_total", "New comments stored")
DOMAINS_NEW = Counter("harvester_domains_new_total", "Domains seen for the first time")
MENTIONS = Counter("harvester_domain_mentions_total", "Domain mentions stored")
API_CALLS = Counter(
    "harvester_tiktok_api_calls_total",
    "TikTok calls by endpoint and outcome",
    ["endpoint", "outcome"],
)
STEP_SECONDS = Histogram(
    "harvester_step_duration_seconds",
    "Duration of pipeline steps",
    ["fn", "step"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Completions the functions saw in this process (a throughput counter, not outcomes).
RUNS = Counter(
    "harvester_pipeline_runs_total", "Pipeline function runs by outcome", ["fn", "outcome"]
)
RUNS_BY_STATUS = Gauge(
    "harvester_runs",
    "Runs created in the window (1h, 24h) by status, as the engine recorded them",
    ["window", "status"],
)
RUNS_FAILURE_RATIO = Gauge(
    "harvester_runs_failure_ratio",
    "Failed / (completed + failed) runs created in the window (NaN: none ended)",
    ["window"],
)
BUCKET_TOKENS = Gauge("harvester_bucket_tokens", "Tokens left in the TikTok budget bucket")
PIPELINE_SUCCESS = Gauge(
    "harvester_pipeline_success_ratio", '1 - harvester_runs_failure_ratio{window="1h"}'
)
QUEUE_LAG = Gauge("harvester_harvest_backlog_seconds", "Age of the oldest unharvested video")
QUOTA_USED = Gauge("harvester_quota_used", "Used today of the daily TikTok quota", ["api", "unit"])
QUOTA_LIMIT = Gauge("harvester_quota_limit", "Daily TikTok quota", ["api", "unit"])
QUOTA_RESET = Gauge(
    "harvester_quota_reset_timestamp_seconds", "When the daily quota resets (unix s)", ["api"]
)
QUOTA_DEFERRED = Gauge(
    "harvester_quota_deferred_harvests", "Harvests the last plan left for later cycles"
)


def export_quota(ledger: QuotaLedger) -> None:
    """Set the quota gauges from the shared ledger (every process sees the same day)."""
    for api in APIS:
        st = ledger.status(api)
        QUOTA_USED.labels(api, "requests").set(st.used_requests)
        QUOTA_USED.labels(api, "records").set(st.used_records)
        QUOTA_LIMIT.labels(api, "requests").set(st.limit_requests)
        QUOTA_LIMIT.labels(api, "records").set(st.limit_records)
        QUOTA_RESET.labels(api).set(st.resets_at.timestamp())


def export_runs(engine: Engine) -> None:
    """Set the run gauges from the engine's runs of the last hour and day."""
    now = engine.cfg.clock()
    for window, seconds in (("1h", HOUR), ("24h", DAY)):
        outcomes = run_outcomes(engine, seconds, now)
        for status in RunStatus:
            RUNS_BY_STATUS.labels(window, status.value).set(outcomes.by_status.get(status, 0))
        rate = outcomes.failure_rate
        RUNS_FAILURE_RATIO.labels(window).set(float("nan") if rate is None else rate)
        if window == "1h":
            PIPELINE_SUCCESS.set(1.0 if rate is None else 1.0 - rate)
