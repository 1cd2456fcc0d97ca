"""Re-issue corrects civil status only (issue 13, point 5): identity fields with a reason and a
supporting pièce, requested by the centre, approved by another person of the issuing body; every
other field derived again from the référentiel and the signed decision; the verification page
says « réédité le … (correction d'état civil) »; no page or API accepts document content."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from core.errors import ApplicationError
from documents import services
from documents.models import DocumentKind, IssuedDocument, ReissueRequest, VerificationRecord
from documents.services import document_render
from juries import services as jury_services
from juries.documents import jury_documents_issue
from organisations.models import AuditEvent
from organisations.roles import Role
from tests.conftest import make_member
from tests.evaluations.conftest import in_a, referentiels  # noqa: F401 - fixtures
from tests.juries.conftest import totp_code
from tests.juries.test_regle_decisions import cqpm_jury

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _piece():
    return SimpleUploadedFile("jugement.pdf", PDF, "application/pdf")


@pytest.fixture
def parchemin(in_a, alice, referentiels):  # noqa: F811
    # A candidate who acquired every capacité of the CQPM: certified, a parchemin.
    jury, panel, decision = cqpm_jury(in_a, alice, referentiels["cqpm"], fail=False)
    president = panel["pres-cqpm@test.local"][0]
    jury_services.decision_record(decision=decision, by=president, accept=True)
    pv = jury_services.jury_close(jury=jury, by=president)
    cache.clear()
    for email in ("sal-cqpm@test.local", "pres-cqpm@test.local"):
        membership, secret = panel[email]
        jury_services.proces_verbal_sign(
            proces_verbal=pv, by=membership, code=totp_code(secret), ip="203.0.113.7"
        )
    jury.refresh_from_db()
    jury_documents_issue(jury=jury)
    document = IssuedDocument.objects.get(kind=DocumentKind.PARCHEMIN)
    return document_render(document)


def test_a_reissue_with_any_non_civil_status_field_is_refused(parchemin, in_a):  # noqa: F811
    admin = make_member(in_a, Role.ADMIN, "admin1@test.local")
    for forged in (
        {"intitule": "Master"},
        {"code_certification": "RNCP1"},
        {"certificateur": "X"},
        {"lieu": "Paris"},
    ):
        with pytest.raises(ApplicationError, match="uniquement l'état civil"):
            services.reissue_request_create(
                document=parchemin,
                by=admin,
                reason="Correction",
                identity={"prenom1": "Léa", **forged},
                piece=_piece(),
            )
        with pytest.raises(ApplicationError, match="uniquement l'état civil"):
            services.document_reissue(
                document=parchemin, by=admin, reason="Correction", context_changes=forged
            )
    with pytest.raises(ApplicationError, match="pièce justificative"):
        services.reissue_request_create(
            document=parchemin, by=admin, reason="Correction", identity={"prenom1": "Léa"}, piece=None
        )
    assert not ReissueRequest.objects.exists()
    assert IssuedDocument.objects.get(pk=parchemin.pk).version == 1


def test_centre_requests_another_person_approves_document_derived_again(parchemin, in_a, client):  # noqa: F811
    requester = make_member(in_a, Role.ADMIN, "admin1@test.local")
    approver = make_member(in_a, Role.ADMIN, "admin2@test.local")
    request = services.reissue_request_create(
        document=parchemin,
        by=requester,
        reason="Erreur de prénom (acte de naissance)",
        identity={"prenom1": "Léane", "nom_naissance": "Martin"},
        piece=_piece(),
    )
    # The requester cannot approve: service and database.
    with pytest.raises(ApplicationError, match="ne peut pas l'approuver"):
        services.reissue_request_decide(request=request, by=requester, approve=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReissueRequest.objects.filter(pk=request.pk).update(
            status="approved", decided_by=requester.user, decided_at=request.requested_at
        )
    before = dict(parchemin.context)
    services.reissue_request_decide(request=request, by=approver, approve=True)
    doc = IssuedDocument.objects.get(pk=parchemin.pk)
    assert doc.version == 2 and doc.number == parchemin.number
    assert doc.holder_name == "Léane MARTIN"
    # Everything but the civil status is derived again, identical.
    for key in (
        "intitule",
        "certificateur",
        "nature",
        "lieu",
        "signataires",
        "code_certification",
        "enregistrement",
    ):
        assert doc.context.get(key) == before.get(key), key
    record = VerificationRecord.objects.get(code=doc.verification_code)
    assert record.status == "reissued" and record.holder_name == "Léane MARTIN"
    page = client.get(f"/verifier/{doc.verification_code}").content.decode()
    assert "réédité le" in page and "(correction d'état civil)" in page
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"document.reissue_request", "document.reissue_approve", "document.reissue"} <= actions


def test_api_accepts_no_document_content(parchemin, in_a, api_for):  # noqa: F811
    admin = make_member(in_a, Role.ADMIN, "admin1@test.local")
    from tests.documents.conftest import with_totp

    api = api_for(with_totp(admin))
    url = f"/api/v1/o/{in_a.slug}/documents/{parchemin.public_id}/reissue"
    old = api.post(
        url, {"reason": "Correction", "context_changes": {"holder_name": "Faussaire"}}, format="json"
    )
    assert old.status_code in (400, 415)
    forged = api.post(
        url,
        {
            "reason": "Correction",
            "piece": _piece(),
            "civilite": "MME",
            "sexe": "F",
            "nom_naissance": "Martin",
            "prenom1": "Léa",
            "naissance_annee": 1998,
            "intitule": "Master en finance",
        },
        format="multipart",
    )
    assert forged.status_code == 400 and "intitule" in str(forged.json())
    assert not ReissueRequest.objects.exists()
    ok = api.post(
        url,
        {
            "reason": "Correction",
            "piece": _piece(),
            "civilite": "MME",
            "sexe": "F",
            "nom_naissance": "Martin",
            "prenom1": "Léa",
            "naissance_annee": 1998,
        },
        format="multipart",
    )
    assert ok.status_code == 201, ok.content
    refused = api.post(
        f"/api/v1/o/{in_a.slug}/documents/reissue-requests/{ok.json()['id']}/approve", {}, format="json"
    )
    assert refused.status_code == 400 and "ne peut pas l" in refused.json()["error"]["message"]
