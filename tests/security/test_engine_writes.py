"""Issue 34, points 1–3 over raw HTTP against a running `harvester up`: cross-site
headers, content types, keys that are set, and who may register functions."""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.security.conftest import EVENT_KEY, SIGNING_KEY, Live, serve

EVENT = {"name": "test/ping", "data": {}}


def _fn(app_url: str, fid: str = "foreign-f") -> dict[str, Any]:
    runtime = {"type": "http", "url": f"{app_url}?fnId={fid}&stepId=step"}
    return {
        "id": fid,
        "name": fid,
        "triggers": [{"event": "test/ping"}],
        "steps": {"step": {"id": "step", "name": "step", "runtime": runtime}},
    }


def _bearer(key: str) -> dict[str, str]:
    raw = key.split("-", 2)[2]  # what the SDK hashes: the key without signkey-<env>-
    return {"Authorization": f"Bearer {hashlib.sha256(bytes.fromhex(raw)).hexdigest()}"}


# -- cross-site browser requests ------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:1", "Content-Type": "application/json"},
        {"Origin": "https://evil.example", "Content-Type": "application/json"},
        {"Origin": "null", "Content-Type": "application/json"},
        {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"},
        {"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"},
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {},  # a Blob body: no content type at all
    ],
    ids=[
        "other-port",
        "other-site",
        "opaque",
        "cross-site",
        "same-site",
        "text",
        "form",
        "multipart",
        "no-type",
    ],
)
@pytest.mark.parametrize("path", ["/e/x", "/fn/register", "/v0/gql", "/api/v1/kill-switch"])
def test_what_a_browser_sends_for_another_site_is_refused(
    live: Live, path: str, headers: dict[str, str]
) -> None:
    before = live.events("test/ping")
    fns = live.function_ids()
    body = b'{"name": "test/ping", "data": {}, "on": true, "functions": [], "url": "x"}'
    res = httpx.post(live.url + path, content=body, headers=headers, timeout=10)
    assert res.status_code in (403, 415), (res.status_code, res.text)
    assert live.events("test/ping") == before and live.function_ids() == fns


def test_a_rebinding_page_that_looks_same_origin_is_refused(live: Live) -> None:
    """evil.test resolving to 127.0.0.1: Origin and Host agree, but neither is loopback."""
    port = live.url.rsplit(":", 1)[1]
    headers = {"Origin": f"http://evil.test:{port}", "Host": f"evil.test:{port}"}
    res = httpx.post(f"{live.url}/e/x", json=EVENT, headers=headers, timeout=10)
    assert res.status_code == 403


def test_sdk_curl_and_own_pages_still_send(live: Live) -> None:
    before = live.events("test/ping")
    assert httpx.post(f"{live.url}/e/x", json=EVENT, timeout=10).status_code == 200
    same = {"Origin": live.url, "Sec-Fetch-Site": "same-origin"}
    assert httpx.post(f"{live.url}/e/x", json=EVENT, headers=same, timeout=10).status_code == 200
    assert live.events("test/ping") == before + 2


def test_a_configured_origin_may_post(tmp_path: Path) -> None:
    gen: Generator[Live, None, None] = serve(tmp_path, allowed_origins="https://console.example")
    live = next(gen)
    try:
        ok = {"Origin": "https://console.example", "Sec-Fetch-Site": "cross-site"}
        assert httpx.post(f"{live.url}/e/x", json=EVENT, headers=ok, timeout=10).status_code == 200
        bad = {"Origin": "https://other.example"}
        assert httpx.post(f"{live.url}/e/x", json=EVENT, headers=bad, timeout=10).status_code == 403
    finally:
        gen.close()


# -- keys that are set ----------------------------------------------------------------
def test_a_set_event_key_is_the_only_key_taken(keyed: Live) -> None:
    before = keyed.events("test/ping")
    for key in ("wrongkey", "NO_EVENT_KEY_SET", EVENT_KEY[:-1]):
        res = httpx.post(f"{keyed.url}/e/{key}", json=EVENT, timeout=10)
        assert res.status_code == 401 and res.json()["ids"] == []
    assert keyed.events("test/ping") == before
    assert httpx.post(f"{keyed.url}/e/{EVENT_KEY}", json=EVENT, timeout=10).status_code == 200
    assert keyed.events("test/ping") == before + 1


