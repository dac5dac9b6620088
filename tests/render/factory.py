"""Result objects filled with one string wherever a field holds text: each renderer is driven
with data from outside in every place a core could put it, without a hand-written fixture per
result type (a field added later is covered the day it is added)."""

import dataclasses
import enum
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def hostile(cls: type[T], text: str, **fixed: Any) -> T:
    """An instance of the dataclass (or NamedTuple) ``cls``: every str field is ``text``,
    numbers are small, optional fields are filled, lists hold one item; ``fixed`` overrides
    fields by name."""
    hints = typing.get_type_hints(cls)
    names = (
        cls._fields  # type: ignore[attr-defined]  # a NamedTuple
        if _is_named_tuple(cls)
        else [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    )
    values = {name: fixed[name] if name in fixed else _value(hints[name], text) for name in names}
    return cls(**values)


def _is_named_tuple(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields")


def _value(hint: Any, text: str) -> Any:  # noqa: PLR0911  # a return per kind of type
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _value(next(a for a in arguments if a is not type(None)), text)
    if origin is typing.Literal:
        return arguments[0]
    if origin is list:
        return [_value(arguments[0], text)]
    if origin is tuple:
        return (_value(arguments[0], text),)
    if origin is dict:
        return {_value(arguments[0], text): _value(arguments[1], text)}
    if hint is str or hint is object:  # an object field (decoded EDNS data) holds text too
        return text
    if hint is bool:
        return True
    if hint is int:
        return 1
    if hint is float:
        return 1.5
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    if dataclasses.is_dataclass(hint) or _is_named_tuple(hint):
        return hostile(hint, text)  # type: ignore[arg-type]  # a dataclass type, checked above
    raise TypeError(f"no hostile value for {hint!r}")
