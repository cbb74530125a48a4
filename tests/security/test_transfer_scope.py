"""A lead is handed (assigned or transferred) only to a rep the caller manages.

The new owner named in the body must be in the caller's subtree: a rep elsewhere, in another
company, or above the caller (whose territories do cover the lead) is answered exactly as a
staff id that names nothing, so the answer reveals neither existence nor coverage.
"""

from __future__ import annotations

import pytest


def answer(response) -> tuple[int, str | None]:
    return response.status_code, response.get_json().get("code")


@pytest.mark.parametrize("role", ["team_lead", "admin"])
def test_a_lead_is_handed_only_to_a_rep_in_your_scope(staged, role):
    world = staged.world
    lead_id = world.scopes["own"].public_lead
    url = f"/api/v1/leads/{lead_id}/transfer"
    headers = staged.logins[role].headers

    def hand_to(staff_id: int) -> tuple[int, str | None]:
        with staged.rolled_back():
            return answer(staged.client.post(url, json={"to_staff_id": staff_id}, headers=headers))

    nobody = hand_to(world.scope("missing").rep)
    # The roaming rep works above the caller's node: its territories cover the lead, yet it is
    # not someone the caller manages.
    outside = [world.scopes["other"].rep, world.scopes["foreign"].rep, world.roaming_rep]

    assert nobody[0] == 422
    assert [hand_to(staff_id) for staff_id in outside] == [nobody] * len(outside)
    assert hand_to(world.scopes["own"].rep)[0] == 200
