"""Tests of the CDC accrochage module (pure Python: marked `pure`, `make test-pure` runs them without
PostgreSQL nor Redis)."""

from __future__ import annotations

import dataclasses
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

# With -p no:django nothing puts the project root on sys.path (no pytest `pythonpath` setting yet).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from certificateur.cdc import (  # noqa: E402
    CDC_NS,
    DEFAULT_XSD_PATH,
    XSI_NS,
    CdcFluxError,
    Certificateur,
    Certification,
    DossierFormation,
    Flux,
    InitiativeInscription,
    Mention,
    ModaliteAcces,
    ModalitePassageExamen,
    ModalitesInscription,
    NatureDeposant,
    NiveauCECRL,
    NiveauNumeriqueEuropeen,
    ObtentionCertification,
    PassageCertification,
    RapportInvalide,
    ResultatNumerique,
    Sexe,
    Titulaire,
    TypeCertification,
    VoieAccesVAE,
    build_flux,
    check_declarable,
    check_flux,
    load_schema,
    make_id_technique,
    parse_rapport,
    validate_flux,
)

EXEMPLE = Path(__file__).resolve().parents[1] / "data" / "cdc-exemple-flux-v2.0.0.xml"
SHARED_XSD = Path(__file__).resolve().parents[2] / "certificateur" / "xsd" / "cdc-certifications-v1.1.2.xsd"
NS = {"cpf": CDC_NS}
NIL = f"{{{XSI_NS}}}nil"


def _exemple_bytes() -> bytes:
    if not EXEMPLE.exists():
        pytest.skip("official example not available")
    return EXEMPLE.read_bytes()


def titulaire_complet() -> Titulaire:
    return Titulaire(
        nom_naissance="Dupont",
        nom_usage="Martin",
        prenom1="Élodie",
        prenom2="Marie",
        prenom3="Anne",
        annee_naissance=1996,
        mois_naissance=11,
        jour_naissance=15,
        sexe=Sexe.F,
        code_insee_naissance="2A004",
        libelle_commune_naissance="Ajaccio",
        code_pays_naissance="FRA",
        libelle_pays_naissance="France",
        commentaires_men="RAS",
    )


def passage_complet() -> PassageCertification:
    return PassageCertification(
        id_technique=make_id_technique("org-1", "cand-1", "RNCP36612"),
        url_preuve="https://exemple.fr/preuve/1",
        libelle_option="Option gestion",
        obtention_certification=ObtentionCertification.PAR_SCORING,
        donnee_certifiee=True,
        date_debut_examen=date(2024, 5, 2),
        date_fin_examen=date(2024, 5, 3),
        modalite_passage_examen=ModalitePassageExamen.EN_PRESENTIEL,
        code_postal_centre_examen="31000",
        date_debut_validite=date(2024, 6, 20),
        date_fin_validite=date(2029, 6, 20),
        presence_niveau_langue_euro=True,
        niveau_langue_europeen=NiveauCECRL.B2,
        presence_niveau_numerique_euro=True,
        niveau_numerique_europeen=NiveauNumeriqueEuropeen(
            score_general=850,
            resultats=[ResultatNumerique(niveau=5, domaine_competence_id="3", competence_id="4")],
        ),
        scoring="15.5/20",
        mention_validee=Mention.MENTION_BIEN,
        modalites_inscription=ModalitesInscription(
            modalite_acces=ModaliteAcces.VAE,
            voie_acces_vae=VoieAccesVAE.VAE_CLASSIQUE,
            initiative_inscription=InitiativeInscription.CERTIFIE,
            date_inscription=date(2023, 9, 1),
        ),
        identification=titulaire_complet(),
        verbatim="Jury du 20 juin",
    )


def passage_minimal(id_technique: str = "cand-2") -> PassageCertification:
    """Only what the XSD makes mandatory; every nillable element left to nil."""
    return PassageCertification(
        id_technique=id_technique,
        date_debut_validite=date(2024, 6, 20),
        identification=Titulaire(
            nom_naissance="N'Guyen",
            prenom1="Lan",
            annee_naissance=1988,
            sexe="M",
            mois_naissance=3,  # day unknown
            code_postal_naissance="69003",
        ),
    )


