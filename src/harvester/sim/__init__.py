"""Simulated worlds for demos, tests and benches, on loopback only: ``sim.tiktok`` is
TikTok's Research and Commercial Content APIs in their official wire format, seeded;
``sim.web_world`` is the web its comments point to (DNS, HTTP, RDAP) for the domain
enrichment. Only the CLI (``up``, ``once``, ``tiktok``, ``domains`` demos), the tests
and the benches import it; the pipeline never does."""
