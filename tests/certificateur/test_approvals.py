"""Re-issue and revocation of the documents a certificateur issues (issue 13, point 5): « It is
requested by the centre and approved by the issuing body (two people; the requester cannot
approve) ».

Seed 004 (RNCP36390): « Les résultats d'examen sont validés par le jury de certification qui rédige
le Procès-Verbal d'examen et le transmet à CCI France […] pour émissions des parchemins du titre ou
du/des bloc(s) validé(s). » — CCI France issues the parchemin, so CCI France approves its
correction and its revocation; the centre only asks. Where the centre issues, the centre's own
two-person flow stays.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from certificateur import approvals, issuance
from core.errors import ApplicationError
from documents import approvals as document_approvals
from documents import services
from documents.models import IssuedDocument, ReissueRequest, RevocationRequest, VerificationRecord
from juries.issuance import centre_signatory_name_set
from juries.models import PvTransmission
from organisations.models import AuditEvent, Organisation
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.certificateur.test_issuance import committed, configure_seed_004, signed_jury
from tests.certificateur.test_issuance_pages_api import centre_admin
from tests.conftest import make_member

SEED_004 = (
    "Les résultats d'examen sont validés par le jury de certification qui rédige le Procès-Verbal "
    "d'examen et le transmet à CCI France"
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
IDENTITY = {"prenom1": "Léah", "nom_naissance": "Certifiée"}


def _piece():
    return SimpleUploadedFile("acte-naissance.pdf", PDF, "application/pdf")


@pytest.fixture
def issued(org_a, alice, rncp, panel, cci, staff):
    """A parchemin of RNCP36390 issued by CCI France after the signed PV was transmitted."""
    configure_seed_004(cci, staff)
    admin = centre_admin(org_a)
    jury = signed_jury(org_a, alice, rncp, panel)
    with tenant_context(org_a):
        from documents.models import IssuanceSignatory

        signatory = IssuanceSignatory.objects.filter(named_by="centre").first()
        centre_signatory_name_set(by=admin, signatory_public_id=signatory.public_id, name="Brigitte Démo")
        t = PvTransmission.objects.get(jury=jury)
    with tenant_context(cci), committed():
        issuance.received_pvs_issue(certificateur=cci, by=staff, public_ids=[t.public_id])
    with tenant_context(org_a):
        parchemin = IssuedDocument.objects.get(group_key=jury.group_key, kind="parchemin")
        assert parchemin.status == "ready", parchemin.last_error
    return {"parchemin": parchemin, "admin": admin, "jury": jury}


def _counts(org):
    with tenant_context(org):
        return (
            ReissueRequest.objects.count(),
            RevocationRequest.objects.count(),
            IssuedDocument.objects.filter(revoked_at__isnull=False).count(),
            IssuedDocument.objects.filter(version__gt=1).count(),
        )


def test_reissue_of_a_certificateur_document_is_approved_by_the_certificateur_only(org_a, issued, cci, staff):
    assert SEED_004  # CCI France issues the parchemin: it approves its civil-status correction
    parchemin, admin = issued["parchemin"], issued["admin"]
    other_admin = make_member(org_a, Role.ADMIN, "adjoint@centre.test")
    with tenant_context(org_a):
        request = services.reissue_request_create(
            document=parchemin,
            by=admin,
            reason="Erreur de prénom à l'état civil",
            identity=IDENTITY,
            piece=_piece(),
        )
        assert request.approver_certificateur_id == cci.pk
        # Another person of the centre is not the issuing body: refused, nothing written.
        for decider in (other_admin, admin):
            with pytest.raises(ApplicationError, match="seul le personnel du certificateur"):
                services.reissue_request_decide(request=request, by=decider, approve=True)
        assert ReissueRequest.objects.get(pk=request.pk).status == "pending"
    before = _counts(org_a)
    with tenant_context(cci):
        # A refusal says why (the centre reads it): without an observation, nothing is written.
        with pytest.raises(ApplicationError, match="pourquoi la réédition est refusée"):
            approvals.approval_decide(
                certificateur=cci,
                by=staff,
                kind="reeditions",
                public_id=request.public_id,
                decision="refuser",
            )
        with pytest.raises(ApplicationError, match="approuver"):
            approvals.approval_decide(
                certificateur=cci,
                by=staff,
                kind="reeditions",
                public_id=request.public_id,
                decision="valider",
            )
        # Another certificateur does not see it (404), nor does an unknown kind.
        uimm = Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")
        with pytest.raises(Http404):
            approvals.approval_get(certificateur=uimm, kind="reeditions", public_id=request.public_id)
        with pytest.raises(Http404):
            approvals.approval_get(certificateur=cci, kind="autre", public_id=request.public_id)
        listed = approvals.approvals_list(certificateur=cci)
        assert [r["request"].pk for r in listed["pending"]] == [request.pk]
        assert {"field": "Premier prénom", "value": "Léah"} in listed["pending"][0]["changes"]
        data, name = approvals.approval_piece(certificateur=cci, public_id=request.public_id)
        assert data.startswith(b"%PDF") and name == "acte-naissance.pdf"
    assert _counts(org_a) == before
    with tenant_context(cci), committed():
        approvals.approval_decide(
            certificateur=cci, by=staff, kind="reeditions", public_id=request.public_id, decision="approuver"
        )
    with tenant_context(org_a):
        request.refresh_from_db()
        parchemin.refresh_from_db()
        assert request.status == "approved" and request.decided_by == staff.user
        assert parchemin.version == 2 and "Léah" in parchemin.holder_name
        assert VerificationRecord.objects.get(code=parchemin.verification_code).status == "reissued"
        assert AuditEvent.objects.filter(organisation=org_a, action="document.reissue_approve").exists()
    with tenant_context(cci):
        assert AuditEvent.objects.filter(organisation=cci, action="approbation.reeditions.approuvee").exists()


def test_the_requester_cannot_approve_even_as_certificateur_staff(org_a, issued, cci):
    """One person holding both a centre and a certificateur membership asks, then tries to approve."""
    parchemin, admin = issued["parchemin"], issued["admin"]
    from organisations.services import membership_add

    twin = membership_add(user=admin.user, organisation=cci, role=Role.CERTIFICATEUR)
    with tenant_context(org_a):
        revocation = document_approvals.revocation_request_create(
            document=parchemin, by=admin, reason="Délivré par erreur au mauvais titulaire", category="erreur"
        )
    with tenant_context(cci), pytest.raises(ApplicationError, match="ne peut pas l'approuver"):
        approvals.approval_decide(
            certificateur=cci,
            by=twin,
            kind="revocations",
            public_id=revocation.public_id,
            decision="approuver",
        )
    with tenant_context(org_a):
        assert RevocationRequest.objects.get(pk=revocation.pk).status == "pending"
        assert not IssuedDocument.objects.filter(revoked_at__isnull=False).exists()


def test_revocation_of_a_certificateur_document_is_requested_then_approved(org_a, issued, cci, staff):
    parchemin, admin = issued["parchemin"], issued["admin"]
    with tenant_context(org_a):
        # The centre cannot revoke what CCI France issued: it asks.
        with pytest.raises(ApplicationError, match="demandez sa révocation"):
            document_approvals.document_revoke_by_centre(
                document=parchemin, by=admin, reason="Erreur de saisie"
            )
        before = _counts(org_a)
        for reason, category, message in (
            ("", "erreur", "obligatoire"),
            ("Erreur de saisie", "secret", "catégorie publique"),
        ):
            with pytest.raises(ApplicationError, match=message):
                document_approvals.revocation_request_create(
                    document=parchemin, by=admin, reason=reason, category=category
                )
        assert _counts(org_a) == before
        revocation = document_approvals.revocation_request_create(
            document=parchemin, by=admin, reason="Fraude constatée après délivrance", category="retrait"
        )
        with pytest.raises(ApplicationError, match="attend déjà"):
            document_approvals.revocation_request_create(
                document=parchemin, by=admin, reason="Encore une fois", category="retrait"
            )
        assert not IssuedDocument.objects.get(pk=parchemin.pk).is_revoked
    with tenant_context(cci):
        approvals.approval_decide(
            certificateur=cci,
            by=staff,
            kind="revocations",
            public_id=revocation.public_id,
            decision="approuver",
            note="Vu le PV d'incident.",
        )
    with tenant_context(org_a):
        parchemin.refresh_from_db()
        assert parchemin.is_revoked
        record = VerificationRecord.objects.get(code=parchemin.verification_code)
        assert record.status == "revoked" and record.revocation_reason == "Retrait décidé par l'organisme"
        assert RevocationRequest.objects.get(pk=revocation.pk).decided_by == staff.user
        assert AuditEvent.objects.filter(organisation=org_a, action="document.revocation_approve").exists()
    with tenant_context(cci), pytest.raises(ApplicationError, match="déjà été traitée"):
        approvals.approval_decide(
            certificateur=cci,
            by=staff,
            kind="revocations",
            public_id=revocation.public_id,
            decision="refuser",
            note="trop tard",
        )


def test_where_the_centre_issues_it_revokes_itself_and_asks_nobody(org_a, alice, rncp, panel):
    jury = signed_jury(org_a, alice, rncp, panel)  # no rule: the centre issues the parchemin
    admin = centre_admin(org_a)
    with tenant_context(org_a):
        parchemin = IssuedDocument.objects.get(group_key=jury.group_key, kind="parchemin")
        assert document_approvals.issuer_certificateur(parchemin) is None
        with pytest.raises(ApplicationError, match="délivré par le centre"):
            document_approvals.revocation_request_create(
                document=parchemin, by=admin, reason="Délivré par erreur", category="erreur"
            )
        request = services.reissue_request_create(
            document=parchemin, by=admin, reason="Erreur de prénom", identity=IDENTITY, piece=_piece()
        )
        assert request.approver_certificateur_id is None
        document_approvals.document_revoke_by_centre(
            document=parchemin, by=admin, reason="Délivré par erreur"
        )
        assert IssuedDocument.objects.get(pk=parchemin.pk).is_revoked


def test_pages_and_api(org_a, org_b, issued, cci, staff, client_for, api_for):
    parchemin, admin = issued["parchemin"], issued["admin"]
    centre = client_for(admin)
    detail = centre.get(f"/o/{org_a.slug}/documents/{parchemin.public_id}/").content.decode()
    assert "Demander la révocation à CCI France" in detail
    bad = centre.post(
        f"/o/{org_a.slug}/documents/{parchemin.public_id}/revoquer/", {"reason": "", "category": "erreur"}
    )
    assert bad.status_code == 400
    with tenant_context(org_a):
        assert not RevocationRequest.objects.exists()
    ok = centre.post(
        f"/o/{org_a.slug}/documents/{parchemin.public_id}/revoquer/",
        {"reason": "Délivré par erreur au mauvais titulaire", "category": "erreur"},
        follow=True,
    )
    assert "Demande de révocation transmise à CCI France" in ok.content.decode()
    with tenant_context(org_a):
        revocation = RevocationRequest.objects.get()
        assert not IssuedDocument.objects.get(pk=parchemin.pk).is_revoked
    # The centre's API: /revoke refuses, /revocation-request answers « already pending ».
    api = api_for(admin)
    base = f"/api/v1/o/{org_a.slug}/documents/{parchemin.public_id}"
    refused = api.post(
        f"{base}/revoke", {"reason": "Délivré par erreur", "category": "erreur"}, format="json"
    )
    assert refused.status_code == 400 and "demandez sa révocation" in refused.json()["error"]["message"]
    again = api.post(
        f"{base}/revocation-request", {"reason": "Délivré par erreur", "category": "erreur"}, format="json"
    )
    assert again.status_code == 400 and "attend déjà" in again.json()["error"]["message"]
    # The certificateur's page lists it and decides; its API too.
    cert = client_for(staff)
    page = cert.get(f"/o/{cci.slug}/supervision/approbations/").content.decode()
    assert parchemin.number in page and "Délivré par erreur au mauvais titulaire" in page
    url = f"/o/{cci.slug}/supervision/approbations/revocations/{revocation.public_id}/decider/"
    refused_page = cert.post(url, {"decision": "refuser", "note": ""})
    assert (
        refused_page.status_code == 400
        and "pourquoi la révocation est refusée" in refused_page.content.decode()
    )
    cert_api = api_for(staff)
    listed = cert_api.get(f"/api/v1/o/{cci.slug}/supervision/approbations/").json()
    assert [(r["id"], r["status"]) for r in listed] == [(str(revocation.public_id), "pending")]
    decided = cert_api.post(
        f"/api/v1/o/{cci.slug}/supervision/approbations/revocations/{revocation.public_id}/decider/",
        {"decision": "refuser", "note": "Aucune pièce ne le justifie."},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "refused"
    # A centre answers 404 on the certificateur's routes; another centre on the document.
    centre = client_for(admin)
    assert centre.get(f"/o/{org_a.slug}/supervision/approbations/").status_code == 404
    bob_admin = make_member(org_b, Role.ADMIN, "autre@centre.test")
    assert (
        api_for(bob_admin)
        .post(
            f"/api/v1/o/{org_b.slug}/documents/{parchemin.public_id}/revocation-request",
            {"reason": "xxxxxxxx", "category": "erreur"},
            format="json",
        )
        .status_code
        == 404
    )
    detail = centre.get(f"/o/{org_a.slug}/documents/{parchemin.public_id}/").content.decode()
    assert "Aucune pièce ne le justifie." in detail
