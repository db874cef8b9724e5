"""publish-feeds, the durable function: on its event after a cycle it writes every feed
under the data dir, each site domain of the cycle in them."""

from __future__ import annotations

import json

import sqlalchemy as sa
from pymisp import MISPEvent

from harvester.jobs.client import APP_ID
from harvester.jobs.functions.feeds import FEEDS_REQUESTED, FN_ID, feeds_dir
from harvester.runtime import run_once
from harvester.store.models import Domain

from .conftest import NOW, PipelineFactory


async def test_the_function_writes_every_feed_after_a_cycle(pipeline: PipelineFactory) -> None:
    async with pipeline(at=NOW) as (runtime, _sim):
        summary = await run_once(runtime, {"regions": ["FR"], "limit": 3}, timeout=120)
        assert summary.domains > 0 and summary.failures == 0
        await runtime.send_events([{"name": FEEDS_REQUESTED, "data": {}}])
        assert runtime.engine is not None
        await runtime.engine.wait_for_idle(timeout=120)
        runs = runtime.engine.list_runs(fn=f"{APP_ID}-{FN_ID}").data
        assert [r.status for r in runs] == ["COMPLETED"]
        with runtime.db.session() as s:
            site = set(s.scalars(sa.select(Domain.ascii_name).where(Domain.kind == "site")))
        root = feeds_dir(runtime.settings)
        values = set()
        for uuid in json.loads((root / "misp" / "manifest.json").read_text()):
            event = MISPEvent()
            event.load_file(str(root / "misp" / f"{uuid}.json"))
            values |= {a.value for a in event.attributes}
        assert values == site
        assert set((root / "domains.txt").read_text().split()) == site
        bundle = json.loads((root / "stix" / "bundle.json").read_text())
        assert {o["name"] for o in bundle["objects"] if o["type"] == "indicator"} == site
