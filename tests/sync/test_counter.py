"""The commit-ordered counter: triggers stamp every change; order of versions = commit order."""

import threading

import pytest
import sqlalchemy as sa

from app.org.models import Role
from tests.factories import make_node, make_staff


def counter(conn) -> int:
    return conn.execute(sa.text("SELECT value FROM sync_counter WHERE id = 1")).scalar_one()


def version_of(conn, staff_id: int) -> int:
    return conn.execute(
        sa.text("SELECT sync_version FROM staff WHERE id = :id"), {"id": staff_id}
    ).scalar_one()


def test_insert_and_update_are_stamped_above_the_previous_counter(db):
    before = counter(db)
    node = make_node(db, None, "Co", "company")
    rep = make_staff(db, node, Role.REP)
    db.commit()
    stamped = version_of(db, rep.id)
    assert stamped > before
    db.execute(sa.text("UPDATE staff SET name = 'Renamed' WHERE id = :id"), {"id": rep.id})
    db.commit()
    assert version_of(db, rep.id) > stamped
    assert counter(db) >= version_of(db, rep.id)


def test_bulk_updates_are_stamped_too(db):
    node = make_node(db, None, "Co", "company")
    people = [make_staff(db, node) for _ in range(3)]
    db.commit()
    before = counter(db)
    db.execute(sa.text("UPDATE staff SET timezone = 'Asia/Shanghai'"))
    assert all(version_of(db, p.id) > before for p in people)


def test_tracked_columns_record_the_version_that_changed_them(db):
    from tests.factories_geo_min import make_public_lead

    lead_id = make_public_lead(db)
    db.commit()
    row = db.execute(
        sa.text("SELECT sync_version, col_versions FROM leads WHERE id = :id"), {"id": lead_id}
    ).one()
    import json

    versions = (
        row.col_versions if isinstance(row.col_versions, dict) else json.loads(row.col_versions)
    )
    assert versions["name"] == row.sync_version
    db.execute(sa.text("UPDATE leads SET phone = '123456789' WHERE id = :id"), {"id": lead_id})
    db.commit()
    row2 = db.execute(
        sa.text("SELECT sync_version, col_versions FROM leads WHERE id = :id"), {"id": lead_id}
    ).one()
    v2 = row2.col_versions if isinstance(row2.col_versions, dict) else json.loads(row2.col_versions)
    assert v2["phone"] == row2.sync_version > row.sync_version
    assert v2["name"] == row.sync_version


@pytest.mark.postgres_only
def test_a_pull_between_two_writers_never_misses_the_late_commit(engine, committed):
    """Writer A takes a version and stays open; writer B waits behind A's counter lock, so it
    can never commit a smaller version after a pull has read a larger cursor."""
    with committed() as s:
        node = make_node(s, None, "Co", "company")
        a, b = make_staff(s, node), make_staff(s, node)
        s.commit()
        a_id, b_id = a.id, b.id
    conn_a = engine.connect()
    tx_a = conn_a.begin()
    conn_a.execute(sa.text("UPDATE staff SET name = 'A' WHERE id = :id"), {"id": a_id})
    version_a = version_of(conn_a, a_id)

    b_done = threading.Event()

    def writer_b() -> None:
        with engine.begin() as conn_b:
            conn_b.execute(sa.text("UPDATE staff SET name = 'B' WHERE id = :id"), {"id": b_id})
        b_done.set()

    thread = threading.Thread(target=writer_b)
    thread.start()
    assert not b_done.wait(0.5), "B must wait for A's counter lock"
    with engine.connect() as reader:  # a pull now: cursor below A's version
        cursor = counter(reader)
        assert cursor < version_a
    tx_a.commit()
    conn_a.close()
    thread.join(5)
    with engine.connect() as reader:
        version_b = version_of(reader, b_id)
        assert version_b > version_a > cursor  # both are after the cursor the pull returned
