"""Query counts of the jury pages and list endpoints: the same with 1 and 3 candidates, and pinned,
so a per-row query (N+1) fails CI even though timings are not asserted here (``make bench`` does)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from juries import services
from organisations.tenancy import tenant_context
from tests.juries.conftest import JURY_DATE, compose_rncp, ready_dossier

# Measured on this code; raise them only with a reason (a new feature's constant queries).
PINNED = {
    "deliberation page": 15,
    "decisions API": 9,  # + the référentiel's code → id map (bloc ids beside codes, issue 17)
    "members API": 8,
    "proces-verbaux API": 7,
    "jury detail API": 7,
}


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def test_deliberation_page_and_jury_endpoints_do_not_grow_with_candidates(
    org_a, alice, referentiels, panel, client_for, api_for
):
    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        juries = []
        for n in (1, 3):
            jury = services.jury_create(
                by=alice, referentiel=rncp, intitule=f"Jury {n}", date=JURY_DATE, lieu="Lyon"
            )
            compose_rncp(jury)
            dossiers = [ready_dossier(alice, rncp, nom_naissance=f"Cand{n}x{i}") for i in range(n)]
            services.jury_dossiers_add(jury=jury, by=alice, dossiers=dossiers)
            services.jury_open(jury=jury, by=alice)
            juries.append(jury)
    client, api = client_for(alice), api_for(alice)
    base = f"/api/v1/o/{org_a.slug}/juries/"

    def counts(jury) -> dict:
        page = reverse("jury_detail", kwargs={"org_slug": org_a.slug, "jury_id": jury.public_id})
        client.get(page)  # warm-up: session and per-process caches
        return {
            "deliberation page": _count(lambda: client.get(page)),
            "decisions API": _count(lambda: api.get(f"{base}{jury.public_id}/decisions/")),
            "members API": _count(lambda: api.get(f"{base}{jury.public_id}/members/")),
            "proces-verbaux API": _count(lambda: api.get(f"{base}{jury.public_id}/proces-verbaux/")),
            "jury detail API": _count(lambda: api.get(f"{base}{jury.public_id}/")),
        }

    one, three = counts(juries[0]), counts(juries[1])
    assert one == three, (one, three)
    for name, count in three.items():
        assert count <= PINNED[name], (name, count, PINNED[name])
