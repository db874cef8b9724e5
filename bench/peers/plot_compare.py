"""Plot compare.py's results (JSON on stdin) to the PNG named by argv[1]: throughput
and latency per engine, sleeping runs' wake-up lateness and memory, harvest calls per
minute against the 100/min budget. Where compare.py repeated a workload (--repeat), a
bar is the median and its whisker the min–max of the runs. Runs in the peers'
environment (matplotlib)."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

res = json.load(sys.stdin)
engines = ["ours", "dbos", "celery"]
colors = {"ours": "#2b6cb0", "dbos": "#c05621", "celery": "#2f855a"}
panels = [k for k in ("ten", "sleepers", "harvest") if k in res]
fig, axes = plt.subplots(1, len(panels) + ("ten" in res), figsize=(4.2 * (len(panels) + 1), 3.6))
axes = list(axes) if hasattr(axes, "__iter__") else [axes]


def span(per, key):
    """Whiskers (below, above the bar) from the min and max of repeated runs, if any."""
    names = [e for e in engines if e in per]
    if not any(key in per[e].get("spread", {}) for e in names):
        return None
    low, high = [], []
    for e in names:
        lo, hi = per[e].get("spread", {}).get(key, [per[e][key], per[e][key]])
        low.append(per[e][key] - lo)
        high.append(hi - per[e][key])
    return [low, high]


def bars(ax, values, title, unit, fmt="{:.0f}", err=None):
    names = [e for e in engines if e in values]
    ax.bar(
        names,
        [values[e] for e in names],
        color=[colors[e] for e in names],
        yerr=err,
        capsize=4 if err else 0,
        ecolor="#333333",
    )
    for i, e in enumerate(names):
        ax.annotate(fmt.format(values[e]), (i, values[e]), ha="center", va="bottom", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(unit)


i = 0
if "ten" in res:
    t = res["ten"]
    bars(
        axes[i],
        {e: r["steps_per_s"] for e, r in t.items()},
        "10-step function" + (" (min–max of runs)" if span(t, "steps_per_s") else ""),
        "steps/s",
        err=span(t, "steps_per_s"),
    )
    i += 1
    ax = axes[i]
    names = [e for e in engines if e in t]
    x = range(len(names))
    ax.bar(
        [v - 0.2 for v in x],
        [t[e]["p50_ms"] for e in names],
        0.4,
        label="p50",
        color=[colors[e] for e in names],
        yerr=span(t, "p50_ms"),
        capsize=3,
    )
    ax.bar(
        [v + 0.2 for v in x],
        [t[e]["p99_ms"] for e in names],
        0.4,
        label="p99",
        color=[colors[e] for e in names],
        alpha=0.45,
        yerr=span(t, "p99_ms"),
        capsize=3,
    )
    ax.set_xticks(list(x), names)
    ax.set_title("event → first step (p50, p99 pale)", fontsize=10)
    ax.set_ylabel("ms")
    i += 1
if "sleepers" in res:
    s = res["sleepers"]
    n = int(next(iter(s.values()))["n"])
    bars(
        axes[i],
        {e: r["late_p99_ms"] for e, r in s.items()},
        f"{n:,} sleepers: wake-up lateness p99" + (" (min–max)" if span(s, "late_p99_ms") else ""),
        "ms",
        err=span(s, "late_p99_ms"),
    )
    for j, e in enumerate(e for e in engines if e in s):
        axes[i].annotate(
            f"{s[e]['rss_mb']:.0f} MB", (j, 0), ha="center", va="bottom", fontsize=8, color="white"
        )
    i += 1
if "harvest" in res:
    ax = axes[i]
    for e, r in res["harvest"].items():
        ax.plot(
            range(1, len(r["per_minute"]) + 1),
            r["per_minute"],
            marker="o",
            color=colors[e],
            label=f"{e} ({r['http_429']} × 429)",
        )
    ax.axhline(100, color="grey", linestyle="--", linewidth=1)
    ax.set_xticks(range(1, max(len(r["per_minute"]) for r in res["harvest"].values()) + 1))
    ax.set_title("harvest: TikTok calls per minute (budget 100)", fontsize=10)
    ax.set_xlabel("minute")
    ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[1], dpi=110)
