"""Request signing as Inngest does it: HMAC-SHA256 over the canonical body and time."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import jcs

from harvester.engine.clock import wall

_PREFIX = re.compile(r"^signkey-\w+-")
MAX_AGE_S = 300


def _key(signing_key: str) -> bytes:
    return _PREFIX.sub("", signing_key).encode()


def canonical(body: bytes) -> bytes:
    """RFC 8785 (JCS) canonical form of a JSON body, what the SDK signs over."""
    return bytes(jcs.canonicalize(json.loads(body))) if body else body


def sign(body: bytes, signing_key: str, t: int | None = None) -> str:
    """Signature of ``body`` (already in the form to sign) at time ``t``."""
    ts = int(wall()) if t is None else t
    mac = hmac.new(_key(signing_key), body + str(ts).encode(), hashlib.sha256).hexdigest()
    return f"t={ts}&s={mac}"


def verify(body: bytes, header: str, signing_key: str, now: float | None = None) -> bool:
    """True when the signature over ``body`` is valid and at most five minutes old."""
    try:
        parts = dict(p.split("=", 1) for p in header.split("&"))
        ts = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else wall()) - ts) > MAX_AGE_S:
        return False
    return hmac.compare_digest(sign(body, signing_key, ts), header)


def hashed_signing_key(signing_key: str) -> str:
    """The Bearer token the SDK derives from a signing key."""
    raw = _PREFIX.sub("", signing_key)
    try:
        return hashlib.sha256(bytes.fromhex(raw)).hexdigest()
    except ValueError:
        return hashlib.sha256(raw.encode()).hexdigest()
