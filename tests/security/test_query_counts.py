"""Pinned query counts of every page and every API read (issue 8): a change that adds a query to a
page, or a per-row query (N+1) on a list, fails CI even though ``make test`` asserts no timings.

Every GET page route and GET API operation of the access table is requested on the security world
(``tests/security/world.py``: two centres with real objects behind every route, several rows in
the lists) by the first role allowed to read it, after a warm-up request, and its query count must
equal the pinned number below. Each app's ``test_query_counts`` proves, in addition, that its lists'
counts do not grow with the number of rows. A new route answering 200 needs a pin here.

The counts include the tenancy set-up inside the test transaction: the query that reads the
caller's membership (or token) also pins the tenant setting, and its reset on exit is one query a
request in production, outside any transaction, does not make; the page's session is read from
the cache (issue 19: session, membership and RLS set-up merged — 2 queries fewer per page, 1 per
API call). Raise a pin only with a reason (a new feature's constant queries); lower it when a
change saves queries.
"""

import os

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.security.access_table import API, PAGES, STATE
from tests.security.test_access_matrix import ROLES, _expected, _fill, _params

# route (page route or API operation) -> queries of one GET, measured on the security world.
PINNED: dict[str, int] = {
    "": 11,
    "candidats/": 10,
    "candidats/<uuid:candidate_id>/": 7,
    "candidats/<uuid:candidate_id>/dossiers/nouveau/": 9,
    "candidats/<uuid:candidate_id>/modifier/": 7,
    # +2: the espace_candidat RGPD section (identity requests, wallet offers), constant
    "candidats/<uuid:candidate_id>/rgpd/export/": 26,
    "candidats/dossiers/<uuid:dossier_id>/": 16,
    "candidats/dossiers/<uuid:dossier_id>/modifier/": 9,
    "candidats/export.<str:fmt>": 7,
    "candidats/import/": 6,
    "candidats/import/<uuid:job_id>/": 6,
    "candidats/import/modele.csv": 5,
    "candidats/nouveau/": 5,
    "candidats/pieces/<uuid:piece_id>/": 7,
    "documents/": 9,  # + the batches' human labels (one query per kind of batch: juries, épreuves)
    "documents/<uuid:public_id>/": 9,  # + its revocation requests and the certificateur's observations (who issued it is stored on the document: no rule read)
    "documents/<uuid:public_id>/attestation-numerique/": 7,
    "documents/<uuid:public_id>/telecharger/": 6,
    # the candidate's space (own dossier: results, convocations, documents, deadlines, requests)
    "espace/dossiers/<uuid:dossier_id>/": 16,  # +1: has a jury signed for the candidate (identity)
    "espace/dossiers/<uuid:dossier_id>/rattrapage/": 6,
    "espace/dossiers/<uuid:dossier_id>/suivi/": 7,
    "espace/enquetes/<uuid:enquete_id>/": 6,
    "espace/identite/": 8,  # +1: has a jury signed for the candidate (read-only after it)
    "espace/mes-donnees.zip": 26,  # +2: the espace_candidat RGPD section, constant
    "espace-centre/demandes/": 7,
    "espace-centre/demandes/rattrapage/<uuid:rattrapage_id>/justificatif/": 6,
    "espace-centre/jurys/<uuid:jury_id>/notifications/": 7,
    "espace-centre/suivi/": 8,
    "evaluations/avis/": 6,
    "evaluations/avis/<uuid:avis_id>/": 10,  # + the tuteur note (seed 004)
    "evaluations/avis/demandes/": 7,
    "evaluations/dossiers/<uuid:dossier_id>/resultats/": 34,  # + contrôle continu per bloc (2), fraud PV (1), tuteur note (2), absences and the parts one can miss (2), parcours: blocs and suivi (2), période en entreprise (1)
    "evaluations/epreuves/<uuid:epreuve_id>/": 11,
    "evaluations/epreuves/<uuid:epreuve_id>/emargement.pdf": 11,
    # 13 since the grid is paged (50 rows): the light list of every inscription (order, status:
    # the « à saisir » filter and counts), then the page's inscriptions with dossiers and candidates
    "evaluations/epreuves/<uuid:epreuve_id>/grille/": 12,  # +1: the registration number (never the code)
    "evaluations/epreuves/<uuid:epreuve_id>/grille/details/": 6,
    "evaluations/dossiers/<uuid:dossier_id>/commission/": 14,  # + entretiens recorded
    "evaluations/mes-evaluations/": 6,
    "evaluations/sessions/": 7,
    "evaluations/sessions/<uuid:session_id>/": 13,
    "evaluations/sessions/<uuid:session_id>/preparation-jury/": 14,
    "evaluations/sessions/<uuid:session_id>/controle-continu/": 6,
    "jetons/": 6,
    "webhooks/": 7,
    "journal/": 6,
    "jurys/": 8,
    "jurys/<uuid:jury_id>/": 19,
    "jurys/<uuid:jury_id>/documents/<uuid:document_id>/": 7,
    "jurys/<uuid:jury_id>/documents/archive.zip": 7,
    "jurys/<uuid:jury_id>/documents/progression/": 7,
    "jurys/<uuid:jury_id>/resultats/": 8,
    "jurys/nouveau/": 6,
    "jurys/signataires/": 7,
    "membres/": 7,
    "referentiels/": 8,
    "referentiels/<uuid:public_id>/": 14,
    "referentiels/<uuid:public_id>/enregistrement/": 7,
    "referentiels/<uuid:public_id>/capacites/<path:code>/": 9,
    "referentiels/<uuid:public_id>/export/": 13,
    "referentiels/habilitations/": 6,
    "referentiels/importer/": 5,
    "referentiels/importer/<uuid:import_id>/": 6,
    "supervision/": 41,
    "supervision/accrochage/": 17,
    # both request tables read twice (pending, last decided) with document, centre, people joined
    "supervision/approbations/": 16,
    "supervision/approbations/reeditions/<uuid:request_id>/piece/": 13,
    "supervision/attestations-numeriques/": 15,
    "supervision/dossiers/<uuid:dossier_id>/": 14,
    "supervision/export.<str:fmt>": 14,
    # renewal figures (the oversight dashboard's grouped aggregates) + the centres' transmissions
    "supervision/insertion.<str:fmt>": 23,
    "supervision/insertion/": 23,
    "supervision/jurys/<uuid:jury_id>/transmission.zip": 17,
    "supervision/proces-verbaux/<uuid:document_id>.pdf": 14,
    "supervision/emission/": 8,
    "supervision/pv-recus/": 15,  # the page's count, transmissions, decisions counted, one progress aggregate
    "supervision/pv-recus/<uuid:transmission_id>/": 21,
    "GET me": 2,
    "GET referentiels/": 3,
    "GET referentiels/habilitations/": 3,
    "GET referentiels/imports/{import_id}": 2,
    "GET referentiels/{public_id}/": 14,  # + the tree with ids: blocs, their modalités, capacités, critères, modalités
    "GET referentiels/{public_id}/export": 9,
    "GET referentiels/{public_id}/composition-jury": 2,  # the version; the applied rules are computed
    "GET referentiels/{public_id}/enregistrement": 3,
    "GET verifier/{code}": 1,
    "GET ~/audit-events/": 6,
    "GET ~/avis/": 8,
    "GET ~/avis/{avis_id}/": 6,
    "GET ~/candidates/": 7,
    "GET ~/candidates/{candidate_id}/": 5,
    "GET ~/candidates/{candidate_id}/rgpd-export/": 25,  # +2: the espace_candidat RGPD section
    "GET ~/documents/": 6,
    "GET ~/documents/{public_id}/": 6,
    "GET ~/documents/{public_id}/credential": 6,
    "GET ~/documents/{public_id}/download": 5,
    "GET ~/dossiers/": 6,
    "GET ~/dossiers/{dossier_id}/": 9,
    "GET ~/dossiers/{dossier_id}/commission/": 13,  # + entretiens recorded
    "GET ~/dossiers/{dossier_id}/parcours/": 7,
    "GET ~/dossiers/{dossier_id}/pieces/": 7,
    "GET ~/dossiers/{dossier_id}/resultats/": 7,
    "GET ~/dossiers/{dossier_id}/transitions/": 7,
    "GET ~/entreprises/": 6,
    "GET ~/entreprises/{entreprise_id}/": 5,
    "GET ~/epreuves/{epreuve_id}/": 8,  # +1: the référentiel's code → id map of its capacités (stored as codes), once per answer
    "GET ~/epreuves/{epreuve_id}/emargement/": 10,
    "GET ~/epreuves/{epreuve_id}/inscriptions/": 9,
    "GET ~/imports/": 6,
    "GET ~/imports/{job_id}/": 5,
    "GET ~/invitations/": 6,
    "GET ~/juries/": 6,
    "GET ~/juries/{jury_id}/": 10,
    "GET ~/juries/{jury_id}/decisions/": 8,  # +1: the référentiel's code → id map of its blocs (stored as codes), once per answer
    "GET ~/juries/{jury_id}/decisions/{decision_id}/": 7,  # +1: the référentiel's code → id map of its blocs (stored as codes), once per answer
    "GET ~/juries/{jury_id}/members/": 7,
    "GET ~/juries/{jury_id}/proces-verbaux/": 6,
    "GET ~/juries/{jury_id}/rectifications/": 6,
    "GET ~/juries/{jury_id}/transmission/": 6,
    "GET ~/juries/signataires/": 6,
    "GET ~/pieces/{piece_id}/": 6,
    "GET ~/resultats/{resultat_id}/history/": 8,
    "GET ~/sessions/": 6,
    "GET ~/sessions/{session_id}/": 5,
    "GET ~/sessions/{session_id}/epreuves/": 11,  # +1: the référentiel's code → id map of its capacités (stored as codes), once per answer
    "GET ~/sessions/{session_id}/readiness/": 13,
    "GET ~/supervision/accrochage/flux/": 5,
    "GET ~/supervision/approbations/": 15,
    "GET ~/supervision/accrochage/passages/": 5,
    "GET ~/supervision/attestations-numeriques/": 12,
    "GET ~/supervision/figures/": 15,
    "GET ~/supervision/emission/regles/": 6,
    "GET ~/supervision/pv-recus/": 14,  # + the page's count
    "GET ~/supervision/pv-recus/{transmission_id}/": 20,
    "GET ~/supervision/jurys/{jury_id}/transmission/": 15,
    "GET ~/supervision/renouvellement/": 14,
    "GET ~/supervision/resultats/": 13,
    "GET ~/supervision/resultats/export/{fmt}/": 13,
    "GET ~/tuteurs/": 6,
    "GET ~/tuteurs/{tuteur_id}/": 5,
    "GET ~/webhook-deliveries/": 6,
    "GET ~/webhooks/": 6,
    "GET ~/webhooks/{webhook_id}/": 5,
}


