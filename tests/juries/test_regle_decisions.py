"""Decisions the règle allows, documents that follow them (issue 13, point 3).

Seed 000 (CQPM): « Pour que le candidat soit déclaré admissible par le jury de délibération
l'ensemble des capacités professionnelles décrites dans le référentiel de certification doit
être acquis. » — no bloc is validable separately: no « validation partielle », no certificat de
bloc, and the attestation lists the capacités acquired, never the implicit « bloc ».
"""

import pytest
from django.db import DatabaseError, transaction

from candidates.models import Dossier
from core.errors import ApplicationError
from documents.models import DocumentKind, IssuedDocument
from juries import services
from juries.documents import jury_documents_issue
from juries.models import Decision, JuryMember
from tests.juries.conftest import (
    JURY_DATE,
    centre_admin,
    grade_capacites,
    jury_user,
    ready_dossier,
    totp_code,
)

CQPM_PANEL = [
    ("pres-cqpm@test.local", "Garnier", "Hélène", JuryMember.Role.PRESIDENT, "employeur"),
    ("sal-cqpm@test.local", "Lambert", "Marc", JuryMember.Role.PROFESSIONNEL, "salarie"),
]


def cqpm_jury(org, alice, cqpm, *, fail: bool):
    """A CQPM jury in deliberation with one candidate (failing one capacité when ``fail``)."""
    panel = {email: jury_user(org, email) for email, *_ in CQPM_PANEL}
    for email, nom, prenom, *_ in CQPM_PANEL:
        user = panel[email][0].user
        user.first_name, user.last_name = prenom, nom
        user.save(update_fields=["first_name", "last_name"])
    jury = services.jury_create(
        by=alice, referentiel=cqpm, intitule="Jury CQPM", date=JURY_DATE, lieu="Salle 2"
    )
    for email, nom, prenom, role, college in CQPM_PANEL:
        services.jury_member_add(
            jury=jury,
            by=centre_admin(org),  # issue 16: only an administrator seats the members
            email=email,
            nom=nom,
            prenom=prenom,
            role=role,
            college=college,
            annees_metier=5,
            annees_inactivite=0,
            metier="Gestion",
            structure="Entreprise",
        )
    first_cap = cqpm.capacites.order_by("bloc__order", "order").first()
    etats = {first_cap.code: "non_acquis"} if fail else {}
    dossier = ready_dossier(
        alice,
        cqpm,
        nom_naissance="Echec" if fail else "Martin",
        grade=lambda d, by: grade_capacites(d, by, etats=etats),
    )
    services.jury_dossiers_add(jury=jury, by=alice, dossiers=[dossier])
    services.jury_open(jury=jury, by=alice)
    return jury, panel, Decision.objects.get(jury=jury)


@pytest.fixture
def cqpm_sitting(in_a, alice, referentiels):
    return cqpm_jury(in_a, alice, referentiels["cqpm"], fail=True)


def test_cqpm_partial_validation_refused_by_the_service(cqpm_sitting):
    jury, panel, decision = cqpm_sitting
    president = panel["pres-cqpm@test.local"][0]
    assert decision.proposition == Dossier.Decision.AJOURNE
    implicit = jury.referentiel.blocs.get().code
    with pytest.raises(
        ApplicationError, match="La validation partielle n'existe pas pour cette certification"
    ):
        services.decision_record(
            decision=decision,
            by=president,
            accept=False,
            decision_value="partiel",
            blocs_valides=[implicit],
            motivation="Le jury veut valider le bloc",
        )
    decision.refresh_from_db()
    assert decision.decision == ""


def test_cqpm_partial_validation_refused_by_the_database(cqpm_sitting):
    jury, _panel, decision = cqpm_sitting
    implicit = jury.referentiel.blocs.get().code
    with pytest.raises(DatabaseError, match="validation partielle"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(decision="partiel", blocs_valides=[implicit])


def test_cqpm_page_offers_no_partial_validation_and_the_api_refuses_it(
    cqpm_sitting, client_for, api_for, alice
):
    jury, panel, decision = cqpm_sitting
    president = panel["pres-cqpm@test.local"][0]
    page = client_for(president).get(f"/o/{jury.organisation.slug}/jurys/{jury.public_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        'value="partiel"' not in html.split("Décider autrement")[1] if "Décider autrement" in html else True
    )
    assert 'name="blocs_valides"' not in html
    api = api_for(president)
    answer = api.post(
        f"/api/v1/o/{jury.organisation.slug}/juries/{jury.public_id}/decisions/{decision.public_id}/",
        {
            "accept": False,
            "decision": "partiel",
            "blocs_valides": [jury.referentiel.blocs.get().code],
            "motivation": "x",
        },
        format="json",
    )
    assert answer.status_code == 400, answer.content
    assert "validation partielle" in answer.content.decode()
    decision.refresh_from_db()
    assert decision.decision == ""


def test_certificat_de_bloc_refused_by_the_database_for_a_cqpm(cqpm_sitting, in_a):
    from documents.services import document_request

    jury, _panel, _decision = cqpm_sitting
    cqpm = jury.referentiel
    with pytest.raises(DatabaseError, match="Certificat de bloc refusé"), transaction.atomic():
        document_request(
            organisation=in_a,
            kind=DocumentKind.CERTIFICAT_BLOC,
            certificateur=cqpm.certificateur,
            idempotency_key="forge:bloc",
            holder_name="Léa DURAND",
            title="Bloc",
            context={
                "certificateur": "UIMM",
                "intitule": cqpm.intitule,
                "code_certification": cqpm.code,
                "bloc_code": cqpm.blocs.get().code,
                "bloc_intitule": "x",
                "lieu": "Lyon",
                "signataires": [["Le président", "X"]],
            },
            render=False,
        )


def test_failed_cqpm_gets_an_attestation_listing_capacites_and_no_bloc(cqpm_sitting, alice):
    from django.core.cache import cache

    jury, panel, decision = cqpm_sitting
    president = panel["pres-cqpm@test.local"][0]
    services.decision_record(decision=decision, by=president, accept=True)
    pv = services.jury_close(jury=jury, by=president)
    cache.clear()
    for email in ("sal-cqpm@test.local", "pres-cqpm@test.local"):
        membership, secret = panel[email]
        services.proces_verbal_sign(proces_verbal=pv, by=membership, code=totp_code(secret), ip="203.0.113.7")
    jury.refresh_from_db()
    jury_documents_issue(jury=jury)
    kinds = sorted(IssuedDocument.objects.values_list("kind", flat=True))
    assert DocumentKind.CERTIFICAT_BLOC not in kinds
    attestation = IssuedDocument.objects.get(kind=DocumentKind.ATTESTATION)
    assert attestation.context["blocs_acquis"] == []
    caps = [c["code"] for c in attestation.context["competences_acquises"]]
    first_cap = jury.referentiel.capacites.order_by("bloc__order", "order").first()
    assert first_cap.code not in caps and len(caps) == jury.referentiel.capacites.count() - 1
    assert "capacités professionnelles ci-dessous sont acquises" in attestation.context["resultat"]
    assert "BLOC" not in str(attestation.context)
