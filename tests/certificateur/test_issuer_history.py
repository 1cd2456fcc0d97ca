"""Who issued a document is history, stored on it (issue 13, point 1), and a jury's rectification
of a document its certificateur issued goes through the certificateur's approval (point 5).

Seed 004 (RNCP36390): « Les résultats d'examen sont validés par le jury de certification qui rédige
le Procès-Verbal d'examen et le transmet à CCI France […] pour émissions des parchemins du titre ou
du/des bloc(s) validé(s). » — CCI France issues the parchemin; a revocation of it is « requested by
the centre and approved by the issuing body ». A rectification is such a request's basis: the
parchemin stays in force until CCI France approves; then it is revoked and the corrected documents
are issued. Where the centre issues (no rule), the rectification revokes and re-issues at once.
"""

import pytest
from django.test import Client

from certificateur import approvals
from core.errors import ApplicationError
from documents import approvals as document_approvals
from documents.issuance import rule_resolve
from documents.models import IssuanceRule, IssuedDocument, RevocationRequest, VerificationRecord
from juries import services
from juries.models import Decision
from organisations.tenancy import tenant_context
from tests.certificateur.test_approvals import issued  # noqa: F401 - fixture
from tests.certificateur.test_issuance import committed, signed_jury
from tests.juries.conftest import sign_all

SEED_004 = (
    "Les résultats d'examen sont validés par le jury de certification qui rédige le Procès-Verbal "
    "d'examen et le transmet à CCI France"
)
MOTIF = "Erreur de report de la note du bloc 2 : la candidate est ajournée"


def _rectify(org_a, jury, alice, panel, *, to="ajourne"):
    with tenant_context(org_a):
        decision = Decision.objects.get(jury=jury)
        rect = services.rectification_create(
            decision=decision, by=alice, nouvelle_decision=to, blocs_valides=[], motif=MOTIF
        )
        with committed():
            sign_all(rect.proces_verbal, panel)
        rect.refresh_from_db()
        assert rect.applied_at is not None
    return rect


def test_issuing_body_is_stored_and_a_new_rule_rewrites_nothing(org_a, issued, cci, staff):  # noqa: F811
    assert SEED_004
    parchemin = issued["parchemin"]
    with tenant_context(org_a):
        parchemin.refresh_from_db()
        assert parchemin.issued_by_id == cci.pk and parchemin.issued_by_name == cci.name
    record = VerificationRecord.objects.get(code=parchemin.verification_code)
    assert record.issued_by_name == cci.name
    # CCI France now lets the centres issue: the parchemin issued before stays CCI France's.
    # (The rule's own row is changed: replacing it through the service would also drop the
    # signatory the centre named, which the centre's tenant still references.)
    assert IssuanceRule.objects.filter(certificateur=cci, kind="parchemin").update(issuer="centre") == 1
    assert not rule_resolve(certificateur_id=cci.pk, code="RNCP36390", kind="parchemin").by_certificateur
    with tenant_context(org_a):
        parchemin = IssuedDocument.objects.get(pk=parchemin.pk)
        assert document_approvals.issuer_certificateur(parchemin) == cci
        # the centre still only asks; CCI France approves
        with pytest.raises(ApplicationError, match="demandez sa révocation"):
            document_approvals.document_revoke_by_centre(
                document=parchemin, by=issued["admin"], reason="Délivré par erreur"
            )
        request = document_approvals.revocation_request_create(
            document=parchemin, by=issued["admin"], reason="Délivré par erreur", category="erreur"
        )
        assert request.approver_certificateur_id == cci.pk
    # stored once: the database refuses another issuing body for it (as for its number)
    from django.db import DatabaseError, transaction

    with (
        tenant_context(org_a),
        pytest.raises(DatabaseError, match="ne peut pas changer"),
        transaction.atomic(),
    ):
        IssuedDocument.objects.filter(pk=parchemin.pk).update(issued_by=org_a, issued_by_name=org_a.name)
    with (
        tenant_context(org_a),
        pytest.raises(DatabaseError, match="ne peut pas changer"),
        transaction.atomic(),
    ):
        IssuedDocument.objects.filter(pk=parchemin.pk).update(issued_by_name="Un autre organisme")
    page = Client().get(f"/verifier/{parchemin.verification_code}")
    assert page.status_code == 200
    html = page.content.decode()
    # the public page names the certificateur and nothing else of who handled the document (issue 13 §8)
    assert f"<dt>Certificateur</dt><dd>{cci.name}" in html and org_a.name not in html