def _first_reader(route: str, capability: str) -> str | None:
    for role in ROLES:
        expected = STATE.get((route, role)) or _expected(capability, role, role != "certificateur")
        if expected == "allowed":
            return role
    return None


def _url(world, route: str, role: str, *, api: bool) -> str:
    slug = world.certificateur.slug if role == "certificateur" else world.a.org.slug
    ids = _params(world, world.a, role, slug=slug)
    if api:
        return "/api/v1/" + _fill(route.removeprefix("GET ").replace("~/", "o/{org_slug}/"), ids, world)
    return "/o/" + _fill("<org_slug>/" + route, ids, world)


def _count(client, url: str) -> tuple[int, int]:
    with transaction.atomic():
        client.get(url)  # warm-up: the session's first request, per-process caches
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(url).status_code
        transaction.set_rollback(True)
    return status, len(ctx.captured_queries)


READS = sorted(PAGES) + sorted(op for op in API if op.startswith("GET "))


@pytest.mark.parametrize("route", READS)
def test_query_count_is_pinned(route, world, db):
    api = route.startswith("GET ")
    capability = API[route] if api else PAGES[route]
    role = _first_reader(route, capability)
    if role is None:
        pytest.skip("no role reads this route")
    client = world.apis[role] if api else world.pages[role]
    status, count = _count(client, _url(world, route, role, api=api))
    if status != 200:
        assert route not in PINNED, f"{route} answers {status} now: remove its pin"
        pytest.skip(f"GET answers {status} (a POST-only route, a download or a redirect)")
    if os.environ.get("PRINT_QUERY_COUNTS"):
        print(f"\nPIN {route!r}: {count},")
    assert route in PINNED, f"new readable route {route!r}: pin its query count ({count})"
    assert count == PINNED[route], f"{route} as {role}: {count} queries, pinned {PINNED[route]}"
