"""The harvester's tables. Natural keys are unique: video id, comment id, domain name,
(comment, domain) mention; every write is an upsert on them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from harvester.store.states import (
    DeadLetterStatus,
    EnrichmentKind,
    HarvestStatus,
    JobState,
    LinkStatus,
    LookupStatus,
    Severity,
)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class Video(Base):
    __tablename__ = "video"

    video_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ad_id: Mapped[str | None] = mapped_column(String(64), index=True)
    advertiser_name: Mapped[str | None] = mapped_column(String(255))
    region_code: Mapped[str | None] = mapped_column(String(8), index=True)
    username: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    create_time: Mapped[datetime | None]
    view_count: Mapped[int | None] = mapped_column(BigInteger)
    comment_count: Mapped[int | None] = mapped_column(BigInteger)
    discovered_at: Mapped[datetime] = mapped_column(index=True)
    last_harvested_at: Mapped[datetime | None] = mapped_column(index=True)
    harvest_status: Mapped[HarvestStatus] = mapped_column(
        String(16), default=HarvestStatus.NEW, index=True
    )
    comments_harvested: Mapped[int] = mapped_column(Integer, default=0)
    harvest_reason: Mapped[str | None] = mapped_column(String(255))
    # Imports: the post's own ad flag (None: the source did not say) and provenance.
    promoted: Mapped[bool | None] = mapped_column(Boolean, index=True)
    collector: Mapped[str | None] = mapped_column(String(32))
    collected_at: Mapped[datetime | None]


class PromotedAd(Base):
    """An ad of the ad library and how linking it to a post ended."""

    __tablename__ = "ad"

    ad_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region_code: Mapped[str | None] = mapped_column(String(8), index=True)
    advertiser_name: Mapped[str | None] = mapped_column(String(255))
    business_id: Mapped[str | None] = mapped_column(String(64), index=True)
    username: Mapped[str | None] = mapped_column(String(255))
    first_shown: Mapped[date | None] = mapped_column(Date)
    last_shown: Mapped[date | None] = mapped_column(Date)
    external_url: Mapped[str | None] = mapped_column(Text)
    link_status: Mapped[LinkStatus | None] = mapped_column(String(16), index=True)
    link_reason: Mapped[str | None] = mapped_column(Text)
    discovered_at: Mapped[datetime] = mapped_column(index=True)
    linked_at: Mapped[datetime | None]


class AdVideoLink(Base):
    """Which post an ad promotes, by which rule, with what confidence."""

    __tablename__ = "ad_video_link"
    __table_args__ = (UniqueConstraint("ad_id", "video_id", name="uq_ad_video"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ad.ad_id", ondelete="CASCADE"), index=True)
    video_id: Mapped[str] = mapped_column(
        ForeignKey("video.video_id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]


class AdDomain(Base):
    """An ad's own outbound domain (a documented field such as ``ad.external_url``):
    a mention kind of its own, apart from comment mentions."""

    __tablename__ = "ad_domain"
    __table_args__ = (UniqueConstraint("ad_id", "domain_id", name="uq_ad_domain"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("ad.ad_id", ondelete="CASCADE"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ImportFile(Base):
    """One imported file (CLI, upload page or Zeeschuimer's upload): its state and report."""

    __tablename__ = "import_file"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str | None] = mapped_column(String(32))
    format: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    done_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]


