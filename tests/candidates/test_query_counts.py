"""Query counts of list endpoints and pages not pinned elsewhere: constant with 2 and 12 rows.

Already pinned: candidate list page and API, dossier list API (test_pages_and_api), the
évaluateur's grid, the documents list, the jury list and the jury pages (tests/juries)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates.models import Entreprise, Tuteur
from evaluations import services as evaluations_services
from organisations.tenancy import tenant_context
from tests.builders import bulk_candidates

SIRETS = [
    "73282932000074",
    "44306184100047",
    "55210055400013",
    "54205118000066",
    "38012986648300",
    "57202552600029",
    "33326316100020",
    "55208131766522",
    "78012998703591",
    "32773318400516",
    "30213326000015",
    "41225307100034",
]


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def _add_rows(org, alice, rncp, start, stop):
    for i in range(start, stop):
        entreprise = Entreprise.objects.create(
            organisation=org, raison_sociale=f"Entreprise {i}", siret=SIRETS[i]
        )
        Tuteur.objects.create(
            organisation=org,
            entreprise=entreprise,
            nom=f"Tuteur{i}",
            prenom="Anne",
            email=f"t{i}@example.org",
        )
        evaluations_services.session_create(by=alice, referentiel=rncp, intitule=f"Session {i}", lieu="Lyon")
    bulk_candidates(org, rncp, stop - start, start=start)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/o/centre-a/entreprises/",
        "/api/v1/o/centre-a/tuteurs/",
        "/api/v1/o/centre-a/imports/",
        "/api/v1/o/centre-a/sessions/",
        "/api/v1/o/centre-a/avis/",
        "/o/centre-a/evaluations/sessions/",
        "/o/centre-a/candidats/?sort=naissance&page=1",
        "/o/centre-a/candidats/?q=NOM",
    ],
)
def test_list_query_count_does_not_grow(habilitated, alice, client_for, api_for, rncp, url):
    client = api_for(alice) if url.startswith("/api/") else client_for(alice)
    with tenant_context(habilitated):
        _add_rows(habilitated, alice, rncp, 0, 2)
    client.get(url)  # warm-up: session and per-process caches
    small = _count(lambda: client.get(url))
    with tenant_context(habilitated):
        _add_rows(habilitated, alice, rncp, 2, 12)
    assert _count(lambda: client.get(url)) == small
    assert small <= 30, small


def test_list_page_links_and_referentiel_filter(habilitated, alice, client_for, rncp, cqpm):
    """The rows' links are built from one reversed prefix: they must still be the pages' URLs;
    the référentiel filter offers the published, habilitated codes once each."""
    from django.urls import reverse

    from tests.candidates.conftest import make_dossier

    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp)
    html = client_for(alice).get("/o/centre-a/candidats/").content.decode()
    candidate_url = reverse(
        "candidate_detail", kwargs={"org_slug": "centre-a", "candidate_id": dossier.candidate.public_id}
    )
    dossier_url = reverse("dossier_detail", kwargs={"org_slug": "centre-a", "dossier_id": dossier.public_id})
    assert f'href="{candidate_url}"' in html
    assert f'href="{dossier_url}"' in html
    for code in (rncp.code, cqpm.code):
        assert html.count(f'<option value="{code}">') == 1, code


def test_the_dossier_list_api_joins_previous_attempts(habilitated, alice, api_for, rncp):
    """A retake names its previous attempt (``previous_attempt`` in each row): joined to the
    page's query, not read once per row (issue 19, lists whose cost does not grow)."""
    from candidates.models import Dossier

    api = api_for(alice)
    url = "/api/v1/o/centre-a/dossiers/"
    with tenant_context(habilitated):
        bulk_candidates(habilitated, rncp, 6)
    api.get(url)  # warm-up
    first_attempts = _count(lambda: api.get(url))
    with tenant_context(habilitated):
        ids = list(Dossier.objects.order_by("pk").values_list("pk", flat=True))
        for previous, retake in zip(ids[0::2], ids[1::2], strict=True):  # one retake per attempt
            Dossier.objects.filter(pk=retake).update(previous_attempt_id=previous, attempt=2)
    body = api.get(url).json()
    assert sum(1 for row in body["results"] if row["previous_attempt"]) == 3
    assert _count(lambda: api.get(url)) == first_attempts
