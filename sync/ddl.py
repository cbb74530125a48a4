"""DDL for the commit-ordered sync counter: triggers that stamp every change to a synced table.

Every insert or update of a synced row gets `sync_version` = the counter value of its
transaction, and each tracked column's entry in `col_versions` records the version that last
changed it (the per-column merge needs that). Deletes leave a tombstone with the version.

PostgreSQL: a transaction bumps the counter once, on its first synced write, and holds the
counter row lock until it commits, so counter order is commit order.
SQLite: there is one writer at a time, so bumping per row gives the same order.
"""

from __future__ import annotations

from collections.abc import Iterable

# ruff: noqa: S608 -- DDL built from our own table and column names (sync/tables.py), no input.

PG_FUNCTIONS = [
    """
CREATE OR REPLACE FUNCTION waypoint_sync_version() RETURNS bigint AS $$
DECLARE v text;
BEGIN
  v := current_setting('waypoint.sync_version', true);
  IF v IS NULL OR v = '' THEN
    UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value::text INTO v;
    PERFORM set_config('waypoint.sync_version', v, true);
  END IF;
  RETURN v::bigint;
END $$ LANGUAGE plpgsql
""",
    """
CREATE OR REPLACE FUNCTION waypoint_sync_stamp() RETURNS trigger AS $$
DECLARE v bigint := waypoint_sync_version(); col text; cv jsonb; new_row jsonb; old_row jsonb;
BEGIN
  NEW.sync_version := v;
  IF TG_NARGS > 0 THEN
    new_row := to_jsonb(NEW);
    IF TG_OP = 'UPDATE' THEN old_row := to_jsonb(OLD); END IF;
    cv := coalesce(CASE WHEN TG_OP = 'UPDATE' THEN OLD.col_versions::jsonb END, '{}'::jsonb);
    FOREACH col IN ARRAY TG_ARGV LOOP
      IF TG_OP = 'INSERT' OR (new_row -> col) IS DISTINCT FROM (old_row -> col) THEN
        cv := jsonb_set(cv, ARRAY[col], to_jsonb(v));
      END IF;
    END LOOP;
    NEW.col_versions := cv::json;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
""",
    """
CREATE OR REPLACE FUNCTION waypoint_sync_tombstone() RETURNS trigger AS $$
BEGIN
  INSERT INTO sync_tombstones (table_name, record_id, sync_version)
  VALUES (TG_TABLE_NAME, OLD.id::text, waypoint_sync_version());
  RETURN OLD;
END $$ LANGUAGE plpgsql
""",
]
PG_DROP_FUNCTIONS = [
    "DROP FUNCTION IF EXISTS waypoint_sync_tombstone()",
    "DROP FUNCTION IF EXISTS waypoint_sync_stamp()",
    "DROP FUNCTION IF EXISTS waypoint_sync_version()",
]
_CURRENT = "(SELECT value FROM sync_counter WHERE id = 1)"
_BUMP = "UPDATE sync_counter SET value = value + 1 WHERE id = 1;"


def pg_stamp_function(table: str, columns: Iterable[str]) -> str:
    """The stamp function of a table with tracked columns: each column compared directly.

    The generic waypoint_sync_stamp turns both row versions into JSON to compare columns by
    name, which costs more than the rest of the write (a third of a millisecond per row).
    """
    cols = list(columns)
    initial = ", ".join(f"'{c}', v" for c in cols)
    changed = "\n".join(
        f"    IF NEW.{c} IS DISTINCT FROM OLD.{c} THEN "
        f"cv := jsonb_set(cv, '{{{c}}}', to_jsonb(v)); END IF;"
        for c in cols
    )
    return f"""
CREATE OR REPLACE FUNCTION {table}_sync_stamp() RETURNS trigger AS $$
DECLARE v bigint := waypoint_sync_version(); cv jsonb;
BEGIN
  NEW.sync_version := v;
  IF TG_OP = 'INSERT' THEN
    NEW.col_versions := jsonb_build_object({initial})::json;
  ELSE
    cv := coalesce(OLD.col_versions::jsonb, '{{}}'::jsonb);
{changed}
    NEW.col_versions := cv::json;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
"""


def pg_triggers(table: str, columns: Iterable[str]) -> list[str]:
    """Stamp and tombstone triggers for one table (PostgreSQL)."""
    return [*pg_stamp_trigger(table, columns), pg_tombstone_trigger(table)]


def pg_stamp_trigger(table: str, columns: Iterable[str]) -> list[str]:
    """The stamp trigger of one table, with its own function when it tracks columns."""
    cols = list(columns)
    if not cols:
        return [
            f"CREATE TRIGGER {table}_sync_stamp BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION waypoint_sync_stamp()"
        ]
    return [
        pg_stamp_function(table, cols),
        f"CREATE TRIGGER {table}_sync_stamp BEFORE INSERT OR UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_sync_stamp()",
    ]


def pg_generic_stamp_trigger(table: str, columns: Iterable[str]) -> str:
    """The stamp trigger as migration 0004 first made it (the generic function, by name)."""
    args = ", ".join(f"'{c}'" for c in columns)
    return (
        f"CREATE TRIGGER {table}_sync_stamp BEFORE INSERT OR UPDATE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION waypoint_sync_stamp({args})"
    )


def pg_tombstone_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_sync_tombstone AFTER DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION waypoint_sync_tombstone()"
    )


def pg_drop_triggers(table: str) -> list[str]:
    """Drop the triggers of one table, and its own stamp function (PostgreSQL)."""
    return [
        f"DROP TRIGGER IF EXISTS {table}_sync_stamp ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_sync_tombstone ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_sync_stamp()",
    ]


def sqlite_triggers(table: str, columns: Iterable[str]) -> list[str]:
    """Stamp and tombstone triggers for one table (SQLite; recursive triggers are off)."""
    cols = list(columns)
    on_insert = ""
    if cols:
        entries = ", ".join(f"'{c}', {_CURRENT}" for c in cols)
        on_insert = f", col_versions = json_object({entries})"
    on_update = ""
    if cols:
        pairs = ", ".join(
            f"'$.{c}', CASE WHEN NEW.{c} IS NOT OLD.{c} THEN {_CURRENT} "
            f"ELSE json_extract(coalesce(OLD.col_versions, '{{}}'), '$.{c}') END"
            for c in cols
        )
        on_update = f", col_versions = json_set(coalesce(OLD.col_versions, '{{}}'), {pairs})"
    return [
        f"CREATE TRIGGER {table}_sync_insert AFTER INSERT ON {table} BEGIN {_BUMP} "
        f"UPDATE {table} SET sync_version = {_CURRENT}{on_insert} WHERE rowid = NEW.rowid; END",
        f"CREATE TRIGGER {table}_sync_update AFTER UPDATE ON {table} "
        f"WHEN NEW.sync_version IS OLD.sync_version BEGIN {_BUMP} "
        f"UPDATE {table} SET sync_version = {_CURRENT}{on_update} WHERE rowid = NEW.rowid; END",
        f"CREATE TRIGGER {table}_sync_delete AFTER DELETE ON {table} BEGIN {_BUMP} "
        f"INSERT INTO sync_tombstones (table_name, record_id, sync_version) "
        f"VALUES ('{table}', CAST(OLD.id AS TEXT), {_CURRENT}); END",
    ]


def sqlite_drop_triggers(table: str) -> list[str]:
    """Drop the triggers of one table (SQLite)."""
    return [
        f"DROP TRIGGER IF EXISTS {table}_sync_{event}" for event in ("insert", "update", "delete")
    ]
