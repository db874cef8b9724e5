"""Bad settings, said the way an operator fixes them: one line per variable with its
name, the value it had and what it may be (pydantic's own report names the field, not
the environment variable, and comes with a traceback)."""

from __future__ import annotations

import enum
import os
import re
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import AliasChoices, BaseModel, SecretStr, ValidationError
from pydantic.fields import FieldInfo

PREFIX = "HARVESTER_"
_USERINFO = re.compile(r"(://[^:/@]*:)[^@/]*@")  # the password of a URL


class SettingsError(ValueError):
    """The environment holds settings the harvester cannot start with."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines

    @classmethod
    def of(cls, exc: ValidationError, model: type[BaseModel]) -> SettingsError:
        """One line per invalid variable of ``exc`` (raised validating ``model``)."""
        lines = []
        for err in exc.errors():
            loc = str(err["loc"][0]) if err["loc"] else ""
            name, field = _field(model, loc)
            lines.append(
                f"{_variable(name, field, loc)}={_shown(err.get('input'), field)}: "
                f"{_problem(err, field)}"
            )
        return cls(lines)


def _field(model: type[BaseModel], loc: str) -> tuple[str, FieldInfo | None]:
    """The field ``loc`` names: a field name, or one of its aliases (the variable set)."""
    if loc in model.model_fields:
        return loc, model.model_fields[loc]
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices) and loc.lower() in (
            str(c).lower() for c in alias.choices
        ):
            return name, info
    return loc, None


def _variable(name: str, field: FieldInfo | None, loc: str) -> str:
    """The environment variable that carried the value (the one set, of a field's names)."""
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        choices = [str(c) for c in field.validation_alias.choices]
        if loc.upper() in (c.upper() for c in choices):
            return loc.upper()
        set_ = {k.upper() for k in os.environ}
        return next((c.upper() for c in choices if c.upper() in set_), choices[0].upper())
    return f"{PREFIX}{name.upper()}"


def _shown(value: Any, field: FieldInfo | None) -> str:
    """The value as given, except secrets and URL passwords."""
    if field is not None and _is_secret(field):
        return "(hidden)"
    text = value if isinstance(value, str) else repr(value)
    return repr(_USERINFO.sub(r"\1***@", text))


def _is_secret(field: FieldInfo) -> bool:
    ann = field.annotation
    return ann is SecretStr or SecretStr in getattr(ann, "__args__", ())


def _problem(err: Any, field: FieldInfo | None) -> str:
    """What is wrong, ending with what is allowed."""
    if err["type"] == "value_error":  # our validators say it all, sometimes with the name
        text = str(err["msg"]).removeprefix("Value error, ")
        return re.sub(r"^[A-Z_]+: ", "", text)
    allowed = _allowed(field) if field is not None else None
    return f"must be {allowed}" if allowed else str(err["msg"])


def _allowed(field: FieldInfo) -> str | None:
    """What a field accepts, from its type and bounds."""
    ann = field.annotation
    args = [a for a in getattr(ann, "__args__", (ann,)) if a is not type(None)]
    kind = args[0] if args else ann
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in kind)
    if kind is bool:
        return "true or false"
    if kind is int:
        return "a whole number" + _bounds(field)
    if kind is float:
        return "a number" + _bounds(field)
    return None


def _bounds(field: FieldInfo) -> str:
    lo: object = None
    hi: object = None
    lo_strict = hi_strict = False
    for m in field.metadata:
        if isinstance(m, Ge):
            lo = m.ge
        elif isinstance(m, Gt):
            lo, lo_strict = m.gt, True
        elif isinstance(m, Le):
            hi = m.le
        elif isinstance(m, Lt):
            hi, hi_strict = m.lt, True
    if lo is not None and hi is not None and not (lo_strict or hi_strict):
        return f" from {lo} to {hi}"
    parts = []
    if lo is not None:
        parts.append(f"{'greater than' if lo_strict else 'at least'} {lo}")
    if hi is not None:
        parts.append(f"{'less than' if hi_strict else 'at most'} {hi}")
    return " " + " and ".join(parts) if parts else ""
