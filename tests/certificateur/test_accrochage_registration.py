"""The accrochage follows the certification's registration, not the look of its code (issue 13):
a CQPM registered at the RNCP is declared to the Caisse des Dépôts under its RNCP number; an
unregistered CQPM or CQPI is not declared; a code that merely looks like an RNCP number, with no
registration recorded, is not declared either.

``../shared/formats/README.md``: the CDC file declares « les certifications enregistrées au RNCP
ou au RS »; the registration (``Enregistrement``) is the platform's record of that fact, filled by
the RNCP import or by the certificateur.
"""

import datetime as dt

import pytest
from lxml import etree

from certificateur import cdc
from certificateur.accrochage import cdc_compte_save, cdc_flux_create, cdc_passages_sync
from certificateur.models import CdcPassage
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.models import Enregistrement
from referentiels.services import enregistrement_set, habilitation_grant
from tests.certificateur.conftest import make_dossier

NS = {"cpf": cdc.CDC_NS}
CQPM_RNCP = {
    "numero": "RNCP37123",
    "type_enregistrement": "sur_demande",
    "date_decision": dt.date(2023, 1, 26),
    "duree_ans": 5,
    "niveau": 4,
    "codes_nsf": [{"code": "310", "libelle": "Spécialités plurivalentes des échanges et de la gestion"}],
}


@pytest.fixture
def uimm(world, uimm_user):
    with tenant_context(world["uimm"]):
        cdc_compte_save(
            certificateur=world["uimm"], by=uimm_user, id_client="UIMM0001", id_contrat="CTR-UIMM"
        )
        yield world["uimm"]


def test_a_cqpm_registered_at_the_rncp_is_declared_under_its_rncp_number(world, uimm):
    enregistrement_set(referentiel=world["cqpm"], by=world["uimm"], **CQPM_RNCP)
    assert cdc_passages_sync(certificateur=uimm)["created"] == 2  # Delta (centre A), Hotel (centre B)
    passages = CdcPassage.objects.order_by("titulaire")
    assert [(p.titulaire, p.certification_type, p.certification_code) for p in passages] == [
        ("Delta Léa", "RNCP", "RNCP37123"),
        ("Hotel Léa", "RNCP", "RNCP37123"),
    ]
    flux, refused = cdc_flux_create(certificateur=uimm, by=None)
    assert refused == []
    data = flux.file.open("rb").read()
    assert cdc.validate_flux(data) == []
    doc = etree.fromstring(data)
    [certification] = doc.findall(".//cpf:certification", NS)
    assert certification.find("cpf:type", NS).text == "RNCP"
    assert certification.find("cpf:code", NS).text == "RNCP37123"
    assert b"CQPM-attache-gestion" not in data  # the platform's code never goes out
    assert len(certification.findall(".//cpf:passageCertification", NS)) == 2


def test_an_unregistered_cqpm_is_not_declared(world, uimm):
    assert not Enregistrement.objects.filter(code=world["cqpm"].code).exists()
    assert cdc_passages_sync(certificateur=uimm) == {"created": 0, "updated": 0, "ignored": 2, "withdrawn": 0}
    assert not CdcPassage.objects.exists()


def test_an_unregistered_cqpi_is_not_declared(org_a, uimm_user):
    cpnef = Organisation.objects.create(kind="certificateur", slug="cpnef-papier-carton", name="CPNEF")
    cqpi = load_seed("cqpi-assistant.json", cpnef)
    habilitation_grant(certificateur=cpnef, centre=org_a, code=cqpi.code, date_debut=dt.date(2024, 1, 1))
    with tenant_context(org_a):
        make_dossier(org_a, cqpi, nom="India")
    with tenant_context(cpnef):
        assert cdc_passages_sync(certificateur=cpnef) == {
            "created": 0,
            "updated": 0,
            "ignored": 1,
            "withdrawn": 0,
        }
        assert not CdcPassage.objects.exists()


def test_the_code_alone_declares_nothing(world, cci_user):
    """RNCP36390 with its registration withdrawn from the platform: its code still reads like an
    RNCP number, but nothing says it is registered — not declared."""
    Enregistrement.objects.filter(code="RNCP36390").delete()
    with tenant_context(world["cci"]):
        result = cdc_passages_sync(certificateur=world["cci"])
        assert result["created"] == 0 and result["ignored"] == 3  # Alpha, Bravo, Echo
        assert not CdcPassage.objects.exists()
