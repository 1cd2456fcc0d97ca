"""issue 17 « The proof »: a Python client generated from /api/schema/ by openapi-python-client
drives the whole certification of each of the five seed référentiels — référentiel lookup,
candidate, dossier and plan, session, épreuves, convocations, attendance, results, avis,
validation, jury, members, signatures, documents, verification — with no hand-written HTTP.
Any gap in the schema (an undeclared status, a missing field, an omitted download) fails here.
"""

import datetime as dt
import uuid

import pytest

from organisations.models import Organisation
from organisations.roles import Role
from organisations.services import api_token_create
from referentiels.demo import load_seed
from referentiels.seeds import SEEDS
from referentiels.services import habilitation_grant
from tests.api.generated_client import Driver, generate, in_process_client, same_connection
from tests.conftest import make_member
from tests.juries.conftest import MINIMAL_PDF, RNCP_PANEL, jury_user, totp_code

CERTIFICATEURS = {
    "uimm": "UIMM",
    "cci-france": "CCI France",
    "cpnef-papier-carton": "CPNEF Papier-Carton",
}


@pytest.fixture(scope="module")
def package(tmp_path_factory, django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    package, _output = generate(schema, tmp_path_factory.mktemp("journey"))
    return package


@pytest.fixture(autouse=True)
def _in_process():
    with same_connection():
        yield


def _driver(package, membership) -> Driver:
    _token, key = api_token_create(membership=membership, name="client généré")
    return Driver(package, in_process_client(package, key), membership.organisation.slug)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_generated_client_drives_the_whole_certification(
    seed, package, org_a, django_capture_on_commit_callbacks
):
    certificateur = Organisation.objects.create(
        kind="certificateur", slug=SEEDS[seed], name=CERTIFICATEURS[SEEDS[seed]]
    )
    referentiel = load_seed(seed, certificateur)
    habilitation_grant(
        certificateur=certificateur, centre=org_a, code=referentiel.code, date_debut=dt.date(2024, 1, 1)
    )
    gestionnaire = make_member(org_a, Role.GESTIONNAIRE, "gestion@test.local")
    api = _driver(package, gestionnaire)

    # --- référentiel lookup: by its code, then its tree with the ids the plan needs
    found = api("v1_referentiels_list", search=referentiel.code)["results"]
    ref = next(r for r in found if r["code"] == referentiel.code and r["status"] == "published")
    tree = api("v1_referentiels_retrieve", public_id=uuid.UUID(ref["id"]))
    assert tree["blocs"], "le référentiel se lit avec ses blocs"

    # --- candidate, entreprise, tuteur, dossier and plan
    candidate = api(
        "v1_o_candidates_create",
        body=api.body(
            "CandidateInputRequest",
            {
                "civilite": "MME",
                "sexe": "F",
                "nom_naissance": "Durand",
                "prenom1": "Léa",
                "date_naissance": "1998-03-14",
                "naissance_commune": "Ajaccio",
                "naissance_code_insee": "2A004",
                "naissance_pays_code": "FRA",
                "naissance_pays": "France",
                "email": "lea.durand@example.org",
            },
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert candidate["date_naissance"] == "1998-03-14"
    entreprise = api(
        "v1_o_entreprises_create",
        body=api.body("EntrepriseRequest", {"raison_sociale": "Atelier Durand", "siret": "73282932000074"}),
    )
    tuteur = api(
        "v1_o_tuteurs_create",
        body=api.body(
            "TuteurInputRequest",
            {
                "entreprise": entreprise["id"],
                "nom": "Moreau",
                "prenom": "Paul",
                "email": "tuteur@entreprise.fr",
            },
        ),
    )
    dossier = api(
        "v1_o_dossiers_create",
        body=api.body(
            "DossierCreateRequest",
            {
                "candidate": candidate["id"],
                "referentiel": referentiel.code,
                "voie_acces": "FORMATION_INITIALE_APPRENTISSAGE",
                "entreprise": entreprise["id"],
                "tuteur": tuteur["id"],
                "date_inscription": "2025-09-01",
            },
        ),
    )
    # a capacité is evaluated by one of its own modalités, or else one of its bloc's
    plan = {
        c["code"]: (c["modalites"] or b["modalites"])[0]["id"]
        for b in tree["blocs"]
        for c in b["capacites"]
        if c["modalites"] or b["modalites"]
    }
    dossier = api(
        "v1_o_dossiers_plan_update",
        dossier_id=uuid.UUID(dossier["id"]),
        body=api.body("DossierPlanRequest", {"blocs": [b["code"] for b in tree["blocs"]], "modalites": plan}),
    )
    api(
        "v1_o_dossiers_transitions_create",
        dossier_id=uuid.UUID(dossier["id"]),
        body=api.body("TransitionInputRequest", {"to": "inscrit", "reason": "Inscription"}),
    )
    listed = api("v1_o_dossiers_list", candidate=uuid.UUID(candidate["id"]))["results"]
    assert [d["status"] for d in listed] == ["inscrit"]
