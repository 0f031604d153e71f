"""Strict conversion between the session dataclasses and plain JSON values.

The dataclass type hints in model.py are the schema: a dataclass is a JSON object,
an enum is its value, list[X] is an array, dict[str, X] is an object. Decoding
refuses anything that does not fit (a string where an integer belongs, true where a
number belongs, NaN, an unknown enum value, a missing required field) with a
ProjectError naming the JSON path, so a damaged file never half-loads. Encoding
applies the same rules, so a project that saves is a project that opens again.
"""

from __future__ import annotations

import json
import math
import numbers
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from enum import Enum
from typing import Any

import numpy as np


class ProjectError(Exception):
    """A project folder or file that cannot be read or written, with a human sentence."""


_Plan = list[tuple[str, Any, bool]]  # (field name, resolved type, required)


def describe(value: Any) -> str:
    """A short human rendering of a JSON value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 42 else text[:40] + '…"'
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, numbers.Number):
        return repr(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _optional_arm(tp: Any) -> Any | None:
    """For `X | None` the X, else None."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(arms) == 1 and len(typing.get_args(tp)) == 2:
            return arms[0]
        raise TypeError(f"unsupported union type {tp!r}")
    return None


def _expected(tp: Any) -> str:
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "one of " + ", ".join(json.dumps(m.value) for m in tp)
    if typing.get_origin(tp) is list:
        return "a list"
    return "an object"


class Codec:
    """One decode or encode pass: caches the field plan per class, collects warnings.

    `source` names the file in messages ("project.json", "recovery/project.json").
    """

    def __init__(self, source: str = "project.json") -> None:
        self.source = source
        self.warnings: list[str] = []
        self._plans: dict[type, _Plan] = {}

    def _plan(self, cls: type) -> _Plan:
        plan = self._plans.get(cls)
        if plan is None:
            hints = typing.get_type_hints(cls)
            plan = [
                (f.name, hints[f.name], f.default is MISSING and f.default_factory is MISSING)
                for f in fields(cls)
                if f.init
            ]
            self._plans[cls] = plan
        return plan

    def _fail(self, path: str, message: str) -> ProjectError:
        where = f"{self.source}: {path}" if path else self.source
        return ProjectError(f"{where}: {message}")

    def _wrong(self, tp: Any, value: Any, path: str) -> ProjectError:
        return self._fail(path, f"expected {_expected(tp)}, got {describe(value)}")

    # -- decoding -------------------------------------------------------------

    def decode(self, tp: Any, value: Any, path: str = "") -> Any:
        """The Python value of type `tp` for the JSON value `value` found at `path`."""
        if tp is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise self._wrong(tp, value, path)
        if tp is float:
            if isinstance(value, int | float) and not isinstance(value, bool):
                if not math.isfinite(value):
                    raise self._wrong(tp, value, path)
                return float(value)
            raise self._wrong(tp, value, path)
        if tp is bool or tp is str:
            if type(value) is tp:
                return value
            raise self._wrong(tp, value, path)
        if isinstance(tp, type) and issubclass(tp, Enum):
            for member in tp:
                if type(value) is type(member.value) and value == member.value:
                    return member
            raise self._wrong(tp, value, path)
        if isinstance(tp, type) and is_dataclass(tp):
            return self._decode_object(tp, value, path)
        origin = typing.get_origin(tp)
        if origin is list:
            if not isinstance(value, list):
                raise self._wrong(tp, value, path)
            (item,) = typing.get_args(tp)
            return [self.decode(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        if origin is dict:
            if not isinstance(value, dict):
                raise self._wrong(tp, value, path)
            key_type, item = typing.get_args(tp)
            if key_type is not str:
                raise TypeError(f"unsupported dict key type {key_type!r}")
            return {k: self.decode(item, v, f"{path}[{json.dumps(k)}]") for k, v in value.items()}
        arm = _optional_arm(tp)
        if arm is not None:
            return None if value is None else self.decode(arm, value, path)
        raise TypeError(f"unsupported type {tp!r} at {path or 'the root'}")

    def _decode_object(self, cls: type, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise self._wrong(cls, value, path)
        plan = self._plan(cls)
        kwargs = {}
        for name, tp, required in plan:
            sub = f"{path}.{name}" if path else name
            if name in value:
                kwargs[name] = self.decode(tp, value[name], sub)
            elif required:
                raise self._fail(sub, "missing (this field is required)")
        if len(value) > len(kwargs):
            known = {name for name, _, _ in plan}
            for key in value:
                if key not in known:
                    sub = f"{path}.{key}" if path else key
                    self.warnings.append(
                        f"{self.source}: {sub}: unknown field, ignored "
                        "(it will not be kept when the project is saved)."
                    )
        return cls(**kwargs)

    # -- encoding -------------------------------------------------------------

    def encode(self, tp: Any, value: Any, path: str = "") -> Any:
        """The JSON value for `value` of type `tp`, refusing what decode would refuse."""
        if tp is int:
            if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
                return int(value)
            raise self._wrong(tp, value, path)
        if tp is float:
            if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
                number = float(value)
                if math.isfinite(number):
                    return number
            raise self._wrong(tp, value, path)
        if tp is bool:
            if isinstance(value, bool | np.bool_):
                return bool(value)
            raise self._wrong(tp, value, path)
        if tp is str:
            if isinstance(value, str):
                return str(value)
            raise self._wrong(tp, value, path)
        if isinstance(tp, type) and issubclass(tp, Enum):
            try:
                return tp(value).value
            except ValueError:
                raise self._wrong(tp, value, path) from None
        if isinstance(tp, type) and is_dataclass(tp):
            if not isinstance(value, tp):
                raise self._fail(path, f"expected a {tp.__name__}, got {describe(value)}")
            out = {}
            for name, ftp, _ in self._plan(tp):
                sub = f"{path}.{name}" if path else name
                out[name] = self.encode(ftp, getattr(value, name), sub)
            return out
        origin = typing.get_origin(tp)
        if origin is list:
            if not isinstance(value, list):
                raise self._wrong(tp, value, path)
            (item,) = typing.get_args(tp)
            return [self.encode(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        if origin is dict:
            if not isinstance(value, dict):
                raise self._wrong(tp, value, path)
            _, item = typing.get_args(tp)
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise self._fail(path, f"expected string keys, got {describe(k)}")
                out[k] = self.encode(item, v, f"{path}[{json.dumps(k)}]")
            return out
        arm = _optional_arm(tp)
        if arm is not None:
            return None if value is None else self.encode(arm, value, path)
        raise TypeError(f"unsupported type {tp!r} at {path or 'the root'}")


def to_json(tp: Any, value: Any, source: str = "project") -> Any:
    """`value` (of type `tp`) as plain JSON values; ProjectError if it does not fit."""
    return Codec(source).encode(tp, value)


def from_json(tp: Any, data: Any, source: str = "project.json") -> tuple[Any, list[str]]:
    """Decode `data` into type `tp`; returns the value and the warnings (ignored keys)."""
    codec = Codec(source)
    return codec.decode(tp, data), codec.warnings
