"""Who issues and who signs is data (issue 13, point 1): the certificateur's rules, the signed PV
transmitted to it, its review and bulk issue, the signatories printed on the parchemin.

Seed 004 (RNCP36390), §7–8: « Le parchemin sera signé par le Président de CCI France et le
Président de la CCI dont dépend l'établissement de formation. » — « Les résultats d'examen sont
validés par le jury de certification qui rédige le Procès-Verbal d'examen et le transmet à CCI
France par l'intermédiaire de l'application « DIPLOMATION » pour émissions des parchemins du titre
ou du/des bloc(s) validé(s). » — « Pour les candidats n'ayant pas obtenu la certification,
l'établissement délivre les certificats de bloc pour ceux validés et une attestation de suivi de
formation. »
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.test import TestCase

from certificateur import issuance
from core.errors import ApplicationError
from documents.issuance import rule_resolve
from documents.models import CentreSignatoryName, IssuanceRule, IssuanceSignatory, IssuedDocument
from documents.services import document_html
from juries import services
from juries.issuance import centre_signatory_name_set, pv_transmit_again
from juries.models import PvTransmission
from organisations.models import AuditEvent, Organisation
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.conftest import make_member
from tests.juries.conftest import JURY_DATE, compose_rncp, grade_rncp, ready_dossier, sign_all

SEED_004_SIGNATURE = (
    "Le parchemin sera signé par le Président de CCI France et le Président de la CCI dont dépend "
    "l'établissement de formation."
)
SEED_004_TRANSMISSION = (
    "Les résultats d'examen sont validés par le jury de certification qui rédige le Procès-Verbal "
    "d'examen et le transmet à CCI France par l'intermédiaire de l'application « DIPLOMATION » pour "
    "émissions des parchemins du titre ou du/des bloc(s) validé(s)."
)
PARTIAL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (20, 40),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}
SIGNATORIES = [
    {"title": "Le Président de CCI France", "name": "Alain Démo-Président", "named_by": "certificateur"},
    {"title": "Le Président de la CCI dont dépend l'établissement de formation", "named_by": "centre"},
]


def configure_seed_004(cci, staff):
    """CCI France's rules as seed 004 states them."""
    with tenant_context(cci):
        for kind in ("parchemin", "certificat_bloc"):
            issuance.issuance_rule_set(
                certificateur=cci,
                by=staff,
                kind=kind,
                issuer="certificateur",
                referentiel_code="RNCP36390",
                signataires=SIGNATORIES,
                source=SEED_004_TRANSMISSION,
            )
        issuance.issuance_rule_set(
            certificateur=cci, by=staff, kind="attestation", issuer="centre", referentiel_code="RNCP36390"
        )


def signed_jury(org_a, alice, rncp, panel, *, partial=False):
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury de juin", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        dossiers = [ready_dossier(alice, rncp, nom_naissance="Certifiée", prenom1="Léa")]
        if partial:
            dossiers.append(
                ready_dossier(
                    alice,
                    rncp,
                    nom_naissance="Partiel",
                    prenom1="Jean",
                    grade=lambda d, by: grade_rncp(d, by, blocs=PARTIAL, ecrit=40),
                )
            )
        services.jury_dossiers_add(jury=jury, by=alice, dossiers=dossiers)
        services.jury_open(jury=jury, by=alice)
        services.decisions_accept_all(jury=jury, by=panel["pro1@test.local"][0])
        pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
        with committed():
            sign_all(pv, panel)
    return jury


def pdf_text(document, name: str) -> str:
    from documents.selectors import document_file_read

    pdf = document_file_read(document=document)
    if os.environ.get("DOCS_PNG_DIR"):  # to look at it: pdftoppm -png
        (Path(os.environ["DOCS_PNG_DIR"]) / f"{name}.pdf").write_bytes(pdf)
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is required"
    # reading order (not -layout): a two-line title stays one sentence
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def parchemin_dossier(document):
    from candidates.models import Dossier

    return Dossier.objects.get(public_id=document.context["dossier_id"])


