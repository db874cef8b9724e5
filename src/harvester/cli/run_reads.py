"""Runs as ``harvester runs`` and ``harvester run`` read them: from the running server,
else from the engine's database (which a read never creates), through its facade."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from harvester.cli.target import ApiError, Target, fail, require_database
from harvester.engine import Engine, EngineConfig, RunStatus
from harvester.web.api.run_ids import valid_prefix

STATUSES = tuple(s.value for s in RunStatus)


def open_engine(target: Target) -> Engine:
    """The engine on its database, after checking it exists (a read never creates one);
    it is not started: only its reads are used."""
    url = target.settings.effective_engine_database_url
    require_database(url, "engine", target.settings)
    return Engine(EngineConfig(database_url=url))


def check_status(status: str | None) -> str | None:
    """The status in upper case, or a usage error (exit 2) listing the valid ones."""
    if status is None:
        return None
    if status.upper() not in STATUSES:
        raise fail(f"--status must be one of {', '.join(STATUSES)} (got {status!r})", 2)
    return status.upper()


def check_function(fn: str | None, known: list[str]) -> str | None:
    """The function id ``fn`` names (its full id or a unique tail such as
    ``harvest-comments``), or a usage error (exit 2) listing the synced ones."""
    if fn is None or fn in known:
        return fn
    tails = [k for k in known if k.endswith("-" + fn)]
    if len(tails) == 1:
        return tails[0]
    listing = "\n  ".join(sorted(known)) or "(none synced yet: start `harvester up` once)"
    raise fail(f"--fn {fn!r} is no synced function. Functions:\n  {listing}", 2)


def list_runs(
    target: Target, fn: str | None, status: str | None, limit: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """Recent runs, newest first, after validating the filters; and the function ids."""
    status = check_status(status)
    if target.api is not None:
        known = [f["id"] for f in target.api.get("/api/v1/functions")["data"]]
        fn = check_function(fn, known)
        page = target.api.get("/api/v1/runs", fn=fn, status=status, limit=limit)["data"]
        return list(page), known
    engine = open_engine(target)
    try:
        known = [f.id for f in engine.list_functions()]
        fn = check_function(fn, known)
        page = engine.list_runs(fn=fn, status=status, limit=limit)
        return [r.to_json() for r in page.data], known
    finally:
        engine.close()


def get_run(target: Target, run_id: str) -> dict[str, Any]:
    """One run by its id or any unique prefix of it (exit 1 if none, 2 if ambiguous)."""
    run_id = run_id.strip().rstrip("…")  # as copied from a shortened id on a page
    if target.api is not None:
        return _get_run_from_server(target, run_id)
    engine = open_engine(target)
    try:
        detail = engine.get_run(run_id)
        if detail is None:
            ids, more = engine.run_ids_with_prefix(run_id) if valid_prefix(run_id) else ([], False)
            detail = engine.get_run(_unique(run_id, ids, more))
    finally:
        engine.close()
    if detail is None:  # deleted between the two reads
        raise _not_found(run_id)
    return detail.to_json()


def _get_run_from_server(target: Target, run_id: str) -> dict[str, Any]:
    api = target.api
    assert api is not None
    try:
        return dict(api.get(f"/api/v1/runs/{quote(run_id, safe='')}"))
    except ApiError as exc:
        if exc.status != 404:
            raise fail(f"[red]the server refused ({exc.status}):[/] {exc.detail}") from exc
    if not valid_prefix(run_id):
        raise _not_found(run_id)
    found = api.get("/api/v1/run-ids", prefix=run_id)
    full = _unique(run_id, list(found["data"]), bool(found["more"]))
    return dict(api.get(f"/api/v1/runs/{full}"))


def _unique(prefix: str, ids: list[str], more: bool) -> str:
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise _not_found(prefix)
    listing = "\n  ".join(ids) + ("\n  …and more" if more else "")
    raise fail(
        f"[yellow]run id prefix {prefix!r} is ambiguous[/]; runs starting with it:\n"
        f"  {listing}\nGive more characters.",
        2,
    )


def _not_found(run_id: str) -> Exception:
    return fail(f"[red]no run {run_id!r}[/] (nor one starting with it): see `harvester runs`")
