"""The subset of the dev server's GraphQL API that tooling and tests use."""

from __future__ import annotations

import json
import re
from typing import Any

from harvester.engine.history import RunHistory


def _arg(query: str, variables: dict[str, Any], name: str) -> str | None:
    m = re.search(rf"{name}\s*:\s*(\$\w+|\"[^\"]*\")", query)
    if not m:
        return None
    token = m.group(1)
    return str(variables.get(token[1:])) if token.startswith("$") else token.strip('"')


def _trace(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": detail["fn_id"],
        "status": detail["status"],
        "childrenSpans": [
            {
                "name": s["name"],
                "status": "FAILED" if s["error"] else "COMPLETED",
                "outputID": f"{detail['run_id']}:{s['id']}",
                "attempts": s["attempt"] + 1,
                "stepOp": s["op"],
            }
            for s in detail["steps"]
        ],
    }


def _output(detail: dict[str, Any]) -> Any:
    """A run's output as the dev server shows it: a failed run's is its error body."""
    return detail["error"] if detail["status"] == "FAILED" else detail["output"]


def _detail(history: RunHistory, run_id: str) -> dict[str, Any] | None:
    detail = history.run_detail(run_id)
    return detail.to_json() if detail else None


def answer_gql(history: RunHistory, body: dict[str, Any]) -> dict[str, Any]:
    query = str(body.get("query") or "")
    variables = body.get("variables") or {}
    data: dict[str, Any] = {}
    if "runTraceSpanOutputByID" in query:
        out_id = _arg(query, variables, "outputID") or ""
        run_id, _, step_pk = out_id.partition(":")
        detail = _detail(history, run_id)
        step = next((s for s in (detail or {}).get("steps", []) if str(s["id"]) == step_pk), None)
        data["runTraceSpanOutputByID"] = (
            None
            if step is None
            else {
                "data": json.dumps(step["output"]) if step["output"] is not None else None,
                "error": step["error"],
            }
        )
    if "runTrigger" in query:
        detail = _detail(history, _arg(query, variables, "runID") or "")
        data["runTrigger"] = {"payloads": [json.dumps(e) for e in (detail or {}).get("events", [])]}
    if re.search(r"\brun\s*\(", query):
        detail = _detail(history, _arg(query, variables, "runID") or "")
        data["run"] = (
            None
            if detail is None
            else {
                "status": detail["status"],
                "output": json.dumps(_output(detail)),
                "trace": _trace(detail),
            }
        )
    if re.search(r"\bevent\s*\(", query):
        ev_id = _arg(query, variables, "eventId") or ""
        runs = history.event_runs(ev_id)
        data["event"] = {"functionRuns": [{"id": r.run_id, "status": r.status} for r in runs]}
    if not data:
        return {"errors": [{"message": "unsupported query for the embedded engine"}]}
    return {"data": data}
