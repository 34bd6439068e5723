"""Response models built from values the code has just computed with their declared types and
in their ranges, without validating them again.

The health assessment builds ~40 small models per deal (pillars, factors, actions, evidence
items, credibility inputs); for a 10 000-deal tenant validating them (`__init__`) or even
`model_construct` (which walks every field's aliases and defaults) was most of the per-deal
Python. `trusted` sets what `model_construct` sets — the field values, the fields given, no
extra, no private — and nothing else, so the caller passes every field, defaults included.
The models stay the validated API schema: a test validates every assessment's results again
and requires the same JSON (tests/scoring/test_health_assessment_fast_path.py)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["trusted"]

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__

# One "fields set" per class, shared by its instances: each has every field set, so pydantic's
# only change to it (adding an assigned field's name) never changes it, and the ~40 sets per
# deal were a third of the objects the garbage collector kept scanning during an assessment.
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}


def trusted(cls: type[M], **values: Any) -> M:
    """`cls` holding exactly `values` (every field of `cls`, each already of its type)."""
    fields = _ALL_FIELDS.get(cls)
    if fields is None:
        fields = _ALL_FIELDS[cls] = set(cls.__pydantic_fields__)
    # a forgotten default would surface only when the model is dumped: fail here instead
    assert values.keys() == fields, sorted(values)
    m = cls.__new__(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", fields)
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m