def committed():
    """Run the on-commit callbacks (the Celery tasks, eager in tests) as a commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def test_without_rules_the_centre_issues_as_before(org_a, alice, rncp, panel):
    jury = signed_jury(org_a, alice, rncp, panel)
    with tenant_context(org_a):
        kinds = set(IssuedDocument.objects.filter(group_key=jury.group_key).values_list("kind", flat=True))
        assert kinds == {"proces_verbal", "parchemin"}
        assert not PvTransmission.objects.exists()
        parchemin = IssuedDocument.objects.get(group_key=jury.group_key, kind="parchemin")
        assert parchemin.context["signataires"][0] == ["Pour le certificateur", "CCI France"]


def test_rule_override_beats_default_and_names_are_validated(cci, staff):
    with tenant_context(cci):
        issuance.issuance_rule_set(certificateur=cci, by=staff, kind="parchemin", issuer="centre")
        issuance.issuance_rule_set(
            certificateur=cci,
            by=staff,
            kind="parchemin",
            issuer="certificateur",
            referentiel_code="RNCP36390",
            signataires=SIGNATORIES,
        )
        assert (
            rule_resolve(certificateur_id=cci.pk, code="RNCP36390", kind="parchemin").issuer
            == "certificateur"
        )
        assert rule_resolve(certificateur_id=cci.pk, code="AUTRE", kind="parchemin").issuer == "centre"
        assert AuditEvent.objects.filter(organisation=cci, action="emission.regle").count() == 2
        before = (IssuanceRule.objects.count(), IssuanceSignatory.objects.count())
        bad = [
            ({"kind": "convocation", "issuer": "centre"}, "Document"),
            ({"kind": "parchemin", "issuer": "ministere"}, "Émetteur"),
            ({"kind": "attestation", "issuer": "certificateur"}, "établissement"),
            ({"kind": "parchemin", "issuer": "centre", "referentiel_code": "CQPM-X"}, "inconnue"),
            (
                {"kind": "parchemin", "issuer": "centre", "signataires": [{"title": "", "name": "X"}]},
                "qualité",
            ),
            (
                {"kind": "parchemin", "issuer": "centre", "signataires": [{"title": "Le Président"}]},
                "indiquez son nom",
            ),
            (
                {
                    "kind": "parchemin",
                    "issuer": "centre",
                    "signataires": [{"title": "P", "name": "X", "named_by": "centre"}],
                },
                "chaque centre",
            ),
            (
                {"kind": "parchemin", "issuer": "centre", "signataires": [{"title": "P", "name": "X"}] * 2},
                "même qualité",
            ),
            ({"kind": "parchemin", "issuer": "centre", "signataires": "Président"}, "liste"),
        ]
        for fields, message in bad:
            with pytest.raises(ApplicationError) as exc:
                issuance.issuance_rule_set(certificateur=cci, by=staff, **fields)
            assert message in exc.value.message, (fields, exc.value.message)
        assert (IssuanceRule.objects.count(), IssuanceSignatory.objects.count()) == before
    # The database refuses an attestation issued by the certificateur too.
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuanceRule.objects.create(certificateur=cci, kind="attestation", issuer="certificateur")


def test_signed_pv_is_transmitted_and_certificateur_issues(org_a, alice, rncp, panel, cci, staff):
    from espace_candidat.selectors import documents as candidate_documents
    from integrations.models import WebhookEndpoint
    from tests.integrations.receiver import Receiver

    configure_seed_004(cci, staff)
    admin = make_member(org_a, Role.ADMIN, "directeur@centre.test")
    receiver = Receiver().__enter__()
    with tenant_context(org_a):  # the centre's information system listens to « document délivré »
        WebhookEndpoint.objects.create(organisation=org_a, url=receiver.url, events=["document.emis"])
    jury = signed_jury(org_a, alice, rncp, panel, partial=True)
    with tenant_context(org_a):
        # The centre issues the PV and the attestation, never the parchemin nor the certificat de bloc.
        kinds = sorted(IssuedDocument.objects.filter(group_key=jury.group_key).values_list("kind", flat=True))
        assert kinds == ["attestation", "proces_verbal"]
        t = PvTransmission.objects.get(jury=jury)
        assert t.status == "transmis" and t.certificateur_id == cci.pk and t.transmitted_at
        pv = IssuedDocument.objects.get(group_key=jury.group_key, kind="proces_verbal")
        assert pv.status == "ready", pv.last_error
        assert "transmis à CCI France pour émission des parchemins" in document_html(pv)
    with tenant_context(cci):
        rows = issuance.received_pvs(certificateur=cci)
        assert [r["jury"].pk for r in rows] == [jury.pk]
        assert rows[0]["decisions"] == {"certifie": 1, "partiel": 1}
        # The centre has not named its president: nothing is issued, the message says who is missing.
        with pytest.raises(ApplicationError) as exc:
            issuance.received_pvs_issue(certificateur=cci, by=staff, public_ids=[t.public_id])
        assert "Président de la CCI dont dépend" in exc.value.message
    with tenant_context(org_a):
        assert PvTransmission.objects.get(pk=t.pk).status == "transmis"
        signatory = IssuanceSignatory.objects.get(named_by="centre", rule__kind="parchemin")
        with pytest.raises(ApplicationError):
            centre_signatory_name_set(by=admin, signatory_public_id=signatory.public_id, name="   ")
        assert not CentreSignatoryName.objects.exists()
        # named once, for the parchemin and the certificat de bloc alike (same title, same certificateur)
        centre_signatory_name_set(
            by=admin, signatory_public_id=signatory.public_id, name="Brigitte Démo-Lyon"
        )
        assert CentreSignatoryName.objects.filter(name="Brigitte Démo-Lyon").count() == 2
    with tenant_context(cci), committed():
        issuance.received_pvs_issue(certificateur=cci, by=staff, public_ids=[t.public_id])
    with tenant_context(org_a):
        t.refresh_from_db()
        assert t.status == "emis" and t.issued_at and t.reviewed_by == staff.user
        parchemin = IssuedDocument.objects.get(group_key=jury.group_key, kind="parchemin")
        bloc = IssuedDocument.objects.filter(group_key=jury.group_key, kind="certificat_bloc").first()
        assert parchemin.status == "ready" and parchemin.number.startswith("CCI-FRANCE-")
        assert bloc is not None and bloc.certificateur_id == cci.pk
        expected = [
            ["Le Président de CCI France", "Alain Démo-Président"],
            ["Le Président de la CCI dont dépend l'établissement de formation", "Brigitte Démo-Lyon"],
        ]
        assert parchemin.context["signataires"] == expected
        assert bloc.context["signataires"] == expected
        assert "Pour le certificateur" not in document_html(parchemin)
        # the candidate's space shows the parchemin (once results are published), the webhook fired
        dossier = parchemin_dossier(parchemin)
        assert [d.kind for d in candidate_documents(dossier, published=True)] == ["parchemin"]
    receiver.__exit__(None, None, None)
    issued = [r["json"]["data"]["number"] for r in receiver.requests if r["json"]["type"] == "document.emis"]
    assert parchemin.number in issued and bloc.number in issued
    with tenant_context(org_a):
        # What the certificateur signs: both presidents, title and name, on the PDF itself.
        for document, name in ((parchemin, "parchemin-rncp36390"), (bloc, "certificat-bloc-rncp36390")):
            text = pdf_text(document, name)
            for needle in (
                "Le Président de CCI France",
                "Alain Démo-Président",
                "Le Président de la CCI dont dépend l'établissement de formation",
                "Brigitte Démo-Lyon",
                document.number,
            ):
                assert needle in text, (name, needle, text)
            assert "Pour le certificateur" not in text
            assert "Le président du jury" not in text
        assert AuditEvent.objects.filter(organisation=org_a, action="jury.emission_certificateur").exists()
    with tenant_context(cci):
        with pytest.raises(ApplicationError) as exc:
            issuance.received_pvs_issue(certificateur=cci, by=staff, public_ids=[t.public_id])
        assert "rien à émettre" in exc.value.message


def test_certificateur_returns_pv_with_reason_then_centre_transmits_again(
    org_a, alice, rncp, panel, cci, staff
):
    configure_seed_004(cci, staff)
    jury = signed_jury(org_a, alice, rncp, panel)
    with tenant_context(org_a):
        t = PvTransmission.objects.get(jury=jury)
    with tenant_context(cci):
        with pytest.raises(ApplicationError) as exc:
            issuance.received_pv_return(certificateur=cci, by=staff, public_id=t.public_id, reason="  ")
        assert "motif" in exc.value.message
        issuance.received_pv_return(
            certificateur=cci, by=staff, public_id=t.public_id, reason="Composition du jury à justifier."
        )
        with pytest.raises(ApplicationError):
            issuance.received_pvs_issue(certificateur=cci, by=staff, public_ids=[t.public_id])
    with tenant_context(org_a):
        t.refresh_from_db()
        assert t.status == "retourne" and t.return_reason == "Composition du jury à justifier."
        assert not IssuedDocument.objects.filter(kind="parchemin").exists()
        pv_transmit_again(transmission=t, by=alice)
        assert PvTransmission.objects.get(pk=t.pk).status == "transmis"


def test_another_certificateur_cannot_see_or_issue(org_a, alice, rncp, panel, cci, staff):
    from django.http import Http404

    configure_seed_004(cci, staff)
    jury = signed_jury(org_a, alice, rncp, panel)
    uimm = Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")
    other = make_member(uimm, Role.CERTIFICATEUR, "staff@uimm.test")
    with tenant_context(org_a):
        t = PvTransmission.objects.get(jury=jury)
    with tenant_context(uimm):
        assert issuance.received_pvs(certificateur=uimm) == []
        with pytest.raises(Http404):
            issuance.received_pvs_issue(certificateur=uimm, by=other, public_ids=[t.public_id])
        with pytest.raises(Http404):
            issuance.received_pv_return(certificateur=uimm, by=other, public_id=t.public_id, reason="x")
    with tenant_context(org_a):
        assert PvTransmission.objects.get(pk=t.pk).status == "transmis"
