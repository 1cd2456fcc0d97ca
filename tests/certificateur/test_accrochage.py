"""CDC accrochage: passages tracked from certified dossiers, XSD-valid files, reports applied."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree

from candidates.models import Candidate, Dossier
from certificateur import cdc
from certificateur.accrochage import (
    cdc_compte_save,
    cdc_flux_create,
    cdc_passages_sync,
    cdc_rapport_import,
    passage_for_dossier,
)
from certificateur.models import CdcFlux, CdcPassage
from core.errors import ApplicationError
from organisations.tenancy import tenant_context
from tests.certificateur.conftest import make_dossier

NS = {"cpf": cdc.CDC_NS}


@pytest.fixture
def cci(world, cci_user):
    """Inside CCI France's tenant context, with its CDC account and two more holders in centre A:
    one without birth day/month nor usage name (nil fields), one with no birth place at all."""
    with tenant_context(world["a1"].organisation):
        make_dossier(
            world["a1"].organisation,
            world["rncp"],
            nom="Juliet",
            naissance_jour=None,
            naissance_mois=None,
            nom_usage="",
            prenom2="",
            deliberation=dt.date(2025, 7, 1),
        )
        make_dossier(
            world["a1"].organisation,
            world["rncp"],
            nom="Kilo",
            naissance_code_insee="",
            naissance_commune="",
            naissance_pays_code="",
            naissance_pays="",
            deliberation=dt.date(2025, 7, 1),
        )
    with tenant_context(world["cci"]):
        cdc_compte_save(certificateur=world["cci"], by=cci_user, id_client="CCIFR001", id_contrat="CTR-2025")
        yield world["cci"]


def _rapport(id_flux, ok=(), ko=()):
    ko_xml = "".join(
        f"<passage><idTechnique>{i}</idTechnique><messageErreur>{m}</messageErreur></passage>" for i, m in ko
    )
    ok_xml = "".join(f"<idTechnique>{i}</idTechnique>" for i in ok)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ns2:rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema">'
        f"<nomFichier>f.xml</nomFichier><idFlux>{id_flux}</idFlux><idTraitement>T-1</idTraitement>"
        f"<PassagesKO>{ko_xml}</PassagesKO><PassagesOK>{ok_xml}</PassagesOK></ns2:rapport>"
    ).encode()


def test_sync_tracks_certified_holders_with_deadline(cci, world):
    assert cdc_passages_sync(certificateur=cci) == {"created": 5, "updated": 0, "ignored": 0, "withdrawn": 0}
    assert cdc_passages_sync(certificateur=cci) == {
        "created": 0,
        "updated": 0,
        "ignored": 0,
        "withdrawn": 0,
    }  # idempotent
    names = set(CdcPassage.objects.values_list("titulaire", flat=True))
    # Charlie (partiel), Foxtrot (ajourné), Golf (en cours) and UIMM's holders are not declared.
    assert names == {"Alpha Léa", "Bravo Léa", "Echo Léa", "Juliet Léa", "Kilo Léa"}
    echo = CdcPassage.objects.get(titulaire="Echo Léa")
    assert (echo.date_delivrance, echo.echeance) == (dt.date(2024, 12, 5), dt.date(2025, 3, 5))
    assert echo.en_retard and echo.etat == CdcPassage.Etat.A_DECLARER
    assert echo.id_technique == cdc.make_id_technique(cci.pk, world["b1"].public_id, "RNCP36390")


def test_flux_is_xsd_valid_with_nil_fields_and_leaves_out_non_declarable(cci):
    cdc_passages_sync(certificateur=cci)
    flux, refused = cdc_flux_create(certificateur=cci, by=None)
    assert [c.passage.titulaire for c in refused] == ["Kilo Léa"]
    assert any("Lieu de naissance manquant" in r for r in refused[0].reasons)
    data = flux.file.open("rb").read()
    assert cdc.validate_flux(data) == []
    doc = etree.fromstring(data)
    juliet = doc.xpath("//cpf:titulaire[cpf:nomNaissance='Juliet']", namespaces=NS)[0]
    nil = f"{{{cdc.XSI_NS}}}nil"
    assert juliet.find("cpf:jourNaissance", NS).get(nil) == "true"
    assert juliet.find("cpf:moisNaissance", NS).get(nil) == "true"
    assert juliet.find("cpf:nomUsage", NS).get(nil) == "true"
    alpha = doc.xpath("//cpf:titulaire[cpf:nomNaissance='Alpha']", namespaces=NS)[0]
    assert alpha.find("cpf:jourNaissance", NS).text == "14"
    assert alpha.find("cpf:codeCommuneNaissance/cpf:codeInseeNaissance/cpf:codeInsee", NS).text == "2A004"
    assert doc.find(".//cpf:certificateur/cpf:idClient", NS).text == "CCIFR001"
    assert len(doc.findall(".//cpf:passageCertification", NS)) == flux.nb_passages == 4
    assert set(CdcPassage.objects.filter(etat="declare").values_list("titulaire", flat=True)) == {
        "Alpha Léa",
        "Bravo Léa",
        "Echo Léa",
        "Juliet Léa",
    }
    assert CdcPassage.objects.get(titulaire="Kilo Léa").etat == "a_declarer"


def test_missing_birth_year_is_not_declarable(world):
    """The model forbids it, but a holder record missing a CDC-mandatory field must give a reason."""
    dossier = Dossier(
        referentiel=world["rncp"],
        voie_acces="VAE",
        date_deliberation=dt.date(2025, 6, 1),
        date_inscription=dt.date(2024, 9, 1),
    )
    dossier.candidate = Candidate(
        nom_naissance="Sans", prenom1="Année", sexe="F", naissance_annee=None, naissance_code_insee="75056"
    )
    reasons = cdc.check_declarable(passage_for_dossier(dossier=dossier, id_technique="x-1"))
    assert reasons == ["Année de naissance manquante"]


def test_report_with_one_ko_and_two_ok_updates_exactly_those(cci):
    cdc_passages_sync(certificateur=cci)
    flux, _ = cdc_flux_create(certificateur=cci, by=None)
    ids = {p.titulaire: p.id_technique for p in CdcPassage.objects.all()}
    report = _rapport(
        flux.id_flux,
        ok=[ids["Alpha Léa"], ids["Bravo Léa"]],
        ko=[(ids["Echo Léa"], "Aucun titulaire ne correspond aux critères obligatoires")],
    )
    result = cdc_rapport_import(certificateur=cci, by=None, data=report)
    assert (len(result["accepted"]), len(result["rejected"]), result["unknown"]) == (2, 1, [])
    etats = dict(CdcPassage.objects.values_list("titulaire", "etat"))
    assert etats == {
        "Alpha Léa": "accepte",
        "Bravo Léa": "accepte",
        "Echo Léa": "rejete",
        "Juliet Léa": "declare",
        "Kilo Léa": "a_declarer",
    }
    assert CdcPassage.objects.get(titulaire="Echo Léa").message.startswith("Aucun titulaire")
    flux.refresh_from_db()
    assert (flux.nb_ok, flux.nb_ko, flux.id_traitement) == (2, 1, "T-1")

    # Rejected → re-declared under the same idTechnique; accepted and awaiting ones never re-sent.
    second, _ = cdc_flux_create(certificateur=cci, by=None)
    sent = {
        el.text for el in etree.fromstring(second.file.open("rb").read()).iterfind(".//cpf:idTechnique", NS)
    }
    assert sent == {ids["Echo Léa"]}
    echo = CdcPassage.objects.get(titulaire="Echo Léa")
    assert (echo.etat, echo.flux_id, echo.nb_envois) == ("declare", second.pk, 2)
    # A late KO on an accepted passage changes nothing.
    late = cdc_rapport_import(
        certificateur=cci, by=None, data=_rapport(flux.id_flux, ko=[(ids["Alpha Léa"], "x")])
    )
    assert [p.titulaire for p in late["ignored"]] == ["Alpha Léa"]
    assert CdcPassage.objects.get(titulaire="Alpha Léa").etat == "accepte"


def test_report_refusals(cci):
    with pytest.raises(ApplicationError, match="idFlux"):
        cdc_rapport_import(certificateur=cci, by=None, data=_rapport("inconnu", ok=["x"]))
    example = Path("/work/shared/formats/cdc-exemple-flux-v2.0.0.xml")
    if example.exists():  # a flux is not a report: refused with a clear message
        with pytest.raises(ApplicationError, match="accusé de traitement"):
            cdc_rapport_import(certificateur=cci, by=None, data=example.read_bytes())


def test_flux_refused_without_account_or_passages(world, cci_user):
    with tenant_context(world["cci"]):
        cdc_passages_sync(certificateur=world["cci"])
        with pytest.raises(ApplicationError, match="identifiants CDC"):
            cdc_flux_create(certificateur=world["cci"], by=None)
        cdc_compte_save(certificateur=world["cci"], by=None, id_client="CCIFR001", id_contrat="C1")
        with pytest.raises(ApplicationError, match="Aucun passage déclarable"):
            cdc_flux_create(certificateur=world["cci"], by=None, du=dt.date(2030, 1, 1))
        assert CdcFlux.objects.count() == 0


def test_correction_at_the_centre_is_picked_up(cci, world):
    cdc_passages_sync(certificateur=cci)
    kilo = CdcPassage.objects.get(titulaire="Kilo Léa")
    with tenant_context(kilo.centre):
        Candidate.objects.filter(nom_naissance="Kilo").update(
            naissance_code_insee="69123", naissance_commune="Lyon"
        )
    flux, refused = cdc_flux_create(certificateur=cci, by=None, passage_ids=[kilo.public_id])
    assert refused == [] and flux.nb_passages == 1


def test_pages_journey(cci, world, cci_user, client_for):
    client = client_for(cci_user)
    base = f"/o/{cci.slug}/supervision/accrochage"
    assert client.post(f"{base}/synchroniser/").status_code == 302
    page = client.get(f"{base}/").content.decode()
    assert "Kilo Léa" in page and "Lieu de naissance manquant" in page
    bad = client.post(f"{base}/flux/", {"du": "2025-01-01"})
    assert bad.status_code == 400
    assert client.post(f"{base}/flux/", {"du": "", "au": ""}).status_code == 302
    flux = CdcFlux.objects.get()
    xml = client.get(f"{base}/flux/{flux.public_id}.xml")
    assert xml.status_code == 200 and cdc.validate_flux(xml.content) == []
    alpha = CdcPassage.objects.get(titulaire="Alpha Léa").id_technique
    upload = SimpleUploadedFile("rapport.xml", _rapport(flux.id_flux, ok=[alpha]), content_type="text/xml")
    assert client.post(f"{base}/rapport/", {"fichier": upload}).status_code == 302
    assert CdcPassage.objects.get(titulaire="Alpha Léa").etat == "accepte"
    junk = SimpleUploadedFile("rapport.xml", b"<pas-un-rapport/>", content_type="text/xml")
    response = client.post(f"{base}/rapport/", {"fichier": junk})
    assert response.status_code == 400 and "accusé de traitement" in response.content.decode()


def test_api_journey(cci, world, cci_user, api_for):
    api = api_for(cci_user)
    base = f"/api/v1/o/{cci.slug}/supervision/accrochage"
    assert api.post(f"{base}/synchroniser/").json()["created"] == 5
    assert api.get(f"{base}/passages/?etat=a_declarer").json()["count"] == 5
    created = api.post(f"{base}/flux/", {}, format="json")
    assert created.status_code == 201 and created.json()["nb_passages"] == 4
    assert created.json()["refused"][0]["titulaire"] == "Kilo Léa"
    xml = api.get(f"{base}/flux/{created.json()['id']}/xml/")
    assert cdc.validate_flux(xml.content) == []
    ids = [p["id_technique"] for p in api.get(f"{base}/passages/?etat=declare").json()["results"]]
    report = SimpleUploadedFile(
        "r.xml", _rapport(created.json()["id_flux"], ok=ids[:2], ko=[(ids[2], "Plusieurs titulaires")])
    )
    body = api.post(f"{base}/rapports/", {"fichier": report}, format="multipart").json()
    assert len(body["accepted"]) == 2 and body["rejected"][0]["message"] == "Plusieurs titulaires"
    nothing = api.post(f"{base}/flux/", {"du": "2031-01-01"}, format="json")
    assert nothing.status_code == 400 and nothing.json()["error"]["message"].startswith("Aucun passage")
