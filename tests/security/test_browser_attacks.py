"""Issue 34, point 1 and 2: a page on another loopback origin, in a real Chromium, tries
to drive `harvester up`. Every attempt reaches the server (the browser sends it without
asking) and must change nothing."""

from __future__ import annotations

import html
import json
from typing import Any

from tests.security.conftest import AttackSite, Live, get_json

KILL_ON = "system.kill_switch.on"
KILL_EVENT = json.dumps({"name": KILL_ON, "data": {"reason": "pwned", "by": "attacker"}})


def _fetch_page(target: str, body: str, content_type: str = "text/plain") -> str:
    """A page whose script posts ``body`` to ``target`` (no-cors: no preflight)."""
    return f"""<!doctype html><script>
    window.done = fetch({json.dumps(target)}, {{method: "POST", mode: "no-cors",
      headers: {{"Content-Type": {json.dumps(content_type)}}}, body: {json.dumps(body)}}})
      .then(() => "sent", e => "error: " + e);
    </script>"""


def _form_page(target: str, body: dict[str, Any]) -> str:
    """A page whose text/plain form submits itself (no script of its own, one onload):
    the browser joins field name and value as ``name=value``, which spells the JSON the
    engine would parse: ``{..., "pad": "=X"}``."""
    text = json.dumps({**body, "pad": "X"})
    cut = text.rindex('"X"') + 1
    name, value = html.escape(text[:cut]), html.escape(text[cut:])
    return f"""<!doctype html><body onload="document.forms[0].submit()">
    <form method="POST" enctype="text/plain" action="{target}">
    <input type="hidden" name="{name}" value="{value}"></form>"""


def _attack(page: Any, site: AttackSite, path: str, html: str) -> str:
    site.pages[path] = html
    page.goto(site.url + path)
    return str(page.evaluate("window.done"))


def _kill_switch_on(live: Live) -> bool:
    return bool(get_json(f"{live.url}/api/v1/kill-switch")["on"])


def test_a_no_cors_fetch_cannot_send_an_event(
    page: Any, live: Live, attack_site: AttackSite
) -> None:
    before = live.events(KILL_ON)
    got = _attack(page, attack_site, "/fetch-event", _fetch_page(f"{live.url}/e/x", KILL_EVENT))
    assert got == "sent"  # the browser sent it: only the server can refuse
    assert live.events(KILL_ON) == before
    assert not _kill_switch_on(live)


def test_a_blob_body_without_a_content_type_cannot_send_an_event(
    page: Any, live: Live, attack_site: AttackSite
) -> None:
    before = live.events(KILL_ON)
    html = f"""<!doctype html><script>
    window.done = fetch("{live.url}/e/x", {{method: "POST", mode: "no-cors",
      body: new Blob([{json.dumps(KILL_EVENT)}])}}).then(() => "sent", e => "error: " + e);
    </script>"""
    assert _attack(page, attack_site, "/blob-event", html) == "sent"
    assert live.events(KILL_ON) == before


def test_a_script_free_text_plain_form_cannot_send_an_event(
    page: Any, live: Live, attack_site: AttackSite
) -> None:
    before = live.events(KILL_ON)
    attack_site.pages["/form"] = _form_page(
        f"{live.url}/e/x", {"name": KILL_ON, "data": {"reason": "pwned"}}
    )
    with page.expect_response(lambda r: r.url == f"{live.url}/e/x") as answer:
        page.goto(attack_site.url + "/form")
    assert answer.value.status == 403
    assert live.events(KILL_ON) == before
    assert not _kill_switch_on(live)


def test_a_page_cannot_register_a_foreign_app_or_wipe_ours(
    page: Any, live: Live, attack_site: AttackSite
) -> None:
    ours = live.function_ids()
    assert len(ours) >= 10
    foreign = {
        "url": attack_site.url + "/api/inngest",
        "appname": "evil",
        "functions": [
            {
                "id": "evil-f",
                "name": "f",
                "triggers": [{"event": KILL_ON}],
                "steps": {
                    "step": {"id": "step", "runtime": {"type": "http", "url": attack_site.url}}
                },
            }
        ],
    }
    wipe = {"url": attack_site.url + "/x", "appname": "tiktok-harvester", "functions": []}
    for n, body in enumerate([foreign, wipe]):
        page_html = _fetch_page(f"{live.url}/fn/register", json.dumps(body))
        assert _attack(page, attack_site, f"/register-{n}", page_html) == "sent"
    assert live.function_ids() == ours


def test_a_page_cannot_flip_the_kill_switch_through_the_api(
    page: Any, live: Live, attack_site: AttackSite
) -> None:
    body = json.dumps({"on": True, "reason": "pwned"})
    html = _fetch_page(f"{live.url}/api/v1/kill-switch", body)
    assert _attack(page, attack_site, "/api-kill", html) == "sent"
    assert not _kill_switch_on(live)
