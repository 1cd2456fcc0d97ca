"""Registration mentions only when true (issue 13, point 2).

formats/README.md, « Parchemin … Required mentions »: « the mention of registration in the RNCP
(or RS) with the reference "décision du directeur général de France compétences en date du
JJ/MM/AAAA", usually followed by "… pour une durée de X ans" », « the niveau de qualification in
the national nomenclature … plus the matching EQF / CEC level », « the NSF code(s) », « the
date and place of delivery ». A CQPM or a CQPI without a registration prints no registration
sentence at all, and nothing on a document is an internal code or slug.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from core.errors import ApplicationError
from documents.models import DocumentKind, VerificationRecord
from documents.services import document_pdf, document_request
from juries import services as jury_services
from juries.documents import _diplome_context, holder_name
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.demo import DEMO_REGISTRATIONS, load_seed
from referentiels.models import Enregistrement
from referentiels.seeds import SEEDS
from referentiels.services import enregistrement_set, habilitation_grant

pytestmark = pytest.mark.django_db

# DOCS_PNG_DIR=/some/dir keeps each parchemin's PDF, to look at (pdftoppm) by eye.
_PNG_DIR = Path(os.environ["DOCS_PNG_DIR"]) if os.environ.get("DOCS_PNG_DIR") else None

CERTIFICATEURS = {
    "uimm": "UIMM — Union des industries et métiers de la métallurgie",
    "cpnef-papier-carton": "CPNEF Intersecteur Papier-Carton",
    "cci-france": "CCI France",
}


@pytest.fixture
def seeded(org_a):
    orgs = {
        slug: Organisation.objects.create(kind="certificateur", slug=slug, name=name, ville="Paris")
        for slug, name in CERTIFICATEURS.items()
    }
    refs = {name: load_seed(name, orgs[slug]) for name, slug in SEEDS.items()}
    for ref in refs.values():
        habilitation_grant(
            certificateur=ref.certificateur, centre=org_a, code=ref.code, date_debut=dt.date(2024, 1, 1)
        )
    rncp = refs["rncp36390.json"]
    enregistrement_set(referentiel=rncp, by=rncp.certificateur, **DEMO_REGISTRATIONS["RNCP36390"])
    return refs


def _parchemin_text(org, alice, ref) -> str:
    from candidates import services as candidates_services
    from tests.evaluations.conftest import IDENTITY

    with tenant_context(org):
        jury = jury_services.jury_create(
            by=alice, referentiel=ref, intitule="Jury", date=dt.date(2026, 6, 12), lieu="Salle Jean Moulin"
        )
        candidate = candidates_services.candidate_create(by=alice, **IDENTITY)
        document = document_request(
            organisation=org,
            kind=DocumentKind.PARCHEMIN,
            certificateur=ref.certificateur,
            idempotency_key=f"test:{ref.code}",
            holder_name=holder_name(candidate),
            title=ref.intitule,
            context=_diplome_context(jury, candidate),
            issued_on=dt.date(2026, 6, 12),
            render=False,
        )
        pdf = document_pdf(document)
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is required"
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    if _PNG_DIR:
        (_PNG_DIR / f"{ref.code}.pdf").write_bytes(pdf)
    return " ".join(out.stdout.decode().split()), document


def test_rncp36390_parchemin_prints_every_mention(seeded, org_a, alice):
    text, document = _parchemin_text(org_a, alice, seeded["rncp36390.json"])
    assert (
        "Certification enregistrée au Répertoire national des certifications professionnelles sous le "
        "numéro RNCP36390 par décision du directeur général de France compétences en date du 29/03/2022, "
        "pour une durée de 3 ans." in text
    )
    assert "Niveau 5 de la nomenclature nationale des certifications professionnelles" in text
    assert "niveau 5 du cadre européen des certifications (CEC)" in text
    assert "324 Secrétariat, bureautique" in text
    assert "CCI France" in text  # raison sociale of the certificateur
    assert "Assistant(e) de gestion et d'administration d'entreprise - Office Manager junior" in text
    assert "Madame Léa DURAND" in text
    # Place of delivery: the issuing body's city (centre A, Lyon), never the jury room.
    assert "Délivré à Lyon" in text
    assert "Salle Jean Moulin" not in text
    assert VerificationRecord.objects.get(code=document.verification_code).code_certification == "RNCP36390"


@pytest.mark.parametrize(
    "seed",
    [
        "cqpm-attache-gestion.json",
        "cqpm-management-equipes.json",
        "cqpm-responsable-affaires.json",
        "cqpi-assistant.json",
    ],
)
def test_unregistered_seed_prints_no_registration_sentence(seeded, org_a, alice, seed):
    ref = seeded[seed]
    text, document = _parchemin_text(org_a, alice, ref)
    assert "enregistrée" not in text
    assert "Répertoire" not in text
    assert "France compétences" not in text
    assert "NSF" not in text
    assert "nomenclature nationale" not in text
    assert ref.code not in text  # the platform's slug (« CQPM-attache-gestion ») is never printed
    assert ref.intitule.split()[0] in text
    assert "Délivré à Lyon" in text
    assert VerificationRecord.objects.get(code=document.verification_code).code_certification == ""


def test_registration_is_refused_with_a_french_message_and_nothing_written(seeded):
    cqpm = seeded["cqpm-attache-gestion.json"]
    cases = [
        (
            {"numero": "CQPM-attache-gestion", "date_decision": dt.date(2022, 1, 1)},
            "Numéro d'enregistrement invalide",
        ),
        ({"numero": "RNCP12345"}, "date de la décision"),
        ({"numero": "RNCP12345", "type_enregistrement": "de_droit"}, "référence de publication"),
        ({"numero": "RNCP12345", "date_decision": dt.date(2022, 1, 1), "niveau": 9}, "de 1 à 8"),
        ({"numero": "RS5000", "date_decision": dt.date(2022, 1, 1), "niveau": 5}, "n'a pas de niveau"),
        (
            {"numero": "RNCP12345", "date_decision": dt.date(2022, 1, 1), "codes_nsf": ["32"]},
            "Code NSF invalide",
        ),
        ({"numero": "RNCP12345", "date_decision": dt.date(2099, 1, 1)}, "futur"),
    ]
    for fields, message in cases:
        with pytest.raises(ApplicationError, match=message):
            enregistrement_set(referentiel=cqpm, by=cqpm.certificateur, **fields)
    assert not Enregistrement.objects.filter(code=cqpm.code).exists()
    # Another certificateur cannot register (or rewrite) someone else's certification.
    rncp = seeded["rncp36390.json"]
    with pytest.raises(ApplicationError, match="autre certificateur"):
        enregistrement_set(
            referentiel=rncp, by=cqpm.certificateur, numero="RNCP1", date_decision=dt.date(2022, 1, 1)
        )


def test_database_refuses_a_registration_without_its_legal_reference(seeded):
    from django.db import IntegrityError, transaction

    cqpm = seeded["cqpm-attache-gestion.json"]
    for bad in (
        {"repertoire": "RNCP", "numero": "CQPM-attache-gestion", "date_decision": dt.date(2022, 1, 1)},
        {"repertoire": "RNCP", "numero": "RNCP123", "date_decision": None},
        {"repertoire": "RS", "numero": "RS123", "date_decision": dt.date(2022, 1, 1), "niveau": 4},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Enregistrement.objects.create(
                code=cqpm.code, certificateur=cqpm.certificateur, source="saisie", **bad
            )


def test_a_registered_cqpm_prints_its_registration(seeded, org_a, alice):
    """A CQPM registered at the RNCP by its certificateur prints it (data, not kind, decides)."""
    cqpm = seeded["cqpm-management-equipes.json"]
    enregistrement_set(
        referentiel=cqpm,
        by=cqpm.certificateur,
        numero="RNCP12345",
        type_enregistrement="de_droit",
        reference_jo="Arrêté du 4 mars 2021 publié au Journal officiel du 12 mars 2021",
    )
    text, _ = _parchemin_text(org_a, alice, cqpm)
    assert (
        "Certification enregistrée de droit au Répertoire national des certifications professionnelles sous le "
        "numéro RNCP12345 (Arrêté du 4 mars 2021 publié au Journal officiel du 12 mars 2021)." in text
    )


def test_rncp_import_fills_the_registration(certificateur_org):
    """formats/README.md: NOMENCLATURE_EUROPE{NIVEAU}, CODES_NSF/NSF{CODE,LIBELLE}, DATE_DECISION,
    DUREE_ENREGISTREMENT (fiche RNCP36612 of the sample: décision 01/07/2022, 5 ans)."""
    from referentiels.rncp_import import rncp_import

    cci = Organisation.objects.create(kind="certificateur", slug="cci-fr", name="CCI France", ville="Paris")
    sample = Path(__file__).resolve().parents[1] / "data" / "rncp-fiches-sample.xml"
    rncp_import(source=str(sample), filename="fiches.xml", certificateur=cci, numeros={"RNCP36612"})
    e = Enregistrement.objects.get(code="RNCP36612")
    assert (e.numero, e.repertoire, e.type_enregistrement) == ("RNCP36612", "RNCP", "sur_demande")
    assert e.date_decision == dt.date(2022, 7, 1)
    assert e.duree_ans == 5
    assert e.niveau is not None and 3 <= e.niveau <= 8
    assert e.codes_nsf and all(c["code"] for c in e.codes_nsf)
    assert e.source == "import"


def test_issued_documents_have_no_internal_code(seeded, org_a, alice):
    text, _ = _parchemin_text(org_a, alice, seeded["cqpi-assistant.json"])
    assert "CQPI-assistant" not in text


def test_certificateur_edits_the_registration_on_its_page_and_the_parchemin_follows(
    seeded, org_a, alice, client_for
):
    from organisations.roles import Role
    from tests.conftest import make_member

    cqpi = seeded["cqpi-assistant.json"]
    staff = make_member(cqpi.certificateur, Role.CERTIFICATEUR, "staff@cpnef.test")
    client = client_for(staff)
    url = f"/o/{cqpi.certificateur.slug}/referentiels/{cqpi.public_id}/enregistrement/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"numero": "CQPI-assistant", "type_enregistrement": "sur_demande"})
    assert bad.status_code == 400
    assert "Numéro d&#x27;enregistrement invalide" in bad.content.decode()
    assert not Enregistrement.objects.filter(code=cqpi.code).exists()
    ok = client.post(
        url,
        {
            "numero": "RNCP35000",
            "type_enregistrement": "sur_demande",
            "date_decision": "2021-12-16",
            "duree_ans": "5",
            "niveau": "4",
            "codes_nsf": "324 Secrétariat, bureautique",
        },
    )
    assert ok.status_code == 302, ok.content.decode()[:2000]
    text, _ = _parchemin_text(org_a, alice, cqpi)
    assert (
        "sous le numéro RNCP35000 par décision du directeur général de France compétences en date du 16/12/2021, pour une durée de 5 ans."
        in text
    )
    assert "Niveau 4 de la nomenclature nationale" in text
    # Another certificateur's staff cannot reach it; a centre cannot either.
    other = make_member(seeded["rncp36390.json"].certificateur, Role.CERTIFICATEUR, "staff@cci.test")
    assert client_for(other).get(
        f"/o/{other.organisation.slug}/referentiels/{cqpi.public_id}/enregistrement/"
    ).status_code in (403, 404)
    client = client_for(staff)  # the same test client: log the owner back in
    assert client.post(url, {"supprimer": "1"}).status_code == 302
    assert not Enregistrement.objects.filter(code=cqpi.code).exists()
    from organisations.models import AuditEvent
    from organisations.tenancy import tenant_context as ctx

    with ctx(cqpi.certificateur):
        assert AuditEvent.objects.filter(action="referentiel.enregistrement").count() == 2


def test_api_reads_and_writes_the_registration(seeded, api_for):
    from organisations.roles import Role
    from tests.conftest import make_member

    rncp = seeded["rncp36390.json"]
    staff = make_member(rncp.certificateur, Role.CERTIFICATEUR, "api@cci.test")
    api = api_for(staff)
    url = f"/api/v1/referentiels/{rncp.public_id}/enregistrement"
    got = api.get(url)
    assert got.status_code == 200
    assert got.json()["numero"] == "RNCP36390" and got.json()["niveau"] == 5
    refused = api.put(url, {"numero": "RNCP36390", "niveau": 5}, format="json")
    assert refused.status_code == 400
    assert "France compétences" in str(refused.json())
    assert Enregistrement.objects.get(code="RNCP36390").date_decision == dt.date(2022, 3, 29)
    put = api.put(
        url,
        {
            "numero": "RNCP36390",
            "date_decision": "2022-03-30",
            "duree_ans": 3,
            "niveau": 5,
            "codes_nsf": [{"code": "324", "libelle": "Secrétariat, bureautique"}],
        },
        format="json",
    )
    assert put.status_code == 200, put.json()
    assert "30/03/2022" in put.json()["mention"]


def test_public_verification_shows_category_not_reason_and_no_birth_date(seeded, org_a, alice, client):
    """Issue 13, point 8: holder's name, certification (intitulé + registration number), date,
    status valid / revoked (date + fixed public category, never the free-text reason)."""
    from documents.services import document_revoke
    from organisations.roles import Role
    from tests.conftest import make_member

    _text, document = _parchemin_text(org_a, alice, seeded["rncp36390.json"])
    page = client.get(f"/verifier/{document.verification_code}").content.decode()
    assert "RNCP36390" in page and "Léa DURAND" in page and "12/06/2026" in page
    assert "1998" not in page and "née" not in page  # no birth date
    admin = make_member(org_a, Role.ADMIN, "admin-verif@test.local")
    with tenant_context(org_a):
        document_revoke(document=document, by=admin, reason="Fraude constatée lors du contrôle GTP")
    page = client.get(f"/verifier/{document.verification_code}").content.decode()
    assert "Document révoqué" in page and "Retrait décidé par l&#x27;organisme" in page
    assert "Fraude" not in page
    api = client.get(f"/api/v1/verifier/{document.verification_code}").json()
    assert "Fraude" not in str(api) and api["status"] == "revoked"
    _text, cqpm_doc = _parchemin_text(org_a, alice, seeded["cqpm-attache-gestion.json"])
    page = client.get(f"/verifier/{cqpm_doc.verification_code}").content.decode()
    assert "Numéro d&#x27;enregistrement" not in page and "CQPM-attache-gestion" not in page