def flux_de(*passages: PassageCertification, **kw) -> Flux:
    return Flux(
        emetteur_id_client="AB123CDE",
        certificateur=Certificateur(id_client="E564ACB0", id_contrat="2560080000127J"),
        certifications=[
            Certification(
                type=TypeCertification.RNCP,
                code="RNCP36612",
                nature_deposant=NatureDeposant.CERTIFICATEUR,
                passages=list(passages),
            )
        ],
        id_flux="6e3c7378-bda4-497a-9bd6-dc203f903ed9",
        horodatage=datetime(2024, 7, 1, 9, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2))),
        **kw,
    )


def _passage_el(root: etree._Element, id_technique: str) -> etree._Element:
    (el,) = root.xpath("//cpf:passageCertification[cpf:idTechnique=$id]", namespaces=NS, id=id_technique)
    return el


# --------------------------------------------------------------------------- build + validate


def test_shipped_xsd_is_the_shared_one():
    if not SHARED_XSD.exists():
        pytest.skip("shared formats not available")
    assert DEFAULT_XSD_PATH.read_bytes() == SHARED_XSD.read_bytes()


def test_build_full_and_minimal_passages_validate():
    full, mini = passage_complet(), passage_minimal()
    xml = build_flux(flux_de(full, mini))
    assert validate_flux(xml) == []
    assert validate_flux(xml, SHARED_XSD if SHARED_XSD.exists() else None) == []

    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<cpf:flux ')
    root = etree.fromstring(xml)
    assert root.tag == f"{{{CDC_NS}}}flux"
    assert root.nsmap["cpf"] == CDC_NS
    assert root.findtext("cpf:horodatage", namespaces=NS) == "2024-07-01T09:30:05+02:00"

    f = _passage_el(root, full.id_technique)
    # XSD declaration order
    assert [etree.QName(c).localname for c in f] == [
        "idTechnique", "urlPreuve", "libelleOption", "obtentionCertification", "donneeCertifiee",
        "dateDebutExamen", "dateFinExamen", "modalitePassageExamen", "codePostalCentreExamen",
        "dateDebutValidite", "dateFinValidite", "presenceNiveauLangueEuro", "niveauLangueEuropeen",
        "presenceNiveauNumeriqueEuro", "niveauNumeriqueEuropeen", "scoring", "mentionValidee",
        "modalitesInscription", "identificationTitulaire", "verbatim",
    ]  # fmt: skip
    assert f.findtext("cpf:dateFinValidite", namespaces=NS) == "2029-06-20"
    assert f.findtext(".//cpf:codeInsee", namespaces=NS) == "2A004"
    assert f.findtext(".//cpf:prenom1", namespaces=NS) == "Élodie"
    assert f.findtext(".//cpf:voieAccessVAE", namespaces=NS) == "VAE_CLASSIQUE"
    assert not f.xpath(".//*[@xsi:nil]", namespaces={"xsi": XSI_NS})

    m = _passage_el(root, "cand-2")
    nils = sorted(
        etree.QName(e).localname for e in m.xpath(".//*[@xsi:nil='true']", namespaces={"xsi": XSI_NS})
    )
    assert nils == [
        "dateFinValidite",
        "jourNaissance",
        "mentionValidee",
        "modaliteAcces",
        "nomUsage",
        "scoring",
    ]
    for e in m.xpath(".//*[@xsi:nil='true']", namespaces={"xsi": XSI_NS}):
        assert e.text is None and len(e) == 0
    assert m.findtext(".//cpf:moisNaissance", namespaces=NS) == "3"
    assert m.findtext(".//cpf:codePostalNaissance/cpf:codePostal", namespaces=NS) == "69003"
    for absent in (
        "urlPreuve",
        "dateDebutExamen",
        "niveauLangueEuropeen",
        "niveauNumeriqueEuropeen",
        "verbatim",
    ):
        assert m.find(f"cpf:{absent}", namespaces=NS) is None
    assert m.findtext("cpf:presenceNiveauLangueEuro", namespaces=NS) == "false"
    assert m.findtext("cpf:donneeCertifiee", namespaces=NS) == "true"


