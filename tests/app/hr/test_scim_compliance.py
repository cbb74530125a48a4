"""The independent checker scim2-tester, in-process against /scim/v2 (its Python API).

Zero ERROR or CRITICAL for every resource type served; DEVIATIONs are printed; SKIPPED only
for what ServiceProviderConfig says is unsupported (bulk, sort, changePassword).
"""

from __future__ import annotations

from collections import Counter

from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from app.hr.filters import CORE_GROUP, CORE_USER


def _line(result) -> str:
    return (
        f"{result.status.name:<10} {result.resource_type or '-':<6} {result.title}: {result.reason}"
    )


def test_scim2_tester_finds_no_error(app, scim_secret):
    client = WSGISCIMClient(
        app,
        base_url="http://localhost/scim/v2",
        headers={"Authorization": f"Bearer {scim_secret}"},
    )
    results = check_server(client)
    counts = Counter(r.status.name for r in results)
    print("\nscim2-tester:", dict(counts))
    for result in results:
        if result.status in (Status.DEVIATION, Status.SKIPPED):
            print(_line(result))
    failures = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert not failures, "\n".join(_line(r) + f"\n    data={r.data!r}" for r in failures)
    served = {r.resource_type for r in results if r.resource_type}
    assert served == {"User", "Group"}, served
    assert counts["SUCCESS"] > 50
    unexpected_skips = [
        r for r in results if r.status == Status.SKIPPED and "not supported" not in (r.reason or "")
    ]
    assert not unexpected_skips, "\n".join(map(_line, unexpected_skips))
    assert CORE_USER and CORE_GROUP