def test_a_set_signing_key_guards_register_and_the_sdk_calls(keyed: Live) -> None:
    ours = keyed.function_ids()
    assert len(ours) >= 10  # `up` synced its own functions in process, keys and all
    app = "http://127.0.0.1:9/api/inngest"
    body = {"url": app, "appname": "other", "functions": [_fn(app)]}
    for headers in ({}, {"Authorization": "Bearer nope"}, _bearer("signkey-x-" + "00" * 32)):
        res = httpx.post(f"{keyed.url}/fn/register", json=body, headers=headers, timeout=10)
        assert res.status_code == 401, res.text
    assert keyed.function_ids() == ours
    for path in ("/v0/runs/01J/batch", "/v0/runs/01J/actions"):
        assert httpx.get(keyed.url + path, timeout=10).status_code == 401
        assert (
            httpx.get(keyed.url + path, headers=_bearer(SIGNING_KEY), timeout=10).status_code == 404
        )
    res = httpx.post(
        f"{keyed.url}/fn/register", json=body, headers=_bearer(SIGNING_KEY), timeout=10
    )
    assert res.status_code == 200, res.text
    assert "foreign-f" in keyed.function_ids()


# -- registration ---------------------------------------------------------------------
def test_up_refuses_outside_registrations(live: Live) -> None:
    ours = live.function_ids()
    app = "http://127.0.0.1:9/api/inngest"
    for body in (
        {"url": app, "appname": "other", "functions": [_fn(app)]},
        {"url": app, "appname": "tiktok-harvester", "functions": []},
    ):
        res = httpx.post(f"{live.url}/fn/register", json=body, timeout=10)
        assert res.status_code == 403 and "HARVESTER_ENGINE_OPEN_REGISTRATION" in res.text
    assert live.function_ids() == ours


@pytest.fixture(scope="module")
def open_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`harvester up` with HARVESTER_ENGINE_OPEN_REGISTRATION=true."""
    yield from serve(tmp_path_factory.mktemp("open"), engine_open_registration=True)


def test_a_registration_never_replaces_another_apps_functions(open_up: Live) -> None:
    ours = open_up.function_ids()
    app = "http://127.0.0.1:9/api/inngest"
    wipe = {"url": app, "appname": "tiktok-harvester", "functions": []}
    res = httpx.post(f"{open_up.url}/fn/register", json=wipe, timeout=10)
    assert res.status_code == 409, res.text
    steal = {"url": app, "appname": "other", "functions": [_fn(app, ours[0])]}
    res = httpx.post(f"{open_up.url}/fn/register", json=steal, timeout=10)
    assert res.status_code == 409, res.text
    assert open_up.function_ids() == ours
    mine = {"url": app, "appname": "other", "functions": [_fn(app)]}
    assert httpx.post(f"{open_up.url}/fn/register", json=mine, timeout=10).status_code == 200
    assert open_up.function_ids() == sorted([*ours, "foreign-f"])


@pytest.mark.parametrize(
    "app",
    [
        "http://10.0.0.5/api/inngest",
        "http://169.254.169.254/latest",
        "http://example.com/x",
        "file:///etc/passwd",
        "http://[::ffff:10.0.0.1]/x",
    ],
)
def test_app_urls_off_loopback_need_the_allow_list(open_up: Live, app: str) -> None:
    body = {"url": app, "appname": f"far-{abs(hash(app))}", "functions": [_fn(app, "far-f")]}
    res = httpx.post(f"{open_up.url}/fn/register", json=body, timeout=10)
    assert res.status_code == 403 and "HARVESTER_ENGINE_APP_HOSTS" in res.text
    assert "far-f" not in open_up.function_ids()
