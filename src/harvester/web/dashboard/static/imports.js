// The upload page's enhancement: drag-and-drop, upload progress, then the import's
// progress (polling /api/check-query/ as Zeeschuimer does) and its report.
// Without this file the form posts and the import's own page shows the same.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("upload-file");
  const zone = document.getElementById("dropzone");
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const status = document.getElementById("upload-status");
  const report = document.getElementById("upload-report");

  ["dragenter", "dragover"].forEach((t) =>
    zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) =>
    zone.addEventListener(t, () => zone.classList.remove("over")));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) input.files = e.dataTransfer.files;
  });

  function show(text, pct) {
    box.hidden = false;
    status.textContent = text;
    if (pct != null) bar.value = pct;
  }

  function fill(r) {
    report.querySelectorAll("[data-k]").forEach((td) => {
      const v = r[td.dataset.k];
      td.textContent = td.dataset.k === "skipped"
        ? Object.entries(v || {}).map(([k, n]) => k + " " + n).join(", ") || "—"
        : (v == null ? "—" : String(v));
    });
    report.hidden = false;
  }

  function poll(key) {
    fetch("/api/check-query/?key=" + encodeURIComponent(key), { credentials: "same-origin" })
      .then((res) => res.json())
      .then((p) => {
        document.getElementById("upload-link").href = "/imports/" + encodeURIComponent(key);
        if (!p.done) {
          show("Importing: " + p.status, p.progress);
          setTimeout(() => poll(key), 1000);
          return;
        }
        show(p.status, 100);
        if (p.report) fill(p.report);
      })
      .catch(() => show("Could not read the import's progress; see its page.", null));
  }

  form.addEventListener("submit", (e) => {
    if (!input.files.length) return;
    e.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) show("Uploading…", Math.round((ev.loaded / ev.total) * 100));
    };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 200 && body.key) {
        show("Uploaded (" + body.format + "); importing…", 0);
        poll(body.key);
      } else {
        show("Refused: " + (body.detail || xhr.statusText), 0);
      }
    };
    xhr.onerror = () => show("The upload failed: is the server running?", 0);
    report.hidden = true;
    show("Uploading…", 0);
    xhr.send(new FormData(form));
  });
})();