def test_build_year_only_birth_abroad_and_dossier_formation():
    abroad = PassageCertification(
        id_technique="cand-3",
        date_debut_validite=date(2024, 6, 20),
        identification=Titulaire(
            nom_naissance="Smith",
            prenom1="John",
            annee_naissance=1975,  # month and day unknown
            sexe=Sexe.M,
            code_pays_naissance="GBR",
            libelle_pays_naissance="Royaume-Uni",
        ),
    )
    dossier = PassageCertification(
        id_technique="cand-4",
        date_debut_validite=date(2024, 6, 20),
        identification=DossierFormation(
            id_dossier="1234567891011", nom_titulaire="Dupont", prenom1_titulaire="Antoine"
        ),
    )
    xml = build_flux(flux_de(abroad, dossier))
    assert validate_flux(xml) == []
    root = etree.fromstring(xml)
    a = _passage_el(root, "cand-3")
    assert a.find(".//cpf:moisNaissance", namespaces=NS).get(NIL) == "true"
    assert a.find(".//cpf:jourNaissance", namespaces=NS).get(NIL) == "true"
    assert a.find(".//cpf:codePostalNaissance/cpf:codePostal", namespaces=NS).get(NIL) == "true"
    d = _passage_el(root, "cand-4")
    assert d.findtext(".//cpf:dossierFormation/cpf:idDossier", namespaces=NS) == "1234567891011"
    assert d.find(".//cpf:titulaire", namespaces=NS) is None


def test_build_refuses_non_declarable_passage():
    bad = passage_minimal("cand-x")
    bad.identification.annee_naissance = None
    with pytest.raises(CdcFluxError) as exc:
        build_flux(flux_de(passage_complet(), bad))
    assert "Passage cand-x : Année de naissance manquante" in exc.value.reasons


def test_check_flux_header_and_duplicates():
    f = flux_de(passage_minimal("dup"), passage_minimal("dup"))
    f.emetteur_id_client = "TROP-LONG-ID"
    f.horodatage = datetime(2024, 7, 1, 9, 30)  # naive
    f.certifications[0].code = "RS5875"
    reasons = check_flux(f)
    assert any("émetteur" in r and "8 caractères" in r for r in reasons)
    assert "Horodatage sans fuseau horaire" in reasons
    assert any("incohérent avec le type RNCP" in r for r in reasons)
    assert "Passage dup : identifiant technique en double dans le flux" in reasons


def test_make_id_technique_is_stable():
    a = make_id_technique(1, 42, "RNCP36612")
    assert a == make_id_technique(1, 42, "RNCP36612")
    assert a != make_id_technique(1, 43, "RNCP36612")
    assert len(a) <= 255


# --------------------------------------------------------------------------- check_declarable


def test_check_declarable_ok_for_valid_passages():
    assert check_declarable(passage_complet()) == []
    assert check_declarable(passage_minimal()) == []


def test_check_declarable_missing_birth_year():
    p = passage_minimal()
    p.identification.annee_naissance = None
    assert check_declarable(p) == ["Année de naissance manquante"]


def test_check_declarable_lists_reasons_in_french():
    p = passage_complet()
    t = p.identification
    t.code_insee_naissance = "3155"
    t.nom_naissance = "  "
    t.jour_naissance, t.mois_naissance, t.annee_naissance = 31, 2, 1990
    t.sexe = "X"
    t.prenom1 = "x" * 61
    p.presence_niveau_langue_euro = False
    p.mention_validee = "MENTION_PASSABLE"
    p.date_fin_validite = date(2020, 1, 1)
    p.modalites_inscription.modalite_acces = ModaliteAcces.CANDIDAT_LIBRE
    p.scoring = None
    reasons = check_declarable(p)
    assert "Code commune INSEE invalide : « 3155 » (5 caractères, ex. 31555 ou 2A004)" in reasons
    assert "Nom de naissance manquant(e)" in reasons
    assert "Date de naissance inexistante (31/02/1990)" in reasons
    assert "Sexe invalide : « X » (M ou F attendu)" in reasons
    assert "Premier prénom trop long(ue) (61 caractères, 60 au maximum)" in reasons
    assert "Niveau de langue européen renseigné mais présence non déclarée" in reasons
    assert any(r.startswith("Mention invalide") for r in reasons)
    assert "Date de fin de validité antérieure à la date de délivrance" in reasons
    assert "Voie d'accès VAE renseignée alors que la modalité d'accès n'est pas VAE" in reasons
    assert "Score manquant pour une obtention par scoring" in reasons


def test_check_declarable_day_without_month_and_missing_place():
    p = passage_minimal()
    t = p.identification
    t.mois_naissance, t.jour_naissance = None, 12
    t.code_postal_naissance = None
    reasons = check_declarable(p)
    assert "Jour de naissance renseigné sans le mois" in reasons
    assert any(r.startswith("Lieu de naissance manquant") for r in reasons)