def test_rectification_of_a_certificateur_document_waits_for_its_approval(
    org_a,
    alice,
    panel,
    issued,  # noqa: F811
    cci,
    staff,
):
    parchemin, jury = issued["parchemin"], issued["jury"]
    rect = _rectify(org_a, jury, alice, panel)
    with tenant_context(org_a):
        parchemin.refresh_from_db()
        # not revoked by the centre: a request CCI France decides, based on the rectification
        assert parchemin.revoked_at is None
        [request] = RevocationRequest.objects.filter(document=parchemin)
        assert request.status == "pending" and request.approver_certificateur_id == cci.pk
        assert request.category == "rectification" and MOTIF in request.reason
        assert request.basis == f"jury:{jury.public_id}:rectification:{rect.public_id}"
        # the PV rectificatif is the centre's record, issued at once; nothing else yet
        later = IssuedDocument.objects.filter(idempotency_key__contains=str(rect.public_id))
        assert set(later.values_list("kind", flat=True)) == {"proces_verbal"}
    assert VerificationRecord.objects.get(code=parchemin.verification_code).status == "valid"
    with tenant_context(cci), committed():
        approvals.approval_decide(
            certificateur=cci, by=staff, kind="revocations", public_id=request.public_id, decision="approuver"
        )
    with tenant_context(org_a):
        parchemin.refresh_from_db()
        assert parchemin.revoked_at is not None
        kinds = set(
            IssuedDocument.objects.filter(idempotency_key__contains=str(rect.public_id)).values_list(
                "kind", flat=True
            )
        )
        assert kinds == {"proces_verbal", "attestation"}  # ajournée: the corrected attestation
    assert VerificationRecord.objects.get(code=parchemin.verification_code).status == "revoked"


def test_rectification_refused_by_the_certificateur_revokes_nothing(
    org_a,
    alice,
    panel,
    issued,  # noqa: F811
    cci,
    staff,
):
    parchemin, jury = issued["parchemin"], issued["jury"]
    rect = _rectify(org_a, jury, alice, panel)
    with tenant_context(org_a):
        request = RevocationRequest.objects.get(document=parchemin)
    with tenant_context(cci), committed():
        approvals.approval_decide(
            certificateur=cci,
            by=staff,
            kind="revocations",
            public_id=request.public_id,
            decision="refuser",
            note="Le PV rectificatif ne porte pas la bonne note",
        )
    with tenant_context(org_a):
        parchemin.refresh_from_db()
        assert parchemin.revoked_at is None
        assert not IssuedDocument.objects.filter(
            idempotency_key__contains=str(rect.public_id), kind="attestation"
        ).exists()


def test_rectification_where_the_centre_issues_is_unchanged(org_a, alice, rncp, panel):
    jury = signed_jury(org_a, alice, rncp, panel)  # no rule: the centre issues the parchemin
    with tenant_context(org_a):
        parchemin = IssuedDocument.objects.get(group_key=jury.group_key, kind="parchemin")
        assert parchemin.issued_by_id == org_a.pk
    rect = _rectify(org_a, jury, alice, panel)
    with tenant_context(org_a):
        parchemin.refresh_from_db()
        assert parchemin.revoked_at is not None  # revoked at once, by the centre
        assert not RevocationRequest.objects.exists()
        kinds = set(
            IssuedDocument.objects.filter(idempotency_key__contains=str(rect.public_id)).values_list(
                "kind", flat=True
            )
        )
        assert kinds == {"proces_verbal", "attestation"}
