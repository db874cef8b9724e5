"""Plot bench_scale.py's results (the JSON file named by argv[1]) to docs/scale.png:
steps/s and first-step p99 against stored history and a full queue, and RSS against
sleeping runs. Runs in the peers' environment (matplotlib)."""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

res = json.loads(Path(sys.argv[1]).read_text())
points, memory = res["points"], res["memory"]
labels = [
    f"{p['queued'] // 1000}k queued" if p["queued"] else f"{p['stored_steps'] // 1000}k stored"
    for p in points
]
fig, axes = plt.subplots(1, 3, figsize=(12.6, 3.6))
x = range(len(points))
axes[0].bar(x, [p["steps_per_s"] for p in points], color="#2b6cb0")
axes[0].set_title("10-step function", fontsize=10)
axes[0].set_ylabel("steps/s")
axes[1].bar(x, [p["p99_ms"] for p in points], color="#c05621", label="p99")
axes[1].bar(x, [p["p50_ms"] for p in points], color="#2f855a", label="p50")
axes[1].set_title("event → first step", fontsize=10)
axes[1].set_ylabel("ms")
axes[1].legend(fontsize=8)
for ax in axes[:2]:
    ax.set_xticks(list(x), labels, fontsize=8)
for i, p in enumerate(points):
    axes[0].annotate(f"{p['steps_per_s']:.0f}", (i, p["steps_per_s"]), ha="center", va="bottom")
if memory:
    n = [m["sleepers"] for m in memory]
    axes[2].plot(n, [m["rss_mb"] for m in memory], "o-", color="#2b6cb0")
    for m in memory:
        axes[2].annotate(f"{m['rss_mb']:.0f} MB", (m["sleepers"], m["rss_mb"]), fontsize=8)
    axes[2].set_xscale("log")
    axes[2].set_ylim(bottom=0)
axes[2].set_title("sleeping runs", fontsize=10)
axes[2].set_xlabel("runs asleep")
axes[2].set_ylabel("RSS MB")
fig.tight_layout()
out = Path(__file__).resolve().parents[2] / "docs" / "scale.png"
fig.savefig(out, dpi=110)
print(f"plot in {out}")
