"""Tickets for the syncs the engine asked for itself.

When the engine asks an app to sync (``PUT {url}?deployId=<ticket>``), the SDK echoes
the ``deployId`` on its ``POST /fn/register``: a registration carrying the ticket for its
own URL was started by this engine process (``harvester up`` syncing its functions in
process), not by someone else on the machine or a web page. The secret never leaves
the process; a ticket is bound to one app URL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SECRET = secrets.token_bytes(32)
PREFIX = "engine-sync-"


def ticket(url: str) -> str:
    """The ticket this process gives the sync of the app at ``url``."""
    mac = hmac.new(_SECRET, url.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{PREFIX}{mac[:40]}"


def valid(given: str | None, url: str) -> bool:
    """True when ``given`` is this process's ticket for ``url``."""
    if not given or not given.startswith(PREFIX):
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), ticket(url).encode())
