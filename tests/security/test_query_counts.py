"""Pinned query counts of every page and every API read (issue 8): a change that adds a query to a
page, or a per-row query (N+1) on a list, fails CI even though ``make test`` asserts no timings.

Every GET page route and GET API operation of the access table is requested on the security world
(``tests/security/world.py``: two centres with real objects behind every route, several rows in
the lists) by the first role allowed to read it, after a warm-up request, and its query count must
equal the pinned number below. Each app's ``test_query_counts`` proves, in addition, that its lists'
counts do not grow with the number of rows. A new route answering 200 needs a pin here.

The counts include the tenancy set-up inside the test transaction (``set_config`` then its reset
on exit: a request in production, outside any transaction, makes one query fewer). Raise a pin
only with a reason (a new feature's constant queries); lower it when a change saves queries.
"""

import os

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.security.access_table import API, PAGES, STATE
from tests.security.test_access_matrix import ROLES, _expected, _fill, _params

# route (page route or API operation) -> queries of one GET, measured on the security world.
PINNED: dict[str, int] = {
    "": 13,
    "candidats/": 12,
    "candidats/<uuid:candidate_id>/": 9,
    "candidats/<uuid:candidate_id>/dossiers/nouveau/": 11,
    "candidats/<uuid:candidate_id>/modifier/": 9,
    # +2: the espace_candidat RGPD section (identity requests, wallet offers), constant
    "candidats/<uuid:candidate_id>/rgpd/export/": 28,
    "candidats/dossiers/<uuid:dossier_id>/": 18,
    "candidats/dossiers/<uuid:dossier_id>/modifier/": 11,
    "candidats/export.<str:fmt>": 9,
    "candidats/import/": 8,
    "candidats/import/<uuid:job_id>/": 8,
    "candidats/import/modele.csv": 7,
    "candidats/nouveau/": 7,
    "candidats/pieces/<uuid:piece_id>/": 9,
    "documents/": 11,  # + the batches' human labels (one query per kind of batch: juries, épreuves)
    "documents/<uuid:public_id>/": 10,
    "documents/<uuid:public_id>/attestation-numerique/": 9,
    "documents/<uuid:public_id>/telecharger/": 8,
    # the candidate's space (own dossier: results, convocations, documents, deadlines, requests)
    "espace/dossiers/<uuid:dossier_id>/": 18,  # +1: has a jury signed for the candidate (identity)
    "espace/dossiers/<uuid:dossier_id>/rattrapage/": 8,
    "espace/dossiers/<uuid:dossier_id>/suivi/": 9,
    "espace/enquetes/<uuid:enquete_id>/": 8,
    "espace/identite/": 10,  # +1: has a jury signed for the candidate (read-only after it)
    "espace/mes-donnees.zip": 28,  # +2: the espace_candidat RGPD section, constant
    "espace-centre/demandes/": 9,
    "espace-centre/demandes/rattrapage/<uuid:rattrapage_id>/justificatif/": 8,
    "espace-centre/jurys/<uuid:jury_id>/notifications/": 9,
    "espace-centre/suivi/": 10,
    "evaluations/avis/": 8,
    "evaluations/avis/<uuid:avis_id>/": 12,  # + the tuteur note (seed 004)
    "evaluations/avis/demandes/": 9,
    "evaluations/dossiers/<uuid:dossier_id>/resultats/": 34,  # + contrôle continu per bloc (2), fraud PV (1), tuteur note (2), absences and the parts one can miss (2)
    "evaluations/epreuves/<uuid:epreuve_id>/": 13,
    "evaluations/epreuves/<uuid:epreuve_id>/emargement.pdf": 13,
    # 13 since the grid is paged (50 rows): the light list of every inscription (order, status:
    # the « à saisir » filter and counts), then the page's inscriptions with dossiers and candidates
    "evaluations/epreuves/<uuid:epreuve_id>/grille/": 14,  # +1: the registration number (never the code)
    "evaluations/epreuves/<uuid:epreuve_id>/grille/details/": 8,
    "evaluations/dossiers/<uuid:dossier_id>/commission/": 16,  # + entretiens recorded
    "evaluations/mes-evaluations/": 8,
    "evaluations/sessions/": 9,
    "evaluations/sessions/<uuid:session_id>/": 15,
    "evaluations/sessions/<uuid:session_id>/preparation-jury/": 16,
    "evaluations/sessions/<uuid:session_id>/controle-continu/": 8,
    "jetons/": 8,
    "webhooks/": 9,
    "journal/": 8,
    "jurys/": 10,
    "jurys/<uuid:jury_id>/": 21,
    "jurys/<uuid:jury_id>/documents/<uuid:document_id>/": 9,
    "jurys/<uuid:jury_id>/documents/archive.zip": 9,
    "jurys/<uuid:jury_id>/documents/progression/": 9,
    "jurys/<uuid:jury_id>/resultats/": 10,
    "jurys/nouveau/": 8,
    "jurys/signataires/": 9,
    "membres/": 9,
    "referentiels/": 10,
    "referentiels/<uuid:public_id>/": 16,
    "referentiels/<uuid:public_id>/enregistrement/": 9,
    "referentiels/<uuid:public_id>/capacites/<path:code>/": 11,
    "referentiels/<uuid:public_id>/export/": 15,
    "referentiels/habilitations/": 8,
    "referentiels/importer/": 7,
    "referentiels/importer/<uuid:import_id>/": 8,
    "supervision/": 45,
    "supervision/accrochage/": 19,
    "supervision/attestations-numeriques/": 17,
    "supervision/dossiers/<uuid:dossier_id>/": 16,
    "supervision/export.<str:fmt>": 16,
    # renewal figures (the oversight dashboard's grouped aggregates) + the centres' transmissions
    "supervision/insertion.<str:fmt>": 25,
    "supervision/insertion/": 25,
    "supervision/jurys/<uuid:jury_id>/transmission.zip": 19,
    "supervision/proces-verbaux/<uuid:document_id>.pdf": 16,
    "supervision/emission/": 10,
    # both request tables read twice (pending, last decided) with document, centre, people joined
    "supervision/approbations/": 18,
    "supervision/approbations/reeditions/<uuid:request_id>/piece/": 15,
    "supervision/pv-recus/": 17,  # the page's count, transmissions, decisions counted, one progress aggregate
    "supervision/pv-recus/<uuid:transmission_id>/": 23,
    "GET me": 2,
    "GET referentiels/": 3,
    "GET referentiels/habilitations/": 3,
    "GET referentiels/imports/{import_id}": 2,
    "GET referentiels/{public_id}/": 14,  # + the tree with ids: blocs, their modalités, capacités, critères, modalités
    "GET referentiels/{public_id}/export": 9,
    "GET referentiels/{public_id}/enregistrement": 3,
    "GET verifier/{code}": 1,
    "GET ~/audit-events/": 7,
    "GET ~/avis/": 9,
    "GET ~/avis/{avis_id}/": 7,
    "GET ~/candidates/": 8,
    "GET ~/candidates/{candidate_id}/": 6,
    "GET ~/candidates/{candidate_id}/rgpd-export/": 26,  # +2: the espace_candidat RGPD section
    "GET ~/documents/": 7,
    "GET ~/documents/{public_id}/": 7,
    "GET ~/documents/{public_id}/credential": 7,
    "GET ~/documents/{public_id}/download": 6,
    "GET ~/dossiers/": 7,
    "GET ~/dossiers/{dossier_id}/": 10,
    "GET ~/dossiers/{dossier_id}/commission/": 14,  # + entretiens recorded
    "GET ~/dossiers/{dossier_id}/pieces/": 8,
    "GET ~/dossiers/{dossier_id}/resultats/": 8,
    "GET ~/dossiers/{dossier_id}/transitions/": 8,
    "GET ~/entreprises/": 7,
    "GET ~/entreprises/{entreprise_id}/": 6,
    "GET ~/epreuves/{epreuve_id}/": 9,  # +1: the référentiel's code → id map of its capacités (stored as codes), once per answer
    "GET ~/epreuves/{epreuve_id}/emargement/": 11,
    "GET ~/epreuves/{epreuve_id}/inscriptions/": 10,
    "GET ~/imports/": 7,
    "GET ~/imports/{job_id}/": 6,
    "GET ~/invitations/": 7,
    "GET ~/juries/": 7,
    "GET ~/juries/{jury_id}/": 11,
    "GET ~/juries/{jury_id}/decisions/": 9,  # +1: the référentiel's code → id map of its blocs (stored as codes), once per answer
    "GET ~/juries/{jury_id}/decisions/{decision_id}/": 8,  # +1: the référentiel's code → id map of its blocs (stored as codes), once per answer
    "GET ~/juries/{jury_id}/members/": 8,
    "GET ~/juries/{jury_id}/proces-verbaux/": 7,
    "GET ~/juries/{jury_id}/rectifications/": 7,
    "GET ~/juries/{jury_id}/transmission/": 7,
    "GET ~/juries/signataires/": 7,
    "GET ~/pieces/{piece_id}/": 7,
    "GET ~/resultats/{resultat_id}/history/": 9,
    "GET ~/sessions/": 7,
    "GET ~/sessions/{session_id}/": 6,
    "GET ~/sessions/{session_id}/epreuves/": 12,  # +1: the référentiel's code → id map of its capacités (stored as codes), once per answer
    "GET ~/sessions/{session_id}/readiness/": 14,
    "GET ~/supervision/accrochage/flux/": 6,
    "GET ~/supervision/accrochage/passages/": 6,
    "GET ~/supervision/attestations-numeriques/": 13,
    "GET ~/supervision/figures/": 16,
    "GET ~/supervision/emission/regles/": 7,
    "GET ~/supervision/approbations/": 16,
    "GET ~/supervision/pv-recus/": 15,  # + the page's count
    "GET ~/supervision/pv-recus/{transmission_id}/": 21,
    "GET ~/supervision/jurys/{jury_id}/transmission/": 18,
    "GET ~/supervision/renouvellement/": 15,
    "GET ~/supervision/resultats/": 14,
    "GET ~/supervision/resultats/export/{fmt}/": 14,
    "GET ~/tuteurs/": 7,
    "GET ~/tuteurs/{tuteur_id}/": 6,
    "GET ~/webhook-deliveries/": 7,
    "GET ~/webhooks/": 7,
    "GET ~/webhooks/{webhook_id}/": 6,
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
