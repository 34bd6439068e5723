"""Entity tables: one frozen dataclass per row of a `ReplacingMergeTree(version)` table.

`EntityTable(table, Entity, types)` does what every entity store did by hand: dataclass →
Arrow columns for the insert (with a fresh `version`), rows read with `FINAL` → dataclasses,
"the one with this id" and "the ones matching these ids, newest first". Column types are
declared once (`types`); string columns need no declaration. Conversions follow the
dataclass annotations: `bool` ↔ UInt8, `tuple` ↔ Array, enums from their values, and
FixedString bytes back to `str`. Every read is scoped by tenant.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any, Generic, TypeVar

import pyarrow as pa

from tracker.clock import version_now
from tracker.stores.clickhouse import ClickHouse

__all__ = ["EntityTable"]

E = TypeVar("E")


@dataclass(frozen=True)
class EntityTable(Generic[E]):
    table: str
    entity: type[E]
    types: Mapping[str, pa.DataType] = field(default_factory=dict)
    # Rows carry a `deleted` flag (not an entity field); reads skip deleted rows.
    soft_delete: bool = False

    @cached_property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.entity))  # type: ignore[arg-type]

    @cached_property
    def _hints(self) -> dict[str, Any]:
        return typing.get_type_hints(self.entity)

    def arrow(self, items: Sequence[E], *, deleted: bool = False, **constants: str) -> pa.Table:
        """The insert's columns; `constants` fill columns the entity does not carry (e.g. the
        tenant of entities that belong to one)."""
        version = version_now()
        data: dict[str, pa.Array] = {
            name: pa.array([value] * len(items), pa.string()) for name, value in constants.items()
        }
        data |= {
            name: pa.array(
                [_stored(getattr(item, name)) for item in items],
                self.types.get(name, pa.string()),
            )
            for name in self.columns
        }
        if self.soft_delete:
            data["deleted"] = pa.array([int(deleted)] * len(items), pa.uint8())
        data["version"] = pa.array([version + i for i in range(len(items))], pa.uint64())
        return pa.table(data)

    def write(
        self, ch: ClickHouse, items: Sequence[E], *, deleted: bool = False, **constants: str
    ) -> None:
        """Insert new versions of these entities (the newest version of an id wins)."""
        if items:
            ch.insert(self.table, self.arrow(items, deleted=deleted, **constants))

    @cached_property
    def _loaders(self) -> dict[str, Callable[[Any], Any]]:
        """Per column, the conversion its annotation asks for, resolved once per table
        instead of inspecting the type hints again for every value of every row."""
        return {name: _loader(hint) for name, hint in self._hints.items()}

    def entity_of(self, row: Mapping[str, Any]) -> E:
        loaders = self._loaders
        return self.entity(**{k: loaders[k](v) for k, v in row.items()})

    def select(
        self,
        ch: ClickHouse,
        tenant_id: str | None,
        *,
        equals: Mapping[str, str] | None = None,
        where: str = "",
        params: Mapping[str, Any] | None = None,
        order_by: str = "",
        limit: int | None = None,
    ) -> list[E]:
        """Entities matching every `equals` column (string values) and the extra `where`
        (with its `params`); `tenant_id` None only for the operator's cross-tenant reads."""
        conditions = [] if tenant_id is None else ["tenant_id = {tenant_id:String}"]
        conditions += [f"{column} = {{eq_{column}:String}}" for column in equals or {}]
        if self.soft_delete:
            conditions.append("deleted = 0")
        if where:
            conditions.append(f"({where})")
        sql = (
            f"SELECT {', '.join(self.columns)} FROM {ch.database}.{self.table} FINAL "
            f"WHERE {' AND '.join(conditions) or '1'}"
        )
        if order_by:
            sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        bound: dict[str, Any] = {"tenant_id": tenant_id or "", **(params or {})}
        bound.update({f"eq_{column}": value for column, value in (equals or {}).items()})
        return [self.entity_of(row) for row in ch.query(sql, bound)]

    def find(self, ch: ClickHouse, tenant_id: str | None, **equals: str) -> E | None:
        found = self.select(ch, tenant_id, equals=equals, limit=1)
        return found[0] if found else None


def _stored(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, tuple):
        return [_stored(v) for v in value]
    return value


def _loader(hint: Any) -> Callable[[Any], Any]:
    """The conversion from a stored value to the annotation `hint`."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = _loader(next(a for a in typing.get_args(hint) if a is not type(None)))
        return lambda value: None if value is None else inner(value)
    if hint is bool:
        return bool
    if hint is str:  # FixedString reads back as bytes
        return lambda value: value.decode() if isinstance(value, bytes) else value
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        item = _loader(args[0] if args else Any)
        return lambda value: tuple(item(v) for v in value)
    return _as_stored


def _as_stored(value: Any) -> Any:
    return value
