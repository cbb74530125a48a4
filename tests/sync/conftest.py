"""Fixtures of the sync tests: a geo org whose rep e1 works all day with location consent."""

import pytest

from app.org.models import LocationConsent
from tests.factories_geo import IN_E1, IN_E2, make_geo_org, make_lead

ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def org(db):
    org = make_geo_org(db)
    org.people["rep_e1"].working_hours, org.people["rep_e1"].timezone = ALL_DAY, "UTC"
    db.add(
        LocationConsent(
            staff_id=org["rep_e1"].id, document_version="v1", recorded_by_id=org["rep_e1"].id
        )
    )
    org.leads = [make_lead(db, IN_E1[0], IN_E1[1] + i * 0.001) for i in range(3)]
    org.e2_lead = make_lead(db, *IN_E2)
    db.commit()
    return org
