"""What an output's TypedDict gives besides its static type: the reader's field table (each
field's check, from its `Annotated` metadata) and the JSON Schema published for it. So a field is
declared once, with its type and its check, and the reader, the type checker and the schema
follow from it.
"""

from __future__ import annotations

import functools
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin, is_typeddict

from .checks import BOUNDS, Check, table

DIALECT = "https://json-schema.org/draft/2020-12/schema"

OPEN: set[type] = set()
"""Objects whose fields are open-ended (a session's options are its command line's): even a strict
schema lets them hold fields it does not name."""


@functools.cache
def hints(shape: type) -> dict[str, Any]:
    """`shape`'s fields (its bases' first) and their annotations, as the class made them: the
    shapes' modules evaluate their annotations as they are defined (no `from __future__ import
    annotations`), so each check is made once and the reader and the schema see the same one, and
    nothing is evaluated again (`get_type_hints` would, at a cost on every reader's start-up)."""
    fields: dict[str, Any] = shape.__annotations__
    assert not any(isinstance(hint, str) for hint in fields.values()), f"{shape}: annotations left as strings"
    return fields


def checks(shape: type) -> dict[str, Check]:
    """`shape`'s fields that a reader reads, each with its check (fields without one are written,
    described, and not read: a reader recomputes them or does not need them)."""
    found = {}
    for name, hint in hints(shape).items():
        check = next((meta for meta in _metadata(hint) if callable(meta)), None)
        if check is not None:
            found[name] = check
    return found


def checked(shape: type, name: str = "an object", required: tuple[str, ...] = ()) -> Check:
    """A nested object's check: `shape`'s fields, each by its own check (`checks.table`)."""
    return table(checks(shape), name, required)


def _metadata(hint: Any) -> tuple[Any, ...]:
    return hint.__metadata__ if get_origin(hint) is Annotated else ()


def json_schema(shape: type, name: str, version: int, what: str, strict: bool = False) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an output whose top level is `shape`. Objects are open
    (a reader ignores fields it does not know, so a field added is no new version) unless `strict`,
    which the tests use to catch a field written without being declared."""
    definitions: dict[str, Any] = {}
    top = _object(shape, definitions, strict)
    if "format" in top["properties"]:
        top["properties"]["format"] = {"const": version}  # a reader of this version reads this one
    return {
        "$schema": DIALECT,
        "$id": f"urn:uktrace:schema:{name}:{version}",
        "title": f"{what}, format {version}",
        **({"description": _doc(shape)} if _doc(shape) else {}),
        **top,
        "$defs": dict(sorted(definitions.items())),
    }


def _doc(shape: type) -> str:
    return " ".join((shape.__doc__ or "").split())


def _title(shape: type) -> str:
    return f"{shape.__module__}.{shape.__qualname__}"


def _described(shape: type, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with `shape`'s docstring as its description, where it has one."""
    doc = _doc(shape)
    return {"title": _title(shape), **({"description": doc} if doc else {}), **schema}


def _object(shape: type, definitions: dict[str, Any], strict: bool) -> dict[str, Any]:
    fields = hints(shape)
    required = sorted(shape.__required_keys__, key=list(fields).index)  # type: ignore[attr-defined]
    result: dict[str, Any] = {
        "type": "object",
        "properties": {name: _schema(hint, definitions, strict) for name, hint in fields.items()},
        "required": required,
    }
    if strict and shape not in OPEN:
        result["additionalProperties"] = False
    return result


def _schema(hint: Any, definitions: dict[str, Any], strict: bool) -> dict[str, Any]:
    if get_origin(hint) is Annotated:
        inner = _schema(get_args(hint)[0], definitions, strict)
        bounds = next((BOUNDS[meta] for meta in _metadata(hint) if callable(meta) and meta in BOUNDS), None)
        return _bounded(inner, bounds) if bounds else inner
    origin = get_origin(hint)
    if hint is Any or hint is object:
        return {}
    if hint is type(None):
        return {"type": "null"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if hint is str:
        return {"type": "string"}
    if is_typeddict(hint):
        name = hint.__name__
        if name not in definitions:
            definitions[name] = {"title": _title(hint)}  # a placeholder while its fields are walked
            definitions[name] = _described(hint, _object(hint, definitions, strict))
        elif definitions[name]["title"] != _title(hint):
            raise TypeError(f"two objects named {name} in one output: name one of them apart")
        return {"$ref": f"#/$defs/{name}"}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_schema(arm, definitions, strict) for arm in get_args(hint)]}
    if origin is Literal:
        return {"enum": list(get_args(hint))}
    if origin is list:
        (item,) = get_args(hint)
        return {"type": "array", "items": _schema(item, definitions, strict)}
    if origin is dict:
        key, value = get_args(hint)
        assert key is str, f"JSON object keys are strings, not {key}"
        return {"type": "object", "additionalProperties": _schema(value, definitions, strict)}
    raise TypeError(f"no JSON Schema for {hint!r}")


def _bounded(schema: dict[str, Any], bounds: dict[str, Any]) -> dict[str, Any]:
    """`bounds` on the value's arm (not on null's)."""
    if "anyOf" in schema:
        return {"anyOf": [arm if arm == {"type": "null"} else arm | bounds for arm in schema["anyOf"]]}
    return schema | bounds
