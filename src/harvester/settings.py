"""The one settings object: environment variables (``HARVESTER_*`` plus the standard
``DATABASE_URL``, ``REDIS_URL``, ``INNGEST_*``, ``TIKTOK_*``...) validated at start."""

from __future__ import annotations

import enum
import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from harvester.domains.signals import Thresholds


class SourceKind(enum.StrEnum):
    SIMULATOR = "simulator"
    RESEARCH = "research"
    WEBHOOK = "webhook"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The drivers the lock ships: SQLite (stdlib) and Postgres through psycopg 3.
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres", "postgresql+psycopg")
# The ad library's countries (the EEA, GB, CH), as harvester.tiktok.wire.AD_COUNTRIES
# (a test keeps the two equal): importing the tiktok package here would load the whole
# application for every command, `--help` included.
_AD_LIBRARY = "AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT"
_AD_LIBRARY += " RO SE SI SK"
AD_LIBRARY_COUNTRIES = tuple(_AD_LIBRARY.split())


class LogFormat(enum.StrEnum):
    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


def _env(name: str, *, prefixed: bool = False) -> AliasChoices:
    """Accept a standard variable name (e.g. ``DATABASE_URL``) and its prefixed twin."""
    names = [name, f"HARVESTER_{name}"] if not prefixed else [f"HARVESTER_{name}"]
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything the harvester can be configured with; see the README's table."""

    model_config = SettingsConfigDict(
        env_prefix="HARVESTER_", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path("data"), description="Where SQLite files and artifacts live.")
    database_url: str | None = Field(
        None,
        validation_alias=_env("DATABASE_URL"),
        description="SQLAlchemy URL; default SQLite file under the data dir.",
    )
    engine_database_url: str | None = Field(
        None,
        description="Database of the embedded engine; default: DATABASE_URL when it is "
        "Postgres, else a SQLite file beside the app's (one writer per file).",
    )
    redis_url: str | None = Field(
        None,
        validation_alias=_env("REDIS_URL"),
        description="Shares the token bucket and breakers across processes when set.",
    )
    host: str = Field("127.0.0.1", description="Address the web/engine server binds.")
    port: int = Field(8288, ge=1, le=65535, description="Port of the web/engine server.")
    workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Engine processes of `up` / `engine` sharing the queue (default: the "
        "number of cores).",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR, CRITICAL.")
    log_format: LogFormat = Field(LogFormat.AUTO, description="auto: pretty on a TTY, else JSON.")

    # Inngest: standard names, read by the SDK too.
    inngest_dev: str | None = Field(None, validation_alias=AliasChoices("INNGEST_DEV"))
    inngest_base_url: str | None = Field(None, validation_alias=AliasChoices("INNGEST_BASE_URL"))
    inngest_signing_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("INNGEST_SIGNING_KEY")
    )
    inngest_event_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("INNGEST_EVENT_KEY")
    )

    # TikTok sources.
    source: SourceKind = Field(SourceKind.SIMULATOR, description="simulator, research, webhook.")
    tiktok_client_key: str | None = Field(None, validation_alias=_env("TIKTOK_CLIENT_KEY"))
    tiktok_client_secret: SecretStr | None = Field(
        None, validation_alias=_env("TIKTOK_CLIENT_SECRET")
    )
    tiktok_api_base_url: str = Field(
        "https://open.tiktokapis.com",
        validation_alias=_env("TIKTOK_API_BASE_URL"),
        description="Base URL of the official API (the simulator's URL in tests).",
    )
    worker_webhook_url: str | None = Field(None, validation_alias=_env("WORKER_WEBHOOK_URL"))
    worker_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("WORKER_WEBHOOK_SECRET")
    )
    worker_callback_url: str | None = Field(
        None,
        description="Where workers post results (asynchronous contract); default "
        "http://HOST:PORT/worker/results. Set it to 'sync' for the synchronous contract.",
    )
    worker_result_timeout_seconds: float = Field(
        600.0, gt=0, le=86_400, description="How long a harvest waits for a worker's result."
    )
    upload_timeout_seconds: float = Field(
        900.0,
        gt=0,
        le=86_400,
        description="How long an upload's whole body may take to arrive (slower: 408).",
    )
    sim_seed: int = Field(42, description="Seed of the simulator's data.")
    sim_port: int = Field(8299, ge=1, le=65535, description="Port of `harvester sim`.")

    # Harvesting policy.
    regions: str = Field("FR,DE,GB,ES,IT", description="Comma-separated ad library countries.")
    api_rate_per_minute: int = Field(100, gt=0, description="Global token bucket refill rate.")
    harvest_throttle_per_minute: int = Field(
        100, gt=0, description="harvest-comments runs started per minute (seed: 100)."
    )
    quota_requests_per_day: int = Field(
        1_000, gt=0, description="Daily requests per client key and API (reset 00:00 UTC)."
    )
    quota_records_per_day: int = Field(
        100_000, gt=0, description="Daily records per client key and API (reset 00:00 UTC)."
    )
    comment_pages: int = Field(2, ge=1, le=10, description="Comment pages per video (early stop).")
    comments_per_page: int = Field(100, ge=1, le=100)
    stale_after_hours: float = Field(24.0, gt=0, description="Re-harvest a video after this.")

    # Operations.
    alert_webhook_url: str | None = Field(None, validation_alias=_env("ALERT_WEBHOOK_URL"))
    admin_token: SecretStr | None = Field(None, description="Required when bound off loopback.")
    # Who may write to the server and its engine (docs/security.md).
    allowed_origins: str = Field(
        "",
        description="Comma-separated browser origins (https://host:port) allowed to post "
        "to the API and the engine besides the server's own pages. Empty: none.",
    )
    engine_open_registration: bool = Field(
        False,
        description="`up`: take /fn/register from other apps without the signing key "
        "(the dev server's way). Off: only its own, in-process, and signed syncs.",
    )
    engine_app_hosts: str = Field(
        "",
        description="Comma-separated hosts or CIDRs app URLs may point at beyond "
        "loopback (the engine calls them). Empty: loopback apps only.",
    )
    retention_comments_days: int = Field(90, gt=0)
    retention_runs_days: int = Field(14, gt=0)
    retention_alerts_days: int = Field(30, gt=0)
    cleanup_batch_size: int = Field(1000, gt=0)

    # Domain intelligence: signals, resolution and enrichment (docs/domains.md).
    domain_blocklist_file: Path | None = Field(
        None, description="Known-bad domains, one per line: marked 'blocklisted'."
    )
    young_domain_days: int = Field(30, gt=0, description="Registered fewer days ago: young.")
    pushed_advertisers: int = Field(3, gt=0, description="Distinct advertisers: 'pushed'.")
    pushed_videos: int = Field(5, gt=0, description="Distinct videos: 'pushed'.")
    spike_min_mentions: int = Field(5, gt=0, description="Fewest mentions today to spike.")
    spike_factor: float = Field(3.0, gt=0, description="Today vs the trailing week's mean.")
    domain_lookups: bool = Field(
        False,
        description="Resolve shortener links and enrich new domains (DNS, RDAP, HTTP): "
        "outbound calls to the sites people push, so opt in.",
    )
    resolve_max_hops: int = Field(5, ge=1, le=20, description="Redirects followed per link.")
    lookup_timeout_seconds: float = Field(5.0, gt=0, le=60, description="Per fetch/lookup.")
    lookup_per_host_per_minute: int = Field(
        30, gt=0, description="Resolution/enrichment calls per target host per minute."
    )
    dns_per_minute: int = Field(
        300, gt=0, description="enrich-dns runs per minute (one resolver answers them all)."
    )
    lookup_ttl_hours: float = Field(24.0, gt=0, description="Cache of resolutions/enrichments.")
    lookup_allow_networks: str = Field(
        "",
        description="Comma-separated CIDRs lookups may reach although not public (the "
        "simulator's loopback web: 127.0.0.0/8). Empty: public addresses only (SSRF guard).",
    )
    lookup_ports: str = Field(
        "",
        description="scheme=port pairs every lookup connects to whatever the URL says, "
        "e.g. http=8081,https=8444 (the simulator's web). Empty: the URL's own port.",
    )
    lookup_ca_file: Path | None = Field(
        None, description="CA bundle lookups verify TLS with (default: the system's)."
    )
    dns_server: str | None = Field(
        None, description="host:port of the DNS server to ask; default: the system's."
    )
    rdap_base_url: str = Field("https://rdap.org", description="RDAP bootstrap/base URL.")

    # Feeds out (docs/feeds.md): MISP, STIX 2.1, plain lists.
    feed_allowlist_file: Path | None = Field(
        None,
        description="Domains that never become indicators: one a line, or a Tranco-style "
        "rank,domain CSV.",
    )
    feed_instance: str = Field(
        "harvester",
        min_length=1,
        max_length=100,
        description="Names this instance in the feeds' stable ids (MISP event uuids).",
    )
    feed_tlp: str = Field(
        "clear",
        pattern=r"^(clear|green|amber|amber\+strict|red)$",
        description="TLP marking of the feeds the server publishes: clear, green, amber, "
        "amber+strict or red.",
    )

    @property
    def thresholds(self) -> Thresholds:
        """When a domain's numbers become signals."""
        from harvester.domains.signals import Thresholds  # the domains package: on use

        return Thresholds(
            young_days=self.young_domain_days,
            pushed_advertisers=self.pushed_advertisers,
            pushed_videos=self.pushed_videos,
            spike_min_mentions=self.spike_min_mentions,
            spike_factor=self.spike_factor,
        )

    @field_validator("lookup_allow_networks")
    @classmethod
    def _check_networks(cls, v: str) -> str:
        for item in filter(None, (p.strip() for p in v.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"HARVESTER_LOOKUP_ALLOW_NETWORKS: {item!r} is not a CIDR like 127.0.0.0/8"
                ) from None
        return v

    @field_validator("lookup_ports")
    @classmethod
    def _check_ports(cls, v: str) -> str:
        for item in filter(None, (p.strip() for p in v.split(","))):
            scheme, _, port = item.partition("=")
            if scheme not in ("http", "https") or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(
                    f"HARVESTER_LOOKUP_PORTS: {item!r} is not like http=8081 or https=8444"
                )
        return v

    @property
    def port_map(self) -> dict[str, int]:
        """Ports lookups connect to per scheme (empty: the URL's own)."""
        pairs = (p.strip().partition("=") for p in self.lookup_ports.split(","))
        return {scheme: int(port) for scheme, _, port in pairs if scheme}

    @property
    def origin_list(self) -> tuple[str, ...]:
        """Browser origins allowed to write besides the server's own pages."""
        return tuple(o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())

    @property
    def app_host_list(self) -> tuple[str, ...]:
        """Hosts or networks beyond loopback that app URLs may point at."""
        return tuple(h.strip() for h in self.engine_app_hosts.split(",") if h.strip())

    @property
    def allowed_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """Non-public networks lookups may reach (none by default)."""
        parts = (p.strip() for p in self.lookup_allow_networks.split(","))
        return [ipaddress.ip_network(p, strict=False) for p in parts if p]

    @field_validator("domain_blocklist_file")
    @classmethod
    def _check_blocklist(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_file():
            raise ValueError(f"HARVESTER_DOMAIN_BLOCKLIST_FILE: no such file {v}; fix the path")
        return v

    @field_validator("feed_allowlist_file")
    @classmethod
    def _check_allowlist(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_file():
            raise ValueError(f"HARVESTER_FEED_ALLOWLIST_FILE: no such file {v}; fix the path")
        return v

    @field_validator("database_url", "engine_database_url")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        scheme, sep, _ = v.partition("://")
        if not sep:
            raise ValueError("must be a URL such as sqlite:///data/h.db")
        if scheme.lower() not in DATABASE_SCHEMES:
            raise ValueError(
                f"unknown scheme {scheme!r}: use one of {', '.join(DATABASE_SCHEMES)} "
                "(e.g. sqlite:///data/h.db or postgresql://user@host/db)"
            )
        return v

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, v: str) -> str:
        if v.upper() not in LOG_LEVELS:
            raise ValueError(f"unknown log level: use one of {', '.join(LOG_LEVELS)}")
        return v.upper()

    @field_validator("regions")
    @classmethod
    def _check_regions(cls, v: str) -> str:
        codes = [r.strip().upper() for r in v.split(",") if r.strip()]
        unknown = [c for c in codes if c != "ALL" and c not in AD_LIBRARY_COUNTRIES]
        if not codes or unknown:
            raise ValueError(
                f"{'no region' if not codes else 'not in the ad library: ' + ', '.join(unknown)}"
                f"; use comma-separated country codes of {', '.join(AD_LIBRARY_COUNTRIES)}, "
                "or ALL"
            )
        return v

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the default SQLite file under the data dir."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'harvester.db'}"

    @property
    def effective_engine_database_url(self) -> str:
        """Where the embedded engine keeps runs, steps, timers and its queue."""
        if self.engine_database_url:
            return normalize_database_url(self.engine_database_url)
        if self.database_url and not self.database_url.startswith("sqlite"):
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'engine.db'}"

    @property
    def embedded_engine(self) -> bool:
        """True unless an external Inngest server (Cloud or self-hosted) is configured."""
        return not self.inngest_base_url

    @property
    def effective_worker_callback_url(self) -> str | None:
        """The ``reply_to`` of worker jobs, or None for the synchronous contract."""
        if self.worker_callback_url == "sync":
            return None
        return self.worker_callback_url or f"http://{self.host}:{self.port}/worker/results"

    @property
    def region_list(self) -> list[str]:
        return [r.strip().upper() for r in self.regions.split(",") if r.strip()]


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (the driver we ship)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment; a bad value raises
    ``SettingsError``, which names each variable, its value and what it may be."""
    try:
        return Settings()
    except ValidationError as exc:
        from harvester.settings_errors import SettingsError

        raise SettingsError.of(exc, Settings) from exc
