"""Function configs as synced by the SDK: validation, event matching, CEL expressions."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cel

from harvester.engine.config import DEFAULT_RETRIES
from harvester.engine.durations import parse_cron, parse_duration


class ConfigError(ValueError):
    """A function config the engine cannot honour; the message names fn and field."""


@lru_cache(maxsize=4096)
def compile_expr(expr: str) -> Any:
    return cel.compile(expr)


def evaluate(expr: str | None, context: dict[str, Any]) -> bool:
    """CEL truthiness; a missing field makes the expression false, as in Inngest."""
    if not expr:
        return True
    try:
        return bool(compile_expr(expr).execute(context))
    except (KeyError, ValueError, TypeError, RuntimeError):
        return False


def evaluate_value(expr: str, context: dict[str, Any]) -> Any:
    try:
        return compile_expr(expr).execute(context)
    except (KeyError, ValueError, TypeError, RuntimeError):
        return None


def event_matches(pattern: str, name: str) -> bool:
    """Exact names, or Inngest wildcards such as ``app/user.*``."""
    return pattern == name or ("*" in pattern and fnmatch.fnmatchcase(name, pattern))


@dataclass(frozen=True)
class FunctionSpec:
    """The parts of a synced config the engine acts on."""

    id: str
    name: str
    url: str
    config: dict[str, Any] = field(hash=False)

    @property
    def max_attempts(self) -> int:
        retries = ((self.config.get("steps") or {}).get("step") or {}).get("retries") or {}
        attempts = retries.get("attempts")
        return int(attempts) + 1 if attempts is not None else DEFAULT_RETRIES + 1

    @property
    def triggers(self) -> list[dict[str, Any]]:
        return list(self.config.get("triggers") or [])

    def event_triggers(self, name: str) -> list[dict[str, Any]]:
        return [t for t in self.triggers if t.get("event") and event_matches(t["event"], name)]

    @property
    def crons(self) -> list[str]:
        return [t["cron"] for t in self.triggers if t.get("cron")]


def _check(fn_id: str, fieldname: str, ok: bool, why: str) -> None:
    if not ok:
        raise ConfigError(f"function {fn_id!r}: {fieldname}: {why}")


def _check_expr(fn_id: str, fieldname: str, expr: str | None) -> None:
    if expr:
        try:
            compile_expr(expr)
        except ValueError as exc:
            raise ConfigError(
                f"function {fn_id!r}: {fieldname}: invalid expression "
                f"{expr!r}: {str(exc).splitlines()[0]}"
            ) from exc


def _check_duration(fn_id: str, fieldname: str, value: Any) -> None:
    try:
        parse_duration(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"function {fn_id!r}: {fieldname}: {exc}") from exc


def validate(cfg: dict[str, Any]) -> FunctionSpec:
    """Check one function config as the SDK sent it; ConfigError names the field."""
    fn_id = str(cfg.get("id") or "")
    _check(fn_id, "id", bool(fn_id), "missing")
    try:
        url = cfg["steps"]["step"]["runtime"]["url"]
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"function {fn_id!r}: steps.step.runtime.url: missing") from exc
    triggers = cfg.get("triggers") or []
    _check(fn_id, "triggers", bool(triggers), "at least one event or cron trigger")
    for i, t in enumerate(triggers):
        if t.get("cron"):
            try:
                parse_cron(t["cron"])
            except ValueError as exc:
                raise ConfigError(f"function {fn_id!r}: triggers[{i}].cron: {exc}") from exc
        else:
            _check(fn_id, f"triggers[{i}].event", bool(t.get("event")), "missing")
            _check_expr(fn_id, f"triggers[{i}].expression", t.get("expression"))
    for i, c in enumerate(cfg.get("concurrency") or []):
        _check(fn_id, f"concurrency[{i}].limit", int(c.get("limit", 0)) > 0, "must be > 0")
        _check_expr(fn_id, f"concurrency[{i}].key", c.get("key"))
    if th := cfg.get("throttle"):
        _check(fn_id, "throttle.limit", int(th.get("limit", 0)) > 0, "must be > 0")
        _check_duration(fn_id, "throttle.period", th.get("period"))
        _check_expr(fn_id, "throttle.key", th.get("key"))
    if b := cfg.get("batchEvents"):
        _check(fn_id, "batchEvents.maxSize", int(b.get("maxSize", 0)) > 0, "must be > 0")
        _check_duration(fn_id, "batchEvents.timeout", b.get("timeout") or "1s")
        _check_expr(fn_id, "batchEvents.key", b.get("key"))
    for i, c in enumerate(cfg.get("cancel") or []):
        _check(fn_id, f"cancel[{i}].event", bool(c.get("event")), "missing")
        _check_expr(fn_id, f"cancel[{i}].if", c.get("if"))
    for k, v in (cfg.get("timeouts") or {}).items():
        if v is not None:
            _check_duration(fn_id, f"timeouts.{k}", v)
    _check_expr(fn_id, "idempotency", cfg.get("idempotency"))
    _validate_flow(fn_id, cfg)
    return FunctionSpec(id=fn_id, name=str(cfg.get("name") or fn_id), url=url, config=cfg)


def _validate_flow(fn_id: str, cfg: dict[str, Any]) -> None:
    if rl := cfg.get("rateLimit"):
        _check(fn_id, "rateLimit.limit", int(rl.get("limit", 0)) > 0, "must be > 0")
        _check_duration(fn_id, "rateLimit.period", rl.get("period"))
        _check_expr(fn_id, "rateLimit.key", rl.get("key"))
    if db := cfg.get("debounce"):
        _check_duration(fn_id, "debounce.period", db.get("period"))
        if db.get("timeout") is not None:
            _check_duration(fn_id, "debounce.timeout", db["timeout"])
        _check_expr(fn_id, "debounce.key", db.get("key"))
    if pr := cfg.get("priority"):
        _check(fn_id, "priority.run", bool(pr.get("run")), "missing")
        _check_expr(fn_id, "priority.run", pr.get("run"))
    if sg := cfg.get("singleton"):
        _check(
            fn_id, "singleton.mode", sg.get("mode") in ("skip", "cancel"), "must be skip or cancel"
        )
        _check_expr(fn_id, "singleton.key", sg.get("key"))
