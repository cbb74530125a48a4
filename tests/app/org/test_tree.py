"""Org tree: create, rename, move, delete, and scope answers that follow every move."""

import contextlib

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.org import service
from app.org.models import OrgNode, Role
from app.org.scope import Principal, collapse_roots, scope_roots, subtree_bounds, visible_node_ids
from tests.factories import auth_header, make_node, make_staff


@pytest.fixture
def tree(db):
    """company ─ north ─ n1, n2 ; company ─ south ─ s1"""
    company = make_node(db, None, "Company", "company")
    north = make_node(db, company, "North", "region")
    south = make_node(db, company, "South", "region")
    nodes = {
        "company": company,
        "north": north,
        "south": south,
        "n1": make_node(db, north, "N1"),
        "n2": make_node(db, north, "N2"),
        "s1": make_node(db, south, "S1"),
    }
    db.commit()
    return nodes


@pytest.fixture
def admin(db, tree):
    return make_staff(db, tree["company"], Role.ADMIN)


def principal_of(db, staff):
    return Principal(
        staff_id=staff.id,
        role=Role(staff.role),
        org_node_id=staff.org_node_id,
        roots=scope_roots(db, staff_id=staff.id, org_node_id=staff.org_node_id),
    )


def test_subtree_bounds_exclude_siblings_with_longer_ids():
    low, high = subtree_bounds("/1/4/")
    assert low <= "/1/4/" < high
    assert low <= "/1/4/9/" < high
    assert not (low <= "/1/40/" < high)
    assert not (low <= "/1/5/" < high)


def test_collapse_roots_drops_covered_paths():
    assert collapse_roots(["/1/2/3/", "/1/2/", "/1/20/"]) == ("/1/2/", "/1/20/")


def test_list_nodes_shows_own_subtree_only(client, db, tree):
    lead = make_staff(db, tree["north"], Role.TEAM_LEAD)
    response = client.get("/api/v1/org/nodes", headers=auth_header(client, lead))
    assert response.status_code == 200
    names = [n["name"] for n in response.get_json()]
    assert names == ["North", "N1", "N2"]


def test_managed_nodes_extend_scope(db, tree):
    lead = make_staff(db, tree["n1"], Role.TEAM_LEAD, manages=(tree["s1"],))
    ids = visible_node_ids(db, principal_of(db, lead))
    assert ids == {tree["n1"].id, tree["s1"].id}


def test_create_rename_delete(client, db, tree, admin):
    headers = auth_header(client, admin)
    created = client.post(
        "/api/v1/org/nodes", json={"parent_id": tree["n1"].id, "name": "Pod"}, headers=headers
    )
    assert created.status_code == 201
    node = created.get_json()
    assert node["path"] == f"{tree['n1'].path}{node['id']}/"
    assert node["depth"] == 3
    renamed = client.patch(
        f"/api/v1/org/nodes/{node['id']}", json={"name": "Pod A"}, headers=headers
    )
    assert renamed.get_json()["name"] == "Pod A"
    assert client.delete(f"/api/v1/org/nodes/{node['id']}", headers=headers).status_code == 204
    assert db.get(OrgNode, node["id"]) is None


def test_delete_refused_while_node_has_children_or_staff(client, db, tree, admin):
    headers = auth_header(client, admin)
    response = client.delete(f"/api/v1/org/nodes/{tree['north'].id}", headers=headers)
    assert response.status_code == 409
    assert response.get_json()["code"] == "org.node_not_empty"
    make_staff(db, tree["s1"])
    response = client.delete(f"/api/v1/org/nodes/{tree['s1'].id}", headers=headers)
    assert response.get_json()["staff"] == 1


def test_move_rewrites_paths_of_the_whole_subtree(client, db, tree, admin):
    headers = auth_header(client, admin)
    response = client.post(
        f"/api/v1/org/nodes/{tree['north'].id}/move",
        json={"new_parent_id": tree["s1"].id},
        headers=headers,
    )
    assert response.status_code == 200
    db.expire_all()
    north, n2 = db.get(OrgNode, tree["north"].id), db.get(OrgNode, tree["n2"].id)
    assert north.path == f"{tree['s1'].path}{north.id}/"
    assert north.depth == 3 and n2.depth == 4
    assert n2.path == f"{north.path}{n2.id}/"
    assert north.parent_id == tree["s1"].id