def test_check_declarable_lengths_are_in_characters_after_nfc():
    p = passage_minimal()
    # 60 characters once composed, 70 code points in NFD
    p.identification.nom_naissance = "e\u0301" * 10 + "a" * 50
    assert check_declarable(p) == []
    assert validate_flux(build_flux(flux_de(p))) == []


def test_check_declarable_dates_and_identification():
    p = dataclasses.replace(passage_minimal(), date_debut_validite=None, identification=None)
    p.date_debut_examen = datetime(2024, 1, 1, 10, 0)
    reasons = check_declarable(p)
    assert "Date de début de validité (date de délivrance) manquante" in reasons
    assert "Identification du titulaire manquante (état civil ou dossier de formation)" in reasons
    assert "Date de début d'examen : une date (sans heure) est attendue" in reasons


# --------------------------------------------------------------------------- validate_flux


def test_official_example_validates():
    assert validate_flux(_exemple_bytes()) == []


def test_schema_is_cached():
    assert load_schema() is load_schema(DEFAULT_XSD_PATH)


def test_corrupted_example_lists_missing_element_with_line():
    data = _exemple_bytes()
    root = etree.fromstring(data)
    second = root.xpath("//cpf:passageCertification", namespaces=NS)[1]
    dfv = second.find("cpf:dateDebutValidite", namespaces=NS)
    dfv.getparent().remove(dfv)
    corrupted = etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    issues = validate_flux(corrupted)
    assert len(issues) == 1
    issue = issues[0]
    assert issue.element == "passageCertification"
    assert issue.path.endswith("cpf:passageCertifications/cpf:passageCertification[2]")
    assert (
        issue.line
        == etree.fromstring(corrupted).xpath("//cpf:passageCertification", namespaces=NS)[1].sourceline
    )
    assert issue.line > 1
    assert "Missing child element" in issue.message and "dateDebutValidite" in issue.message
    assert issue.reason_fr.startswith("élément obligatoire manquant")
    assert "dateDebutValidite" in issue.reason_fr
    assert issue.id_technique == "10c54fd2-f3a3-4dea-b975-4d7258bd10b3"
    assert "ligne" in str(issue)


def test_invalid_value_and_wrong_nil():
    data = (
        _exemple_bytes()
        .replace(b"<cpf:sexe>M</cpf:sexe>", b"<cpf:sexe>H</cpf:sexe>", 1)
        .replace(
            b"<cpf:nomUsage>Dupont</cpf:nomUsage>", b'<cpf:nomUsage xsi:nil="true">Dupont</cpf:nomUsage>', 1
        )
    )
    issues = validate_flux(data)
    by_el = {i.element: i for i in issues}
    assert by_el["sexe"].reason_fr == "valeur hors de la liste autorisée"
    assert by_el["sexe"].id_technique == "db855769-bcd6-4253-93cf-e666db666c0a"
    assert by_el["nomUsage"].reason_fr == "élément marqué xsi:nil mais avec un contenu"


def test_issue_points_to_passage_in_second_certification():
    f = flux_de(passage_minimal("c1-p1"))
    f.certifications.append(
        Certification(type="RS", code="RS5875", passages=[passage_minimal("c2-p1"), passage_minimal("c2-p2")])
    )
    xml = build_flux(f, indent=False)
    assert b"\n  <" not in xml
    root = etree.fromstring(xml)
    _passage_el(root, "c2-p2").find(".//cpf:anneeNaissance", namespaces=NS).text = "1850"
    issues = validate_flux(etree.tostring(root))
    assert [(i.element, i.id_technique, i.reason_fr) for i in issues] == [
        ("anneeNaissance", "c2-p2", "valeur trop petite")
    ]
    assert "cpf:certification[2]" in issues[0].path


def test_validate_malformed_and_doctype():
    issues = validate_flux(b"<cpf:flux xmlns:cpf='urn:cdc:cpf:pc5:schema:1.0.0'><cpf:idFlux>")
    assert len(issues) == 1 and issues[0].reason_fr == "XML mal formé" and issues[0].line == 1
    evil = b'<?xml version="1.0"?><!DOCTYPE flux [<!ENTITY x SYSTEM "file:///etc/passwd">]><flux>&x;</flux>'
    assert validate_flux(evil)[0].reason_fr == "DOCTYPE interdit dans un flux CDC"


# --------------------------------------------------------------------------- parse_rapport

