"""Prometheus metrics of the pipeline (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from harvester.guard.quota import APIS, QuotaLedger

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
RUNS = Counter(
    "harvester_pipeline_runs_total", "Pipeline function runs by outcome", ["fn", "outcome"]
)
BUCKET_TOKENS = Gauge("harvester_bucket_tokens", "Tokens left in the TikTok budget bucket")
PIPELINE_SUCCESS = Gauge(
    "harvester_pipeline_success_ratio", "Completed / finished runs over the last hour"
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
