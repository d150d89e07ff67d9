"""Small pieces every page's queries use."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Executable
from sqlalchemy.sql.elements import ColumnElement


def frame(conn: Connection, statement: Executable, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of `statement` as a DataFrame with these column names (also when there are no rows)."""
    # Plain tuples: pandas probes each Row as a mapping first, which costs more than the query on big results.
    return pd.DataFrame([tuple(row) for row in conn.execute(statement)], columns=list(columns))


def matches(column: ColumnElement[Any], value: str | None) -> list[ColumnElement[bool]]:
    """WHERE terms for a filter choice such as the sidebar's site: none when it is None (everything)."""
    return [column == value] if value else []
