"""Revocation everywhere (issue 13, point 7): a revoked parchemin leaves every later accrochage
file; one already declared is withdrawn by a SUPPRESSION file (XSD 1.1.5, formats/README.md:
« New flux/action: CREATION | SUPPRESSION »), the 1.1.2 declarations stay valid; the history
shows the withdrawal; the statistics count each dossier once, by its final decision, without
revoked documents."""

import pytest
from lxml import etree

from certificateur import cdc
from certificateur.accrochage import cdc_flux_create, cdc_passages_sync, cdc_suppression_create
from certificateur.models import CdcFlux, CdcPassage
from certificateur.selectors import oversight_figures
from core.errors import ApplicationError
from documents.examples import EXAMPLES
from documents.services import document_request, document_revoke
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.certificateur.test_accrochage import cci  # noqa: F401 - fixture
from tests.conftest import make_member

NS = {"cpf": cdc.CDC_NS}


def _parchemin(world, dossier):
    org = dossier.organisation
    _holder, title, context = EXAMPLES["parchemin"]
    with tenant_context(org):
        return document_request(
            organisation=org,
            kind="parchemin",
            certificateur=world["cci"],
            idempotency_key=f"jury:test:dossier:{dossier.public_id}:parchemin",
            holder_name=dossier.candidate.nom_naissance,
            title=title,
            context=context | {"dossier_id": str(dossier.public_id)},
            render=False,
        )


def _revoke(document):
    admin = make_member(document.organisation, Role.ADMIN, f"adm-{document.pk}@test.local")
    with tenant_context(document.organisation):
        document_revoke(document=document, by=admin, reason="Fraude constatée après délivrance")


def _certifies(world):
    return oversight_figures(certificateur=world["cci"])["totals"]["certifies"]


def test_revoked_parchemin_is_never_declared_and_a_declared_one_is_withdrawn(world, cci, cci_user):  # noqa: F811
    declared_doc = _parchemin(world, world["a1"])
    early_doc = _parchemin(world, world["b1"])
    certified_before = _certifies(world)
    _revoke(early_doc)  # revoked before any declaration
    cdc_passages_sync(certificateur=cci)
    first, _refused = cdc_flux_create(certificateur=cci, by=cci_user)
    first_xml = first.file.open("rb").read()
    assert str(world["b1"].public_id) not in first_xml.decode()
    # revoked before any declaration: never tracked, never declared
    assert not CdcPassage.objects.filter(dossier_public_id=world["b1"].public_id).exists()
    assert cdc.validate_flux(first_xml) == []  # 1.1.2 output stays valid
    assert b"<cpf:action>" not in first_xml
    a1 = CdcPassage.objects.get(dossier_public_id=world["a1"].public_id)
    assert a1.etat == CdcPassage.Etat.DECLARE
    # The declared parchemin is revoked: it leaves later files and is withdrawn.
    _revoke(declared_doc)
    result = cdc_passages_sync(certificateur=cci)
    assert result["withdrawn"] >= 1
    a1.refresh_from_db()
    assert a1.etat == CdcPassage.Etat.A_SUPPRIMER
    with pytest.raises(ApplicationError):
        # nothing left to declare but already-declared passages: the revoked one is not selectable
        cdc_flux_create(certificateur=cci, by=cci_user, passage_ids=[a1.public_id])
    retrait = cdc_suppression_create(certificateur=cci, by=cci_user)
    xml = retrait.file.open("rb").read()
    root = etree.fromstring(xml)
    assert root.findtext("cpf:action", namespaces=NS) == "SUPPRESSION"
    assert [e.text for e in root.iterfind(".//cpf:idTechnique", NS)] == [a1.id_technique]
    assert cdc.validate_flux(xml, cdc.XSD_1_1_5_PATH) == []
    assert (retrait.action, retrait.schema_version) == ("SUPPRESSION", "1.1.5")
    a1.refresh_from_db()
    assert a1.etat == CdcPassage.Etat.SUPPRIME and a1.flux_suppression == retrait
    assert CdcFlux.objects.filter(action="SUPPRESSION").count() == 1  # the history shows it
    with pytest.raises(ApplicationError, match="Aucun passage à retirer"):
        cdc_suppression_create(certificateur=cci, by=cci_user)
    # Statistics: the two revoked dossiers are no longer counted as certified.
    assert _certifies(world) == certified_before - 2


def test_a_retake_is_counted_once_by_its_final_decision(world):
    from candidates.models import Dossier

    before = oversight_figures(certificateur=world["cci"])["totals"]
    partiel = next(d for d in world["cci_dossiers"] if d.decision == "partiel")
    with tenant_context(partiel.organisation):
        Dossier.objects.create(
            organisation=partiel.organisation,
            candidate=partiel.candidate,
            referentiel=partiel.referentiel,
            voie_acces=partiel.voie_acces,
            status=Dossier.Status.DELIBERE,
            decision="certifie",
            date_inscription=partiel.date_inscription,
            date_deliberation=partiel.date_deliberation,
            attempt=2,
            previous_attempt=partiel,
        )
    after = oversight_figures(certificateur=world["cci"])["totals"]
    assert after["deliberes"] == before["deliberes"]  # the candidate counts once
    assert after["certifies"] == before["certifies"] + 1  # by the final decision
