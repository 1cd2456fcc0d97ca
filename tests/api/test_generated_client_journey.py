"""issue 17 « The proof »: a Python client generated from /api/schema/ by openapi-python-client
drives the whole certification of each of the five seed référentiels — référentiel lookup,
candidate, dossier and plan, session, épreuves, convocations, attendance, results, avis,
validation, jury, members, signatures, documents, verification — with no hand-written HTTP.
Any gap in the schema (an undeclared status, a missing field, an omitted download) fails here.
"""

import datetime as dt
import importlib
import io
import uuid

import pytest

from evaluations.models import Epreuve
from organisations.models import Organisation
from organisations.roles import Role
from organisations.services import api_token_create
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.seeds import SEEDS
from referentiels.services import habilitation_grant
from tests.api.generated_client import Driver, generate, in_process_client, same_connection
from tests.builders import epreuve_held
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
    first = api("v1_o_candidates_list", cursor="", page_size=10)  # keyset pages, as integrations walk
    assert first["count"] is None and [c["id"] for c in first["results"]] == [candidate["id"]]
    listed = api("v1_o_dossiers_list", candidate=uuid.UUID(candidate["id"]))["results"]
    assert [d["status"] for d in listed] == ["inscrit"]

    # --- session, one épreuve per bloc, inscription, convocations, attendance, marks
    grille = referentiel.regle.get("type") == "grille_points"
    session = api(
        "v1_o_sessions_create",
        body=api.body(
            "SessionCreateRequest", {"intitule": "Session de juin", "referentiel": ref["id"], "lieu": "Lyon"}
        ),
    )
    day = (dt.date.today() + dt.timedelta(days=15)).isoformat()
    dossier_id = uuid.UUID(dossier["id"])
    if grille:  # the contrôle continu of each bloc (the épreuves' marks come below)
        for bloc in tree["blocs"]:
            api(
                "v1_o_dossiers_resultats_create",
                dossier_id=dossier_id,
                body=api.body("ResultatInputRequest", {"bloc": bloc["code"], "controle_continu": "60"}),
            )
    for bloc in tree["blocs"]:
        cover = {"bloc": bloc["code"]} if grille else {"capacites": [c["code"] for c in bloc["capacites"]]}
        epreuve = api(
            "v1_o_sessions_epreuves_create",
            session_id=uuid.UUID(session["id"]),
            body=api.body(
                "EpreuveCreateRequest",
                {
                    "intitule": f"Épreuve {bloc['code']}",
                    "date": day,
                    "heure_debut": "09:00",
                    "duree_minutes": 120,
                }
                | cover,
            ),
        )
        epreuve_id = uuid.UUID(epreuve["id"])
        [inscription] = api(
            "v1_o_epreuves_inscriptions_create",
            epreuve_id=epreuve_id,
            body=api.body("DossiersInputRequest", {"dossiers": [dossier["id"]]}),
        )
        with django_capture_on_commit_callbacks(execute=True):
            convocations = api(
                "v1_o_epreuves_convocations_create",
                epreuve_id=epreuve_id,
                body=api.body(
                    "ConvocationsInputRequest", {"force": True, "motif_forcage": "Session rapprochée"}
                ),
            )
        assert len(convocations) == 1
        sheet = api("v1_o_epreuves_emargement_retrieve", epreuve_id=epreuve_id)
        assert sheet.payload.read(5) == b"%PDF-"
        # the day comes: attendance and marks are recorded once the épreuve has started
        with tenant_context(org_a):
            epreuve_held(Epreuve.objects.get(public_id=epreuve_id))
        api(
            "v1_o_inscriptions_presence_create",
            inscription_id=uuid.UUID(inscription["id"]),
            body=api.body("PresenceInputRequest", {"presence": "present"}),
        )
        targets = [(bloc["code"], "80")] if grille else [(c["code"], "acquis") for c in bloc["capacites"]]
        for cible, valeur in targets:
            api(
                "v1_o_epreuves_marks_create",
                epreuve_id=epreuve_id,
                body=api.body(
                    "MarkInputRequest", {"dossier": dossier["id"], "cible": cible, "valeur": valeur}
                ),
            )

    # --- the other results: contrôle continu, the professional evaluation (écrit, oral, tuteur)
    if grille:
        for composante, points in (("ecrit", "100"), ("oral", "60"), ("tuteur", "40")):
            api(
                "v1_o_dossiers_resultats_create",
                dossier_id=dossier_id,
                body=api.body("ResultatInputRequest", {"composante": composante, "points": points}),
            )
    for resultat in api("v1_o_dossiers_resultats_list", dossier_id=dossier_id, page_size=500)["results"]:
        if not resultat["valide"]:
            api("v1_o_resultats_validate_create", resultat_id=uuid.UUID(resultat["id"]))

    # --- the entretien with the candidate (CQPI, seed 003: « Entretien avec les membres du jury
    # d'évaluation » for every compétence; CQPM: an input of the commission d'évaluation)
    if not grille:
        api(
            "v1_o_dossiers_entretiens_create",
            dossier_id=dossier_id,
            body=api.body(
                "EntretienInputRequest",
                {
                    "date": dt.date.today().isoformat(),
                    "participants": "Claire Martin, évaluatrice\nPaul Durand, professionnel",
                    "conclusions": [
                        {"capacite": c["code"], "conclusion": "acquis"}
                        for b in tree["blocs"]
                        for c in b["capacites"]
                    ],
                },
            ),
        )

    # --- the tuteur's avis: requested at inscription where the référentiel needs it, otherwise
    # asked by the centre; given by the tuteur with their own token
    tuteur_api = _driver(package, make_member(org_a, Role.TUTEUR, "tuteur@entreprise.fr"))
    requested = tuteur_api("v1_o_avis_list")["results"]
    if not requested:
        avis = api(
            "v1_o_avis_create",
            body=api.body(
                "AvisRequestRequest",
                {
                    "dossier": dossier["id"],
                    "date_limite": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
                },
            ),
        )
        requested = tuteur_api("v1_o_avis_list")["results"]
        assert [a["id"] for a in requested] == [avis["id"]]
    [mine] = requested
    avis = mine
    submitted = tuteur_api(
        "v1_o_avis_save",
        avis_id=uuid.UUID(avis["id"]),
        body=tuteur_api.body(
            "AvisSaveRequest",
            {
                "capacites": [
                    {"capacite_id": c["capacite_id"], "avis": "favorable"} for c in mine["capacites"]
                ],
                "commentaire": "Très bonne alternance.",
                "soumettre": True,
            },
        ),
    )
    assert submitted["soumis_le"]

    # --- the pièces the chosen modalités require, then ready for the jury
    from candidates.services import PIECE_REQUIRED_BY_MODALITE

    chosen = {m["id"]: m["type"] for b in tree["blocs"] for m in b["modalites"]} | {
        m["id"]: m["type"] for b in tree["blocs"] for c in b["capacites"] for m in c["modalites"]
    }
    for kind in sorted(
        {
            PIECE_REQUIRED_BY_MODALITE[chosen[i]]
            for i in plan.values()
            if chosen[i] in PIECE_REQUIRED_BY_MODALITE
        }
    ):
        models = importlib.import_module(f"{package.__name__}.models")
        types = importlib.import_module(f"{package.__name__}.types")
        api(
            "v1_o_dossiers_pieces_create",
            dossier_id=dossier_id,
            body=models.PieceUploadRequest(
                kind=models.PieceUploadKindEnum(kind),
                file=types.File(
                    payload=io.BytesIO(MINIMAL_PDF), file_name=f"{kind}.pdf", mime_type="application/pdf"
                ),
            ),
        )
    api(
        "v1_o_dossiers_transitions_create",
        dossier_id=dossier_id,
        body=api.body("TransitionInputRequest", {"to": "pret_pour_jury"}),
    )

    # --- the jury: composition, dossiers, deliberation, PV signatures, publication
    panel = {email: jury_user(org_a, email) for email, *_ in RNCP_PANEL}
    jury = api(
        "v1_o_juries_create",
        body=api.body(
            "JuryCreateRequest",
            {
                "referentiel": ref["id"],
                "intitule": "Jury de juin",
                # it deliberates today: « impossible d'ouvrir la délibération avant cette date »
                "date": dt.date.today().isoformat(),
                "lieu": "Lyon",
            },
        ),
    )
    jury_id = uuid.UUID(jury["id"])
    # the CQPM juries are paritaire: as many of the employeurs' college as of the salariés', the
    # président an employeur (« indiquez son collège (employeurs ou salariés) — jury paritaire »)
    colleges = dict(
        zip([e for e, *_ in RNCP_PANEL], ["employeur", "salarie", "employeur", "salarie"], strict=True)
    )
    # only the centre's administrator seats a jury's members (issue 16: separation of duties),
    # with a token of their own; the gestionnaire's token prepares and runs the jury
    admin_api = _driver(package, make_member(org_a, Role.ADMIN, "admin@test.local"))
    for email, nom, prenom, role, extra in RNCP_PANEL:
        member_body = api.body(
            "MemberRequest",
            {
                "email": email,
                "nom": nom,
                "prenom": prenom,
                "role": role,
                "annees_metier": 5,
                "annees_inactivite": 0,
                "metier": "Office manager",
                "structure": "Entreprise",
                "college": colleges[email],
            }
            | extra,
        )
        # the gestionnaire's token is refused (a status the schema does not declare: the client raises)
        with pytest.raises(importlib.import_module(f"{package.__name__}.errors").UnexpectedStatus) as refused:
            api.raw("v1_o_juries_members_create", jury_id=jury_id, body=member_body)
        assert refused.value.status_code == 403 and b"Votre r" in refused.value.content
        admin_api("v1_o_juries_members_create", jury_id=jury_id, body=member_body)
    api(
        "v1_o_juries_dossiers_create",
        jury_id=jury_id,
        body=api.body("JuryDossiersInputRequest", {"dossiers": [dossier["id"]]}),
    )
    api("v1_o_juries_open_create", jury_id=jury_id)
    pro = _driver(package, panel["pro1@test.local"][0])
    for decision in pro("v1_o_juries_decisions_list", jury_id=jury_id)["results"]:
        pro(
            "v1_o_juries_decisions_create",
            jury_id=jury_id,
            decision_id=uuid.UUID(decision["id"]),
            body=pro.body("DecisionInputRequest", {"accept": True}),
        )
    presidente = _driver(package, panel["presidente@test.local"][0])
    pv = presidente("v1_o_juries_close_create", jury_id=jury_id)
    with django_capture_on_commit_callbacks(execute=True):
        for email, *_ in RNCP_PANEL[1:] + RNCP_PANEL[:1]:
            membership, secret = panel[email]
            signature = _driver(package, membership)(
                "v1_o_juries_proces_verbaux_signatures_create",
                jury_id=jury_id,
                pv_id=uuid.UUID(pv["id"]),
                body=api.body("SignInputRequest", {"code": totp_code(secret)}),
            )
            assert signature["sha256"] == pv["sha256"]
    assert api("v1_o_juries_retrieve", jury_id=jury_id)["status"] == "signe"
    with django_capture_on_commit_callbacks(execute=True):
        api("v1_o_juries_publish_create", jury_id=jury_id)
    [published] = api("v1_o_juries_results_list", jury_id=jury_id)
    assert published["decision"] == "certifie"
    # the blocs named by code carry, beside it, the id the référentiel's tree gave them
    bloc_ids = {b["code"]: b["id"] for b in tree["blocs"]}
    assert published["blocs_valides"]
    assert published["blocs_valides_ids"] == [bloc_ids[code] for code in published["blocs_valides"]]
    assert [b["id"] for b in published["blocs"]] == [bloc_ids[b["code"]] for b in published["blocs"]]

    # --- documents: the parchemin, its PDF, and its public verification
    documents = api("v1_o_juries_documents_retrieve", jury_id=jury_id)["documents"]
    parchemin = next(d for d in documents if d["kind"] == "parchemin")
    pdf = api("v1_o_documents_download_retrieve", public_id=uuid.UUID(parchemin["id"]))
    assert pdf.payload.read(5) == b"%PDF-"
    verification = api("v1_verifier_retrieve", code=parchemin["verification_code"])
    assert verification["status"] == "valid"
