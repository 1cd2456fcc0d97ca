"""Streaming reader of the France compétences RNCP export (referentiels.rncp) and its generator.

Pure Python, no Django needed: ``pytest -p no:django --noconftest tests/referentiels/test_rncp_parser.py``
(the project conftest imports Django); it runs unchanged inside the Django suite too.
"""

from __future__ import annotations

import gc
import io
import itertools
import os
import time
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from referentiels.rncp import (
    Capacite,
    CodeLibelle,
    RncpError,
    iter_fiches,
    split_competences,
    validate,
)
from referentiels.rncp_synth import synthetic_numero, write_synthetic_export

SAMPLE = Path(
    os.environ.get(
        "RNCP_SAMPLE", str(Path(__file__).resolve().parents[1] / "data" / "rncp-fiches-sample.xml")
    )
)
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason=f"{SAMPLE} absent")


@pytest.fixture(scope="module")
def sample_fiches():
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} absent")
    return {fiche.numero_fiche: fiche for fiche in iter_fiches(SAMPLE)}


def _write(tmp_path: Path, xml: str, name: str = "fiches.xml") -> Path:
    path = tmp_path / name
    path.write_text(xml, encoding="utf-8")
    return path


def _sample_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the real sample with one exact substitution (line numbers unchanged)."""
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return _write(tmp_path, text.replace(old, new))


def _error(path, **kwargs) -> RncpError:
    with pytest.raises(RncpError) as info:
        list(iter_fiches(path, **kwargs))
    return info.value


def _fiche_xml(numero: str = "RNCP1", extra: str = "", intitule: str = "Titre") -> str:
    numero_xml = f"<NUMERO_FICHE>{numero}</NUMERO_FICHE>" if numero else ""
    intitule_xml = f"<INTITULE>{intitule}</INTITULE>" if intitule else ""
    return f"  <FICHE>\n    <ID_FICHE>1</ID_FICHE>\n    {numero_xml}\n    {intitule_xml}\n{extra}  </FICHE>\n"


def _export(*fiches: str) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>\n"
        + "".join(fiches)
        + "</FICHES>\n"
    )


# --------------------------------------------------------------------------- the real sample


def test_sample_fiches_blocs_count_and_order(sample_fiches):
    assert list(sample_fiches) == ["RNCP34762", "RNCP37488", "RNCP36612", "RNCP37674"]
    assert {n: len(f.blocs) for n, f in sample_fiches.items()} == {
        "RNCP34762": 5,
        "RNCP37488": 2,
        "RNCP36612": 4,
        "RNCP37674": 2,
    }


def test_sample_bloc_codes_and_intitules_literal(sample_fiches):
    assert [(b.code, b.intitule) for b in sample_fiches["RNCP36612"].blocs] == [
        (
            "RNCP36612BC01",
            "Gestion des opérations d’administration et de suivi des conditions de travail du personnel",
        ),
        ("RNCP36612BC02", "Etablissement de la paie et des déclarations sociales associées"),
        ("RNCP36612BC03", "Contribution au recrutement et à l’intégration des collaborateurs"),
        ("RNCP36612BC04", "Participation au développement des compétences des collaborateurs"),
    ]
    # CORRESPONDANCES/…/BLOC_COMPETENCES (RNCP31114BC01…) are equivalences, not blocs.
    assert [(b.code, b.intitule) for b in sample_fiches["RNCP37674"].blocs] == [
        ("RNCP37674BC01", "Développer la partie front-end d'une application web ou web mobile sécurisée"),
        ("RNCP37674BC02", "Développer la partie back-end d'une application web ou web mobile sécurisée"),
    ]
    assert [(b.code, b.intitule) for b in sample_fiches["RNCP34762"].blocs] == [
        ("RNCP34762BC01", "Stratégie, organisation, environnement socioéconomique et géopolitique"),
        ("RNCP34762BC02", "Management des hommes, leadership et travail collaboratif"),
        (
            "RNCP34762BC03",
            "Gestion des performances financières et non financières et prise de décision responsable",
        ),
        ("RNCP34762BC04", "Management de la technologie et de l'innovation"),
        ("RNCP34762BC05", "Mobilisation d’une expertise métier au sein d’une organisation"),
    ]


def test_sample_blocs_verbatim_against_a_plain_lxml_read(sample_fiches):
    tree = etree.parse(str(SAMPLE))
    for fiche_el in tree.getroot().iterchildren("FICHE"):
        fiche = sample_fiches[fiche_el.findtext("NUMERO_FICHE")]
        expected = [
            (
                b.findtext("CODE"),
                b.findtext("LIBELLE"),
                b.findtext("LISTE_COMPETENCES"),
                b.findtext("MODALITES_EVALUATION"),
            )
            for b in fiche_el.findall("BLOCS_COMPETENCES/BLOC_COMPETENCES")
        ]
        got = [(b.code, b.intitule, b.liste_competences, b.modalites_evaluation) for b in fiche.blocs]
        assert got == expected
        assert fiche.intitule == fiche_el.findtext("INTITULE")
        assert fiche.activites_visees == fiche_el.findtext("ACTIVITES_VISEES")
        assert fiche.capacites_attestees == fiche_el.findtext("CAPACITES_ATTESTEES")
        assert fiche.objectifs_contexte == fiche_el.findtext("OBJECTIFS_CONTEXTE")
        assert fiche.sourceline == fiche_el.sourceline
        for bloc in fiche.blocs:
            assert bloc.capacites == split_competences(bloc.liste_competences)


def test_sample_rncp36612_fields(sample_fiches):
    f = sample_fiches["RNCP36612"]
    assert (f.id_fiche, f.intitule, f.abrege, f.repertoire) == (
        22850,
        "Assistant en ressources humaines",
        None,
        "RNCP",
    )
    assert (f.etat_fiche, f.actif, f.type_enregistrement, f.niveau_europeen) == (
        "Publiée",
        True,
        "Enregistrement sur demande",
        "NIV5",
    )
    assert f.codes_nsf == [
        CodeLibelle("315t", "Etablissement de la paie, recrutement du personnel et relations sociales")
    ]
    assert [c.code for c in f.codes_rome] == ["M1604", "M1501", "M1203"]
    assert [c.code for c in f.formacodes] == ["35014", "32688", "33052"]
    assert [(c.siret, c.nom, c.etat, c.date_modification_etat) for c in f.certificateurs] == [
        ("18750002000073", "CCI FRANCE", "Actif", date(2023, 5, 1)),
        ("18750002000065", "CCI FRANCE", "Inactif", date(2023, 5, 1)),
    ]
    assert f.existence_partenaires is True
    assert len(f.partenaires) == 26
    first = f.partenaires[0]
    assert (
        first.nom,
        first.siret,
        first.habilitation,
        first.etat,
        first.date_actif,
        first.date_modification_etat,
    ) == (
        "AS FO BEARN SOULE BIGORRE",
        "78235540800025",
        "HABILITATION_ORGA_FORM",
        "Actif",
        date(2023, 2, 10),
        date(2023, 2, 10),
    )
    assert (f.date_decision, f.date_fin_enregistrement, f.date_dernier_jo) == (
        date(2022, 7, 1),
        date(2027, 7, 1),
        date(2016, 10, 4),
    )
    assert (f.date_publication, f.date_effet) == (None, None)  # fiche sur demande
    assert (f.anciennes_certifications, f.nouvelles_certifications) == (["RNCP27095"], [])
    assert f.objectifs_contexte.startswith("De la gestion de la paie, en passant par")


def test_sample_rncp34762_dates_oui_non_and_links(sample_fiches):
    f = sample_fiches["RNCP34762"]
    assert f.actif is False and f.existence_partenaires is False and f.partenaires == []
    assert (f.date_publication, f.date_effet, f.date_fin_enregistrement, f.date_decision) == (
        date(2020, 7, 23),
        date(2020, 9, 1),
        date(2024, 8, 31),
        None,
    )
    assert (f.nouvelles_certifications, f.anciennes_certifications) == (["RNCP39568"], ["RNCP24998"])
    assert f.abrege == CodeLibelle("DipViGrM", "Diplôme visé grade de master")
    assert f.niveau_europeen == "NIV7"
    assert [c.code for c in f.codes_nsf] == ["313", "310", "315p"]
    assert [c.siret for c in f.certificateurs] == ["81738914100018", "11004401300040"]


def test_sample_rncp37674_partenaires(sample_fiches):
    f = sample_fiches["RNCP37674"]
    assert len(f.partenaires) == 471
    assert f.partenaires[0].nom == "10MENTIONWEB FORMATION"
    assert f.partenaires[0].date_actif is None  # no DATE_ACTIF in the XML
    assert f.partenaires[0].date_modification_etat == date(2026, 8, 14)
    assert {p.habilitation for p in f.partenaires} == {"HABILITATION_ORGA_FORM", "HABILITATION_FORMER"}
    assert f.anciennes_certifications == ["RNCP31114"]
    assert f.abrege == CodeLibelle("TP", "Titre professionnel")


@needs_sample
def test_filter_by_numeros():
    assert [f.numero_fiche for f in iter_fiches(SAMPLE, numeros={"RNCP37674"})] == ["RNCP37674"]
    assert [f.numero_fiche for f in iter_fiches(SAMPLE, numeros={"RNCP36612", "RNCP34762"})] == [
        "RNCP34762",
        "RNCP36612",
    ]
    assert list(iter_fiches(SAMPLE, numeros=set())) == []
    assert list(iter_fiches(SAMPLE, numeros={"RNCP1"})) == []


def test_filter_does_not_build_skipped_fiches(tmp_path):
    # The skipped fiche has a bad date: not built, so not reported; its numéro is still checked.
    bad = _fiche_xml("RNCP2", "    <DATE_EFFET>31/02/2024</DATE_EFFET>\n")
    path = _write(tmp_path, _export(_fiche_xml("RNCP1"), bad))
    assert [f.numero_fiche for f in iter_fiches(path, numeros={"RNCP1"})] == ["RNCP1"]
    assert validate(path, numeros={"RNCP1"}) == []
    assert len(validate(path)) == 1


@needs_sample
def test_sources_path_str_and_file_objects():
    data = SAMPLE.read_bytes()
    expected = ["RNCP34762", "RNCP37488", "RNCP36612", "RNCP37674"]
    assert [f.numero_fiche for f in iter_fiches(str(SAMPLE))] == expected
    with SAMPLE.open("rb") as handle:
        assert [f.numero_fiche for f in iter_fiches(handle)] == expected
    assert [f.numero_fiche for f in iter_fiches(io.BytesIO(data))] == expected
    assert validate(SAMPLE) == []


# --------------------------------------------------------------------------- split_competences


def test_split_coded_sample_text(sample_fiches):
    bloc1, bloc2, *_rest, bloc5 = sample_fiches["RNCP34762"].blocs
    caps = split_competences(bloc1.liste_competences)
    assert [c.code for c in caps] == ["A1C1", "A1C2", "A1C3", "A1C4", "A1C5", "A1C6", "A1C7"]
    assert caps[0] == Capacite(
        "A1C1",
        "Evaluer, depuis son périmètre et/ou son métier, avec les outils adéquats, les contextes économiques et "
        "géopolitiques qui peuvent venir impacter les choix stratégiques de l'entreprise et la conduite "
        "opérationnelle des activités",
    )
    assert caps[1].intitule.startswith("Apprécier, depuis son périmètre d'activité")  # "A1C2.Apprécier"
    assert "(SI, R&D, Production, Marketing, ...)" in caps[3].intitule  # &amp; decoded
    assert [c.code for c in split_competences(bloc2.liste_competences)] == [f"A2C{i}" for i in range(1, 11)]
    # "En mobilisant … :    A5.C1. …": the introduction is dropped, dotted codes kept as written.
    caps5 = split_competences(bloc5.liste_competences)
    assert [c.code for c in caps5] == ["A5.C1", "A5.C2", "A5.C3", "A5.C4", "A5.C5"]
    assert caps5[0].intitule.startswith("Réaliser un diagnostic d’une situation")


def test_split_bullets_sample_text(sample_fiches):
    bloc1 = sample_fiches["RNCP37488"].blocs[0]
    assert split_competences(bloc1.liste_competences) == [
        ("1", "Valider le fonctionnement d’un réseau"),
        ("2", "Coder"),
        ("3", "Installer une infrastructure réseau"),
        ("4", "Exploiter une installation réseau"),
        ("5", "Maintenir un réseau"),
    ]


def test_split_plain_lines_sample_texts(sample_fiches):
    assert sample_fiches["RNCP37674"].blocs[0].capacites == [
        ("1", "Installer et configurer son environnement de travail en fonction du projet web ou web mobile"),
        ("2", "Maquetter des interfaces utilisateur web ou web mobile"),
        ("3", "Réaliser des interfaces utilisateur statiques web ou web mobile"),
        ("4", "Développer la partie dynamique des interfaces utilisateur web ou web mobile"),
    ]
    caps = sample_fiches["RNCP36612"].blocs[0].capacites  # one sentence per line, 4-space runs
    assert len(caps) == 9
    assert caps[0].intitule.startswith(
        "Réaliser une veille règlementaire régulière en matière de droit social"
    )
    assert caps[-1] == (
        "9",
        "Diffuser l’information sociale au sein de l’entreprise, en participant au choix des canaux de "
        "communication interne (intranet, journal interne, newsletter…) et en contribuant à la formalisation "
        "des outils mobilisés, afin de garantir la bonne information des salariés.",
    )


def test_split_numbered_with_nested_bullets_sample_text(sample_fiches):
    caps = split_competences(sample_fiches["RNCP37674"].capacites_attestees)
    assert [c.code for c in caps] == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4"]
    assert caps[4] == ("2.1", "Mettre en place une base de données relationnelle")


def test_split_html_fragments_and_newlines():
    assert split_competences(
        "<ul><li>C1 - Rédiger le cahier des charges</li><li>C2 - Contrôler</li></ul>"
    ) == [
        ("C1", "Rédiger le cahier des charges"),
        ("C2", "Contrôler"),
    ]
    assert split_competences(
        "<p>Le candidat sait :</p><ul><li>Analyser&nbsp;un besoin</li><li>Piloter</li></ul>"
    ) == [
        ("1", "Analyser un besoin"),
        ("2", "Piloter"),
    ]
    assert split_competences("1. Concevoir<br/>2) Réaliser<br>3 - Tester") == [
        ("1", "Concevoir"),
        ("2", "Réaliser"),
        ("3", "Tester"),
    ]
    assert split_competences("C.1.1 Identifier les risques\nC.1.2 : Évaluer les risques ;") == [
        ("C.1.1", "Identifier les risques"),
        ("C.1.2", "Évaluer les risques"),
    ]
    assert split_competences("• Accueillir le client\n• Conseiller le client") == [
        ("1", "Accueillir le client"),
        ("2", "Conseiller le client"),
    ]


def test_split_continuations_and_refusals():
    # A run of spaces before a lower-case word is a broken sentence, not a new capacité.
    assert split_competences("Analyser les besoins   du client    Rédiger le cahier des charges") == [
        ("1", "Analyser les besoins du client"),
        ("2", "Rédiger le cahier des charges"),
    ]
    assert split_competences("C1. Piloter la politique   RH de l'entreprise") == [
        ("C1", "Piloter la politique RH de l'entreprise")
    ]
    one_paragraph = "Le titulaire organise son activité. Il rend compte à sa hiérarchie."
    assert split_competences(one_paragraph) == []
    assert split_competences("") == [] and split_competences(None) == [] and split_competences("   ") == []


# --------------------------------------------------------------------------- errors


def test_malformed_xml_names_line_and_column(tmp_path):
    path = _write(
        tmp_path, "<?xml version='1.0'?>\n<FICHES>\n  <FICHE>\n    <INTITULE>x</INTITULEX>\n</FICHES>\n"
    )
    error = _error(path)
    assert (error.filename, error.line, error.column) == ("fiches.xml", 4, 28)
    assert str(error) == (
        "fiches.xml, ligne 4, colonne 28 : XML mal formé : Opening and ending tag mismatch: INTITULE line 4 and INTITULEX"
    )
    assert [str(e) for e in validate(path)] == [str(error)]


def test_truncated_and_empty_files(tmp_path):
    error = _error(_write(tmp_path, _export(_fiche_xml())[:-20]))
    assert error.line and "XML mal formé" in str(error)
    error = _error(_write(tmp_path, "", name="vide.xml"))
    assert str(error).startswith("vide.xml : XML mal formé ou vide")


def test_undeclared_entity_is_malformed(tmp_path):
    path = _write(tmp_path, _export(_fiche_xml(intitule="Caf&eacute;")))
    error = _error(path)
    assert (error.line, str(error)) == (
        6,
        "fiches.xml, ligne 6, colonne 26 : XML mal formé : Entity 'eacute' not defined",
    )


@needs_sample
def test_missing_numero_fiche_in_real_sample(tmp_path):
    # RNCP37674 still has CORRESPONDANCE/DESTINATION/NUMERO_FICHE: it must not be taken as its numéro.
    path = _sample_with(tmp_path, "<NUMERO_FICHE>RNCP37674</NUMERO_FICHE>", "")
    error = _error(path)
    assert str(error) == "fiches.xml, ligne 711, FICHE n° 4 (ID_FICHE 24208) : NUMERO_FICHE manquant"
    assert (error.line, error.element, error.field) == (711, "FICHE", "NUMERO_FICHE")


@needs_sample
def test_bad_date_in_real_sample(tmp_path):
    path = _sample_with(
        tmp_path,
        "<DATE_FIN_ENREGISTREMENT>01/09/2028</DATE_FIN_ENREGISTREMENT>",
        "<DATE_FIN_ENREGISTREMENT>31/02/2024</DATE_FIN_ENREGISTREMENT>",
    )
    fiches = iter_fiches(path)
    assert [next(fiches).numero_fiche for _ in range(3)] == ["RNCP34762", "RNCP37488", "RNCP36612"]
    with pytest.raises(RncpError) as info:
        next(fiches)  # raises on the first invalid fiche
    assert str(info.value) == (
        "fiches.xml, ligne 4123, FICHE RNCP37674 : date invalide « 31/02/2024 » dans DATE_FIN_ENREGISTREMENT "
        "(attendu JJ/MM/AAAA)"
    )
    assert (info.value.fiche, info.value.field) == ("RNCP37674", "DATE_FIN_ENREGISTREMENT")


@needs_sample
def test_duplicate_numero_in_real_sample_names_both_lines(tmp_path):
    path = _sample_with(
        tmp_path, "<NUMERO_FICHE>RNCP37674</NUMERO_FICHE>", "<NUMERO_FICHE>RNCP36612</NUMERO_FICHE>"
    )
    expected = "fiches.xml, ligne 711, FICHE RNCP36612 : NUMERO_FICHE RNCP36612 en double : FICHE ligne 323 et FICHE ligne 711"
    assert str(_error(path)) == expected
    assert [str(e) for e in validate(path)] == [expected]
    with path.open("rb") as handle:  # a seekable file object is re-read too
        assert [str(e) for e in validate(handle)] == [expected]


def test_duplicate_in_non_seekable_stream(tmp_path):
    class Stream(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            return self._data.readinto(buffer)

    data = _export(_fiche_xml("RS12"), _fiche_xml("RS12")).encode()
    assert str(_error(Stream(data))) == (
        "<flux>, ligne 8, FICHE RS12 : NUMERO_FICHE RS12 en double : une FICHE plus haut (ligne non relue) "
        "et FICHE ligne 8"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "    <DATE_EFFET>2024-02-01</DATE_EFFET>\n",
            "FICHE RNCP1 : date invalide « 2024-02-01 » dans DATE_EFFET (attendu JJ/MM/AAAA)",
        ),
        (
            "    <ACTIF>Peut-être</ACTIF>\n",
            "FICHE RNCP1 : valeur invalide « Peut-être » dans ACTIF (attendu Oui ou Non)",
        ),
        (
            "    <PARTENAIRES><PARTENAIRE><DATE_ACTIF>01/01/2020</DATE_ACTIF></PARTENAIRE>\n"
            "    <PARTENAIRE><DATE_ACTIF>1/1/2020</DATE_ACTIF></PARTENAIRE></PARTENAIRES>\n",
            "FICHE RNCP1 : date invalide « 1/1/2020 » dans PARTENAIRES/PARTENAIRE[2]/DATE_ACTIF (attendu JJ/MM/AAAA)",
        ),
        (
            "    <BLOCS_COMPETENCES><BLOC_COMPETENCES><LIBELLE>Sans code</LIBELLE></BLOC_COMPETENCES>"
            "</BLOCS_COMPETENCES>\n",
            "FICHE RNCP1 : CODE manquant dans BLOCS_COMPETENCES/BLOC_COMPETENCES[1]",
        ),
        (
            "    <BLOCS_COMPETENCES>\n    <BLOC_COMPETENCES><CODE>RNCP1BC01</CODE><LIBELLE>A</LIBELLE></BLOC_COMPETENCES>\n"
            "    <BLOC_COMPETENCES><CODE>RNCP1BC01</CODE><LIBELLE>B</LIBELLE></BLOC_COMPETENCES>\n"
            "    </BLOCS_COMPETENCES>\n",
            "FICHE RNCP1 : bloc RNCP1BC01 en double dans la fiche (lignes 8 et 9)",
        ),
    ],
)
def test_field_errors(tmp_path, extra, message):
    path = _write(tmp_path, _export(_fiche_xml("RNCP1", extra)))
    error = _error(path)
    assert str(error).startswith("fiches.xml, ligne ") and str(error).endswith(message), str(error)
    assert error.line >= 3


def test_missing_intitule_and_bad_numero(tmp_path):
    error = _error(_write(tmp_path, _export(_fiche_xml("RNCP1", intitule=""))))
    assert str(error) == "fiches.xml, ligne 3, FICHE RNCP1 : INTITULE manquant"
    error = _error(_write(tmp_path, _export(_fiche_xml("RNCP 12"))))
    assert str(error) == (
        "fiches.xml, ligne 5, FICHE n° 1 (ID_FICHE 1) : NUMERO_FICHE invalide « RNCP 12 » "
        "(attendu RNCP ou RS suivi de chiffres)"
    )


def test_validate_collects_every_error_sorted(tmp_path):
    path = _write(
        tmp_path,
        _export(
            _fiche_xml("RNCP1"),
            _fiche_xml("", intitule="Sans numéro"),
            _fiche_xml("RNCP3", "    <DATE_EFFET>32/01/2024</DATE_EFFET>\n    <ACTIF>oui</ACTIF>\n"),
            _fiche_xml("RNCP1"),
        ),
    )
    errors = validate(path)
    assert [e.line for e in errors] == sorted(e.line for e in errors)
    assert [e.detail for e in errors] == [
        "NUMERO_FICHE manquant",
        "date invalide « 32/01/2024 » dans DATE_EFFET (attendu JJ/MM/AAAA)",
        "valeur invalide « oui » dans ACTIF (attendu Oui ou Non)",
        "NUMERO_FICHE RNCP1 en double : FICHE ligne 3 et FICHE ligne 20",
    ]
    assert len(validate(path, max_errors=2)) == 2


def test_doctype_and_xxe_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = (
        "<?xml version='1.0'?>\n"
        f'<!DOCTYPE FICHES [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        "<FICHES><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE><INTITULE>&xxe;</INTITULE></FICHE></FICHES>\n"
    )
    error = _error(_write(tmp_path, xxe))
    assert (
        str(error) == "fiches.xml, ligne 2 : DOCTYPE interdit (DTD et entités refusées dans un export RNCP)"
    )
    assert "TOP-SECRET" not in str(error)
    assert [str(e) for e in validate(_write(tmp_path, xxe))] == [str(error)]

    laughs = (
        "<?xml version='1.0'?>\n<!DOCTYPE FICHES [<!ENTITY a 'aaaaaaaaaa'>"
        + "".join(
            f"<!ENTITY {c} '{('&' + p + ';') * 10}'>" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "]>\n<FICHES><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE><INTITULE>&i;</INTITULE></FICHE></FICHES>\n"
    )
    started = time.perf_counter()
    assert "DOCTYPE interdit" in str(_error(_write(tmp_path, laughs)))
    assert time.perf_counter() - started < 1

    external = "<?xml version='1.0'?>\n<!DOCTYPE FICHES SYSTEM 'http://example.invalid/x.dtd'>\n<FICHES/>\n"
    assert "DOCTYPE interdit" in str(_error(_write(tmp_path, external)))


def test_wrong_root_and_empty_export(tmp_path):
    error = _error(_write(tmp_path, "<?xml version='1.0'?>\n<EXPORT>\n<FICHE/>\n</EXPORT>\n"))
    assert str(error) == "fiches.xml, ligne 2 : élément racine FICHES attendu, trouvé EXPORT"
    assert list(iter_fiches(_write(tmp_path, _export()))) == []


# --------------------------------------------------------------------------- synthetic exports


@pytest.fixture(scope="module")
def synthetic_2000(tmp_path_factory):
    path = tmp_path_factory.mktemp("rncp") / "synthetique-2000.xml"
    write_synthetic_export(path, 2000, seed=1)
    return path


def test_synthetic_is_deterministic_and_shaped_like_the_sample(tmp_path):
    write_synthetic_export(tmp_path / "a.xml", 30, seed=7)
    write_synthetic_export(tmp_path / "b.xml", 30, seed=7)
    write_synthetic_export(tmp_path / "c.xml", 30, seed=7, compact=True)
    assert (tmp_path / "a.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} absent")
    # Every synthetic element exists in the real sample, and never in an order the sample contradicts.
    sample_tags, sample_before = _tags_and_precedence(etree.parse(str(SAMPLE)).getroot())
    for name in ("a.xml", "c.xml"):
        root = etree.parse(str(tmp_path / name)).getroot()
        assert (root.tag, root[0].tag, root[0].text) == ("FICHES", "VERSION_FLUX", "4.1")
        tags, before = _tags_and_precedence(root)
        assert tags <= sample_tags, tags - sample_tags
        assert not {(b, a) for a, b in before} & sample_before


def _tags_and_precedence(root) -> tuple[set[str], set[tuple[str, str]]]:
    """All element names (at any depth under FICHE) and the pairs (a, b) where a precedes b."""
    tags: set[str] = set()
    before: set[tuple[str, str]] = set()
    for fiche in root.iterchildren("FICHE"):
        for element in fiche.iter():
            tags.add(element.tag)
            children = [child.tag for child in element]
            for i, first in enumerate(children):
                before.update((first, later) for later in children[i + 1 :] if later != first)
    return tags, before


def test_synthetic_2000_fiches_parse_fully(synthetic_2000):
    count = blocs = 0
    for i, fiche in enumerate(iter_fiches(synthetic_2000)):
        assert fiche.numero_fiche == synthetic_numero(i)
        assert fiche.intitule and fiche.certificateurs and fiche.date_fin_enregistrement
        assert 2 <= len(fiche.blocs) <= 5
        for bloc in fiche.blocs:
            assert bloc.code.startswith(fiche.numero_fiche + "BC")
            assert 3 <= len(bloc.capacites) <= 8, bloc.liste_competences
        if i % 100 == 99:
            assert len(fiche.partenaires) == 400
        count += 1
        blocs += len(fiche.blocs)
    assert count == 2000 and blocs > 6000
    assert (
        list(iter_fiches(synthetic_2000, numeros={synthetic_numero(1234)}))[0].numero_fiche == "RNCP9001234"
    )


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _measure(path: Path) -> tuple[int, int, int | None, float]:
    """Parse ``path`` fully: (fiches, peak traced bytes of the loop, RSS growth, seconds).

    Only the parse loop counts: the peak is taken relative to the traced memory when the loop
    starts (so it also works if tracemalloc was already running). RSS is sampled too, because
    libxml2's own memory (the tree that must be cleared) is invisible to tracemalloc.
    """
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    rss_start = _rss_bytes()
    rss_max = rss_start
    count = 0
    started = time.perf_counter()
    try:
        tracemalloc.reset_peak()
        baseline, _peak = tracemalloc.get_traced_memory()
        for count, _fiche in enumerate(iter_fiches(path), 1):
            if rss_start is not None and count % 500 == 0:
                rss_max = max(rss_max, _rss_bytes() or 0)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    elapsed = time.perf_counter() - started
    return count, peak - baseline, (rss_max - rss_start) if rss_start is not None else None, elapsed


def test_memory_is_flat_as_the_file_grows(tmp_path_factory):
    """Peak traced memory of the parse loop must not grow with the file (×10 fiches → < ×1.5).

    Compact fiches (same shape, ~20 elements) keep tracemalloc's overhead affordable; realistic
    fiches are covered by test_synthetic_2000_fiches_parse_fully.
    """
    directory = tmp_path_factory.mktemp("rncp-memoire")
    small, large = directory / "2000.xml", directory / "20000.xml"
    write_synthetic_export(small, 2_000, seed=2, compact=True)
    write_synthetic_export(large, 20_000, seed=2, compact=True)
    for _fiche in itertools.islice(iter_fiches(small), 50):  # warm-up: lazy imports, caches
        pass

    n_small, peak_small, rss_small, t_small = _measure(small)
    n_large, peak_large, rss_large, t_large = _measure(large)

    report = (
        f"2,000 fiches: peak {peak_small / 1024:.0f} KiB in {t_small:.1f} s; "
        f"20,000 fiches: peak {peak_large / 1024:.0f} KiB in {t_large:.1f} s; "
        f"RSS growth {rss_small} / {rss_large} bytes"
    )
    print(report)
    assert (n_small, n_large) == (2_000, 20_000)
    assert peak_large < 1.5 * peak_small, report
    if rss_large is not None:  # a tree that is not cleared grows RSS by ~200 MB here
        assert rss_large < 32 * 1024 * 1024, report