@pytest.mark.parametrize("target", ["north", "n1"])
def test_move_into_own_subtree_is_a_409_cycle(client, tree, admin, target):
    response = client.post(
        f"/api/v1/org/nodes/{tree['north'].id}/move",
        json={"new_parent_id": tree[target].id},
        headers=auth_header(client, admin),
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "org.move_cycle"


def test_move_takes_effect_on_the_next_request(client, db, tree, admin):
    lead = make_staff(db, tree["south"], Role.TEAM_LEAD)
    lead_headers = auth_header(client, lead, "lead-device")
    rep = make_staff(db, tree["n1"])
    assert client.get(f"/api/v1/staff/{rep.id}", headers=lead_headers).status_code == 404
    client.post(
        f"/api/v1/org/nodes/{tree['n1'].id}/move",
        json={"new_parent_id": tree["south"].id},
        headers=auth_header(client, admin, "admin-device"),
    )
    assert client.get(f"/api/v1/staff/{rep.id}", headers=lead_headers).status_code == 200


def test_only_admins_change_the_tree(client, db, tree):
    lead = make_staff(db, tree["north"], Role.TEAM_LEAD)
    response = client.post(
        "/api/v1/org/nodes",
        json={"parent_id": tree["n1"].id, "name": "X"},
        headers=auth_header(client, lead),
    )
    assert response.status_code == 403


def test_admin_cannot_reach_outside_own_subtree(client, db, tree):
    regional_admin = make_staff(db, tree["north"], Role.ADMIN)
    headers = auth_header(client, regional_admin)
    assert client.get(f"/api/v1/org/nodes/{tree['s1'].id}", headers=headers).status_code == 404
    moved = client.post(
        f"/api/v1/org/nodes/{tree['n1'].id}/move",
        json={"new_parent_id": tree["south"].id},
        headers=headers,
    )
    assert moved.status_code == 422
    assert moved.get_json()["code"] == "org.parent_not_found"
    own_root = client.post(
        f"/api/v1/org/nodes/{tree['north'].id}/move",
        json={"new_parent_id": tree["n1"].id},
        headers=headers,
    )
    assert own_root.status_code == 403


def naive_descendants(db, node_id):
    children = {}
    for node_id_, parent_id in db.execute(sa.select(OrgNode.id, OrgNode.parent_id)):
        children.setdefault(parent_id, []).append(node_id_)
    found, stack = set(), [node_id]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, []))
    return found


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    parents=st.lists(st.integers(min_value=0, max_value=30), min_size=3, max_size=14),
    moves=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=10),
)
def test_scope_matches_naive_tree_walk_after_any_moves(db, parents, moves):
    """Random tree, random moves (cycles refused): every node's scope equals a naive walk."""
    with db.begin_nested() as savepoint:
        root = make_node(db, None, "Root", "company")
        nodes = [root]
        for index in parents:
            nodes.append(make_node(db, nodes[index % len(nodes)], f"n{len(nodes)}"))
        admin = make_staff(db, root, Role.ADMIN)
        principal = principal_of(db, admin)
        for node_index, parent_index in moves:
            node = nodes[1 + node_index % (len(nodes) - 1)]
            parent = nodes[parent_index % len(nodes)]
            with contextlib.suppress(service.MoveCycle):  # cycles are refused, by design
                service.move_node(db, principal, node_id=node.id, new_parent_id=parent.id)
        for node in nodes:
            viewer = Principal(
                staff_id=admin.id,
                role=Role.TEAM_LEAD,
                org_node_id=node.id,
                roots=(db.get(OrgNode, node.id).path,),
            )
            assert visible_node_ids(db, viewer) == naive_descendants(db, node.id)
        savepoint.rollback()
