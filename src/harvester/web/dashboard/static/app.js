// Progressive enhancement for the dashboard: every page works without this file.
// Loaded as an external script (CSP: script-src 'self'); it never injects HTML.
(function () {
  "use strict";

  const COLORS = ["#4fb3ff", "#f2cc60", "#3fb950", "#f85149"];

  // Times are shown in UTC, 24-hour ISO; these give the same form, and the reader's own.
  function isoUtc(sec, withSeconds) {
    const iso = new Date(sec * 1000).toISOString();
    return iso.slice(0, 10) + " " + iso.slice(11, withSeconds ? 19 : 16);
  }

  // Tick labels as short as the spacing allows: MM-DD for days, HH:MM, HH:MM:SS.
  function axisLabels(vals, incr) {
    const [from, to] = incr >= 86400 ? [5, 10] : incr >= 60 ? [11, 16] : [11, 19];
    return vals.map((v) => (v == null ? "" : isoUtc(v, true).slice(from, to)));
  }

  // A <time datetime="…Z"> shows UTC; its tooltip says when that is where the reader is.
  function localTimes(root) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
    root.querySelectorAll("time[datetime]").forEach((el) => {
      const ms = Date.parse(el.getAttribute("datetime"));
      if (Number.isNaN(ms)) return;
      const d = new Date(ms);
      const pad = (n) => String(n).padStart(2, "0");
      const local = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
        pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
      el.title = local + " your time (" + zone + ")";
    });
  }

  function dayToTs(day) {
    return Date.parse(day + "T00:00:00Z") / 1000;
  }

  function drawChart(el, series) {
    if (typeof uPlot === "undefined" || !series.length) return;
    const keys = el.dataset.chart.split(",");
    const percent = el.dataset.unit === "%";
    const data = [series.map((p) => (p.ts != null ? p.ts : dayToTs(p.day)))];
    keys.forEach((k) =>
      data.push(series.map((p) => (p[k] == null ? null : percent ? p[k] * 100 : p[k])))
    );
    const opts = {
      // Ticks on UTC boundaries (whole hours and days in UTC, like the tables).
      tzDate: (ts) => (uPlot.tzDate ? uPlot.tzDate(new Date(ts * 1000), "Etc/UTC") : new Date(ts * 1000)),
      width: Math.max(300, el.clientWidth),
      height: 170,
      legend: { show: true },
      scales: {
        // One point (a fresh server's first queue sample) would stretch the axis to years.
        x: { time: true, range: (u, min, max) => (min === max ? [min - 300, max + 300] : [min, max]) },
        y: percent ? { range: [0, 100] } : { auto: true },
      },
      axes: [
        { stroke: "#8b98a5", grid: { stroke: "#263041" }, ticks: { stroke: "#263041" },
          values: (u, vals, axis, space, incr) => axisLabels(vals, incr) },
        { stroke: "#8b98a5", grid: { stroke: "#263041" }, ticks: { stroke: "#263041" },
          values: (u, vals) => vals.map((v) => (percent ? v + "%" : el.dataset.unit === "s" ? v + " s" : v)) },
      ],
      series: [{ label: "UTC", value: (u, v) => (v == null ? "—" : isoUtc(v, true)) }].concat(
        keys.map((k, i) => ({
          label: k.replace(/_/g, " "),
          stroke: COLORS[i % COLORS.length],
          fill: i === 0 ? "rgba(79,179,255,0.12)" : undefined,
          width: 2,
          points: { size: 5 },
          spanGaps: true,
        }))
      ),
    };
    el.textContent = "";
    new uPlot(opts, data, el);
    el.dataset.drawn = "1";
  }

  function loadCharts(root) {
    root.querySelectorAll("[data-src]").forEach((box) => {
      fetch(box.dataset.src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
        .then((body) => {
          box.querySelectorAll("[data-chart]").forEach((el) => drawChart(el, body.series || body.days || []));
        })
        .catch((err) => console.warn("charts stay static:", err.message));
    });
  }

  // The event form's JSON editor: validate as you type, refuse to send bad JSON.
  function jsonEditor(form) {
    const area = form.querySelector("textarea[name=data]");
    const status = form.querySelector("#json-status");
    const send = form.querySelector("#send-button");
    const fmt = form.querySelector("#format-json");
    if (!area || !status || !send) return;
    function check() {
      let msg = "valid JSON object";
      let ok = true;
      try {
        const v = JSON.parse(area.value || "{}");
        if (v === null || typeof v !== "object" || Array.isArray(v)) {
          ok = false;
          msg = "data must be a JSON object: { ... }";
        }
      } catch (e) {
        ok = false;
        msg = "invalid JSON: " + e.message;
      }
      status.textContent = msg;
      status.className = "editor-status " + (ok ? "ok" : "error");
      area.classList.toggle("invalid", !ok);
      send.disabled = !ok;
      return ok;
    }
    area.addEventListener("input", check);
    area.addEventListener("keydown", (e) => {
      if (e.key === "Tab") {  // indent instead of leaving the field
        e.preventDefault();
        area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
        check();
      }
    });
    if (fmt) {
      fmt.hidden = false;
      fmt.addEventListener("click", () => {
        if (check()) area.value = JSON.stringify(JSON.parse(area.value || "{}"), null, 2);
      });
    }
    form.addEventListener("submit", (e) => { if (!check()) e.preventDefault(); });
    check();
  }

  function confirmForms(root) {
    root.querySelectorAll("form[data-confirm]").forEach((form) => {
      if (form.dataset.confirmBound) return;
      form.dataset.confirmBound = "1";
      form.addEventListener("submit", (e) => {
        if (!window.confirm(form.dataset.confirm)) e.preventDefault();
      });
    });
  }

  // The runs list refreshes itself on page one, unless paused or runs are ticked.
  function liveRuns() {
    setInterval(() => {
      const box = document.getElementById("runs-list");
      const toggle = document.getElementById("live-toggle");
      if (!box || !box.dataset.live || document.hidden || typeof htmx === "undefined") return;
      if ((toggle && !toggle.checked) || box.querySelector("input.pick:checked")) return;
      htmx.ajax("GET", location.pathname + location.search, {
        target: "#runs-list", select: "#runs-list", swap: "outerHTML",
        headers: { "X-Live-Refresh": "1" },
      });
    }, 1000 * Number(document.getElementById("runs-list")?.dataset.live || 5));
    // A refresh that comes back after the filters changed (or runs were ticked) is
    // stale: dropping it keeps the list the user asked for.
    document.addEventListener("htmx:beforeSwap", (e) => {
      const cfg = e.detail.requestConfig || {};
      if (!cfg.headers || !cfg.headers["X-Live-Refresh"]) return;
      const box = document.getElementById("runs-list");
      const ticked = box && box.querySelector("input.pick:checked");
      if (ticked || cfg.path !== location.pathname + location.search) e.detail.shouldSwap = false;
    });
  }

  function pickAll(root) {
    const all = root.querySelector ? root.querySelector("#pick-all") : null;
    if (!all) return;
    all.hidden = false;
    all.addEventListener("change", () => {
      document.querySelectorAll("#runs input.pick").forEach((p) => { p.checked = all.checked; });
    });
  }

  // A page-size choice applies at once (the Show button stays for pages without JS).
  function pageSizes(root) {
    root.querySelectorAll("form.page-size select").forEach((sel) => {
      sel.addEventListener("change", () => sel.form.submit());
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (document.getElementById("runs-list")) liveRuns();
    pageSizes(document);
    pickAll(document);
    loadCharts(document);
    localTimes(document);
    document.querySelectorAll("form.json-editor").forEach(jsonEditor);
    confirmForms(document);
  });
  document.addEventListener("htmx:afterSettle", (e) => {
    confirmForms(e.target);
    pageSizes(e.target);
    pickAll(e.target);
    localTimes(e.target);
  });
})();
