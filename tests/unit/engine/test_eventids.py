"""Event ids from the SDK's seed header, derived as the Inngest server derives them."""

from __future__ import annotations

import base64

from harvester.engine.eventids import seeded_id, ulid


def test_ulid_encodes_time_and_entropy_as_crockford_base32() -> None:
    # The ULID spec's example time; zero entropy leaves the last 16 characters "0".
    assert ulid(1469922850259, bytes(10)) == "01ARZ3NDEK" + "0" * 16
    assert ulid(1, b"\xff" * 10) == "000000000" + "1" + "Z" * 16


def test_the_index_is_added_to_the_last_four_entropy_bytes() -> None:
    entropy = base64.b64encode(bytes(6) + b"\xff\xff\xff\xfe").decode()
    seed = f"1469922850259,{entropy}"
    first, second = seeded_id(seed, 1), seeded_id(seed, 2)
    assert first == ulid(1469922850259, bytes(6) + b"\xff" * 4)
    assert second == ulid(1469922850259, bytes(10))  # wraps, as a uint32 does
    assert seeded_id(seed, 1) == first  # deterministic: a resend gets the same id


def test_a_malformed_seed_derives_nothing() -> None:
    good = base64.b64encode(bytes(10)).decode()
    for seed in (None, "", "x", f"abc,{good}", f"0,{good}", "5,bm90IDEw", f"5,{good},1"):
        assert seeded_id(seed, 1) is None
