"""Domain extraction from free text: pure functions, no I/O."""

from harvester.domains.blocklist import DEFAULT_BLOCKLIST, parse_blocklist
from harvester.domains.extract import DomainMatch, Extraction, extract
from harvester.domains.normalize import icann_domain, normalize_domain

__all__ = [
    "DEFAULT_BLOCKLIST",
    "DomainMatch",
    "Extraction",
    "extract",
    "icann_domain",
    "normalize_domain",
    "parse_blocklist",
]