class CaptionMention(Base):
    """A domain in a post's caption (imports): a mention kind of its own, apart from
    comment mentions, so the comment counts keep meaning what they say."""

    __tablename__ = "caption_mention"
    __table_args__ = (UniqueConstraint("video_id", "domain_id", name="uq_caption_mention"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("video.video_id", ondelete="CASCADE"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(255))
    matched: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Comment(Base):
    __tablename__ = "comment"

    comment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    video_id: Mapped[str] = mapped_column(
        ForeignKey("video.video_id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    like_count: Mapped[int | None] = mapped_column(BigInteger)
    reply_count: Mapped[int | None] = mapped_column(BigInteger)
    parent_comment_id: Mapped[str | None] = mapped_column(String(64))
    create_time: Mapped[datetime | None]
    harvested_at: Mapped[datetime] = mapped_column(index=True)
    extracted_at: Mapped[datetime | None] = mapped_column(index=True)


class Domain(Base):
    __tablename__ = "domain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    ascii_name: Mapped[str] = mapped_column(String(255), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    mention_count: Mapped[int] = mapped_column(Integer, default=0)
    # Domain intelligence (migration 0004): what an analyst judges a domain by.
    kind: Mapped[str] = mapped_column(String(16), default="site", index=True)
    video_count: Mapped[int] = mapped_column(Integer, default=0, index=True)
    advertiser_count: Mapped[int] = mapped_column(Integer, default=0, index=True)
    blocklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime | None] = mapped_column(index=True)
    registrar: Mapped[str | None] = mapped_column(String(255))


class DomainMention(Base):
    __tablename__ = "domain_mention"
    __table_args__ = (UniqueConstraint("comment_id", "domain_id", name="uq_mention"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[str] = mapped_column(
        ForeignKey("comment.comment_id", ondelete="CASCADE"), index=True
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="CASCADE"), index=True)
    video_id: Mapped[str] = mapped_column(String(64), index=True)
    host: Mapped[str] = mapped_column(String(255))
    matched: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    obfuscated: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(index=True)
    # Set when the mention was found by following a shortener or link-in-bio URL.
    via_url: Mapped[str | None] = mapped_column(Text)


class LinkResolution(Base):
    """Where a shortener or link-in-bio URL leads: the redirect chain, the final
    registrable domain, a link-in-bio page's outbound links; cached until expires_at."""

    __tablename__ = "link_resolution"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    source_domain: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[LookupStatus] = mapped_column(String(16))
    chain: Mapped[dict[str, Any]] = mapped_column(JSON)
    final_url: Mapped[str | None] = mapped_column(Text)
    final_domain: Mapped[str | None] = mapped_column(String(255), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class DomainEnrichment(Base):
    """One enrichment (DNS, RDAP, HTTP) of a domain, cached until expires_at."""

    __tablename__ = "domain_enrichment"
    __table_args__ = (UniqueConstraint("domain_id", "kind", name="uq_domain_enrichment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="CASCADE"))
    kind: Mapped[EnrichmentKind] = mapped_column(String(8))
    status: Mapped[LookupStatus] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class DomainDay(Base):
    """Per-domain, per-day mention counts: the time series of the dashboard."""

    __tablename__ = "domain_day"
    __table_args__ = (UniqueConstraint("domain_id", "day", name="uq_domain_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    mention_count: Mapped[int] = mapped_column(Integer, default=0)


class JobStatus(Base):
    """One row per function run, updated at each step: what the pipeline is doing now."""

    __tablename__ = "job_status"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    fn_id: Mapped[str] = mapped_column(String(128), index=True)
    step: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[JobState] = mapped_column(String(16), index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)


class DeadLetter(Base):
    __tablename__ = "dead_letter"
    __table_args__ = (UniqueConstraint("run_id", name="uq_dead_letter_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fn_id: Mapped[str] = mapped_column(String(128), index=True)
    run_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[DeadLetterStatus] = mapped_column(
        String(16), default=DeadLetterStatus.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(index=True)
    replayed_at: Mapped[datetime | None]
    replay_count: Mapped[int] = mapped_column(Integer, default=0)


class Alert(Base):
    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_key_created", "key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255))
    severity: Mapped[Severity] = mapped_column(String(16), index=True)
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)


class Setting(Base):
    """Small operational switches (the kill switch) shared by every process."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class HealthCheck(Base):
    __tablename__ = "health_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checked_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[Severity] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class RateBucket(Base):
    """Token bucket state when no Redis is configured (updated atomically in SQL)."""

    __tablename__ = "rate_bucket"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class BreakerState(Base):
    """Circuit breaker state per endpoint when no Redis is configured."""

    __tablename__ = "breaker_state"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class QuotaUsage(Base):
    """What one client key spent on one API on one UTC day (the shared quota ledger
    when no Redis is configured)."""

    __tablename__ = "quota_ledger"

    client_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    api: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[float] = mapped_column(Float)


class WorkerResultRow(Base):
    """A result an asynchronous worker posted back (signed), kept for the waiting run:
    a run that started waiting after the result arrived still finds it here."""

    __tablename__ = "worker_result"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(index=True)
