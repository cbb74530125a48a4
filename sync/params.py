"""Many rows as one bind parameter: a JSON array read back as a table (PostgreSQL, SQLite).

A statement that carries thousands of rows as separate parameters (a VALUES list, or a
driver's executemany) spends more time building, sending and parsing them than the database
spends on the rows; one JSON document costs one parameter.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


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
