"""The states a stored row can be in: plain StrEnums, importable without SQLAlchemy
or the ORM models (which store them as strings)."""

import enum


class HarvestStatus(enum.StrEnum):
    NEW = "new"
    HARVESTING = "harvesting"
    HARVESTED = "harvested"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"  # deleted, or comments not disclosable: not retried


class LinkStatus(enum.StrEnum):
    """Where linking an ad to its advertiser's posts ended."""

    LINKED = "linked"
    NO_ACCOUNT = "no_account"  # the advertiser has no public TikTok account
    NO_MATCH = "no_match"  # the account has no post in the ad's window
    REFUSED = "refused"  # the API refused the lookup (the reason says why)


class JobState(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class DeadLetterStatus(enum.StrEnum):
    PENDING = "pending"
    REPLAYED = "replayed"


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class EnrichmentKind(enum.StrEnum):
    DNS = "dns"
    RDAP = "rdap"
    HTTP = "http"


class LookupStatus(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    BLOCKED = "blocked"  # the SSRF guard refused the address
