"""SQL pieces that differ between SQLite and PostgreSQL, so each query is written once.

Times: the store keeps UTC (naive text in SQLite, timestamptz in PostgreSQL); buckets are epoch seconds.
JSON: event payloads are text columns holding the envelope as JSON; paths name keys from the top, e.g.
("data", "alarm"). Array elements and object members come back as table-valued functions that may reference
columns of tables to their left (SQLite table-valued functions; PostgreSQL set-returning functions in FROM).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Connection, Float, Integer, String, cast, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import Function
from sqlalchemy.sql.selectable import TableValuedAlias


@dataclass(frozen=True)
class PortableSql:
    dialect: str  # "sqlite" or "postgresql"

    @classmethod
    def of(cls, conn: Connection) -> PortableSql:
        return cls(conn.dialect.name)

    @property
    def postgres(self) -> bool:
        return self.dialect == "postgresql"

    def floor_int(self, value: ColumnElement[float]) -> ColumnElement[int]:
        """The 64-bit integer at or below a non-negative value (PostgreSQL's CAST rounds; SQLite's truncates).
        64-bit on PostgreSQL too: a latency bin id in microseconds passes 2**31 at 36 minutes."""
        return cast(func.floor(value), BigInteger) if self.postgres else cast(value, Integer)

    def epoch_s(self, column: ColumnElement[Any]) -> ColumnElement[int]:
        if self.postgres:
            return cast(func.floor(func.extract("epoch", column)), BigInteger)
        return cast(func.strftime("%s", column), Integer)

    def bucket(self, column: ColumnElement[Any], seconds: int) -> ColumnElement[int]:
        """Start of the `seconds`-wide bucket that `column` falls in, as epoch seconds (integer division)."""
        return (self.epoch_s(column) // seconds) * seconds

    def _jsonb(self, column: ColumnElement[Any], path: tuple[str, ...]) -> ColumnElement[Any]:
        value = cast(column, JSONB)
        return value[path] if len(path) > 1 else value[path[0]] if path else value

    def json_text(self, column: ColumnElement[Any], *path: str) -> ColumnElement[str]:
        """The value at `path` as text (strings unquoted)."""
        if self.postgres:
            return self._jsonb(column, path).astext if path else cast(column, String)
        return func.json_extract(column, "$." + ".".join(path), type_=String)

    def json_float(self, column: ColumnElement[Any], *path: str) -> ColumnElement[float]:
        return cast(self.json_text(column, *path), Float)

    def json_elements(self, column: ColumnElement[Any], *path: str, name: str) -> TableValuedAlias:
        """One row per element of the array at `path`, in a column `value` (JSON)."""
        function: Function[Any] = (func.jsonb_array_elements(self._jsonb(column, path)) if self.postgres
                                   else func.json_each(column, "$." + ".".join(path)))
        return function.table_valued("value", name=name)

    def json_members(self, column: ColumnElement[Any], *path: str, name: str) -> TableValuedAlias:
        """One row per member of the object at `path`, in columns `key` and `value` (value as text)."""
        function: Function[Any] = (func.jsonb_each_text(self._jsonb(column, path)) if self.postgres
                                   else func.json_each(column, "$." + ".".join(path)))
        return function.table_valued("key", "value", name=name)
