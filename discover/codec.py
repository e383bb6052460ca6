"""Records to JSON and back, guided by their type hints (tasks cross processes as JSON, never pickles).

    to_json(record)          dataclasses → dicts, tuples → lists, enums → their values, bytes → base64
    from_json(Type, data)    the reverse: nested records, list[...], tuple[...], dict[...], X | None

Only the shapes the records of `discover.records` use are supported; anything else is a bug
and raises TypeError rather than guessing.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import functools
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):   # a page's screenshot: JSON has no bytes
        return base64.b64encode(value).decode("ascii")
    return value


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_json(tp: Any, data: Any) -> Any:
    """`data` (from to_json / json.loads) as an instance of the type `tp`."""
    if tp is Any or tp is object:
        return data
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return from_json(rest[0], data)
        for a in rest:   # e.g. int | float: the first that fits the JSON value
            if isinstance(a, type) and isinstance(data, a):
                return data
        raise TypeError(f"cannot decode {data!r} as {tp}")
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return [from_json(item, v) for v in data]
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_json(args[0], v) for v in data)
        return tuple(from_json(a, v) for a, v in zip(args, data))
    if origin is dict:
        args = typing.get_args(tp)
        vt = args[1] if len(args) == 2 else Any
        return {k: from_json(vt, v) for k, v in data.items()}
    if origin is typing.Literal:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise TypeError(f"cannot decode {type(data).__name__} as {tp.__name__}")
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        return tp(**{k: from_json(hints[k], v) for k, v in data.items() if k in names})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is bytes and isinstance(data, str):
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error:
            raise TypeError(f"cannot decode {data[:40]!r} as bytes (not base64)") from None
    if tp is float and isinstance(data, int):
        return float(data)
    if isinstance(tp, type) and isinstance(data, tp):
        return data
    raise TypeError(f"cannot decode {data!r} as {tp}")
