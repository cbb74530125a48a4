"""Many values as one bind parameter (PostgreSQL, SQLite).

A statement that carries thousands of rows or ids as separate parameters (a VALUES list, an
IN list, or a driver's executemany) spends more time building, sending and parsing them than
the database spends on them; one JSON document or one array costs one parameter.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB


def json_rows(
    dialect: str, name: str, columns: tuple[tuple[str, Any], ...], rows: list[tuple[Any, ...]]
) -> sa.Subquery:
    """`rows` sent as one JSON bind parameter, as a table named `name` with typed `columns`."""
    document = sa.bindparam(f"{name}_json", json.dumps(rows), type_=sa.String)
    if dialect == "postgresql":
        elements = sa.func.jsonb_array_elements(sa.cast(document, JSONB)).table_valued(
            sa.column("value", JSONB)
        )
        values = [
            sa.cast(elements.c.value[i].astext, type_).label(column)
            for i, (column, type_) in enumerate(columns)
        ]
    else:
        elements = sa.func.json_each(document).table_valued("value")
        values = [
            sa.type_coerce(sa.func.json_extract(elements.c.value, f"$[{i}]"), type_).label(column)
            for i, (column, type_) in enumerate(columns)
        ]
    return sa.select(*values).select_from(elements).subquery(name)


def in_values(dialect: str, column: Any, name: str, *, negate: bool = False) -> Any:
    """`column IN :name` (NOT IN with `negate`) for a bind parameter holding a list of values.

    PostgreSQL gets one array parameter (`= ANY`, `<> ALL`): the same statement text for any
    number of values, which the driver parses once. SQLite expands the list (its limit is
    32,766 parameters; callers send at most a few thousand).
    """
    if dialect == "postgresql":
        values = sa.bindparam(name, type_=ARRAY(column.type))
        return column != sa.all_(values) if negate else column == sa.any_(values)
    values = sa.bindparam(name, expanding=True)
    return column.not_in(values) if negate else column.in_(values)