RAPPORT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema">
    <nomFichier>6e3c7378-bda4-497a-9bd6-dc203f903ed9.xml</nomFichier>
    <idFlux>6e3c7378-bda4-497a-9bd6-dc203f903ed9</idFlux>
    <idTraitement>51354</idTraitement>
    <PassagesKO>
        <passage>
            <idTechnique>cand-2</idTechnique>
            <messageErreur>Aucun titulaire ne correspond aux critères obligatoires</messageErreur>
        </passage>
    </PassagesKO>
    <PassagesOK>
        <idTechnique>cand-1</idTechnique>
        <idTechnique>cand-3</idTechnique>
    </PassagesOK>
</rapport>
"""


def test_parse_rapport_one_ko_two_ok():
    r = parse_rapport(RAPPORT.encode())
    assert r.id_flux == "6e3c7378-bda4-497a-9bd6-dc203f903ed9"
    assert r.nom_fichier == "6e3c7378-bda4-497a-9bd6-dc203f903ed9.xml"
    assert r.id_traitement == "51354"
    assert r.ok == ("cand-1", "cand-3")
    assert r.ids_ko == {"cand-2"}
    assert len(r.ko) == 1
    assert r.ko[0].message == "Aucun titulaire ne correspond aux critères obligatoires"
    assert r.ko[0].code is None
    assert r.erreurs("cand-2") == ["Aucun titulaire ne correspond aux critères obligatoires"]


def test_parse_rapport_qualified_namespace_and_code():
    xml = b"""<r:rapport xmlns:r="urn:cdc:cpf:pc5:rapport:schema">
      <r:idFlux>F1</r:idFlux>
      <r:PassagesKO><r:passage><r:idTechnique>a</r:idTechnique><r:codeErreur>E42</r:codeErreur></r:passage></r:PassagesKO>
    </r:rapport>"""
    r = parse_rapport(xml)
    assert r.ok == () and r.ko[0].id_technique == "a" and r.ko[0].code == "E42" and r.ko[0].message == ""
    assert r.nom_fichier is None and r.id_traitement is None


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        (b"<rapport><idFlux>F1</idFlux><PassagesOK><idTechnique>a</idTechnique>", "mal formé"),
        (b"", "vide"),
        (b"<flux><idFlux>F1</idFlux></flux>", "racine <flux>"),
        (b"<rapport><nomFichier>x.xml</nomFichier></rapport>", "<idFlux> manquant"),
        (
            b"<rapport><idFlux>F1</idFlux><total>3</total></rapport>",
            "élément <total> inattendu dans <rapport>",
        ),
        (
            b"<rapport><idFlux>F1</idFlux><PassagesKO><passage><idTechnique>a</idTechnique></passage>"
            b"</PassagesKO></rapport>",
            "sans <messageErreur> ni <codeErreur>",
        ),
        (
            b"<rapport><idFlux>F1</idFlux><PassagesOK><idTechnique>a</idTechnique></PassagesOK>"
            b"<PassagesKO><passage><idTechnique>a</idTechnique><messageErreur>x</messageErreur></passage>"
            b"</PassagesKO></rapport>",
            "à la fois OK et KO",
        ),
        (b"<rapport xmlns='urn:autre'><idFlux>F1</idFlux></rapport>", "espace de noms"),
        (
            b"<rapport><idFlux>F1</idFlux><PassagesOK>a</PassagesOK></rapport>",
            "texte inattendu dans <PassagesOK>",
        ),
        (b"<rapport><idFlux>F1</idFlux><idFlux>F2</idFlux></rapport>", "<idFlux> en double"),
    ],
)
def test_parse_rapport_refuses_malformed(xml, fragment):
    with pytest.raises(RapportInvalide) as exc:
        parse_rapport(xml)
    assert fragment in str(exc.value)


def test_parse_rapport_refuses_doctype_entity(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    evil = f"""<?xml version="1.0"?>
<!DOCTYPE rapport [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rapport><idFlux>&xxe;</idFlux><PassagesOK><idTechnique>a</idTechnique></PassagesOK></rapport>""".encode()
    with pytest.raises(RapportInvalide) as exc:
        parse_rapport(evil)
    assert "DOCTYPE" in str(exc.value)
    assert "TOP-SECRET" not in str(exc.value)

    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE rapport [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rapport><idFlux>&b;</idFlux></rapport>"""
    with pytest.raises(RapportInvalide, match="DOCTYPE"):
        parse_rapport(laughs)


def test_parse_rapport_refuses_undeclared_entity():
    with pytest.raises(RapportInvalide):
        parse_rapport(b"<rapport><idFlux>&xxe;</idFlux></rapport>")
