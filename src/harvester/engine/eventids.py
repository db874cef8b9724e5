"""Event ids derived from the SDK's ``x-inngest-event-id-seed`` header, as the Inngest
server derives them: a retried send carries the same seed, so its events get the same
ids and are stored once."""

from __future__ import annotations

import base64
import binascii

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ENTROPY_BYTES = 10


def ulid(millis: int, entropy: bytes) -> str:
    """The 26-character ULID of a 48-bit time in ms and 80 bits of entropy."""
    value = (millis << 80) | int.from_bytes(entropy, "big")
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def seeded_id(seed: str | None, index: int) -> str | None:
    """The id of the ``index``-th event (counted from 1, as the server does) of a
    request whose seed is ``"{millis},{base64 of 10 bytes}"``; None for a missing or
    malformed seed (the event then gets a fresh id)."""
    if not seed:
        return None
    millis_s, sep, entropy_b64 = seed.partition(",")
    if not sep or "," in entropy_b64:
        return None
    try:
        millis = int(millis_s)
        entropy = bytearray(base64.b64decode(entropy_b64, validate=True))
    except (ValueError, binascii.Error):
        return None
    if millis <= 0 or millis >= 1 << 48 or len(entropy) != ENTROPY_BYTES:
        return None
    # The index is added to the last four bytes (wrapping), one seed for many events.
    tail = (int.from_bytes(entropy[6:10], "big") + index) & 0xFFFFFFFF
    entropy[6:10] = tail.to_bytes(4, "big")
    return ulid(millis, bytes(entropy))
