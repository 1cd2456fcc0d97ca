"""The seed référentiels in the database, the exchange format round trip, versioning rules."""

import datetime as dt
import json

import pytest
from django.db import DatabaseError, connection, transaction

from core.errors import ApplicationError
from referentiels.exchange import FormatError, document_dumps, document_parse
from referentiels.models import Capacite, Critere, Referentiel
from referentiels.seeds import SEEDS, seed_path
from referentiels.selectors import referentiel_list
from referentiels.services import (
    capacite_update,
    habilitation_grant,
    referentiel_delete,
    referentiel_export,
    referentiel_import,
    referentiel_new_version,
    referentiel_publish,
    referentiel_update,
)

EXPECTED = {
    # file: (blocs, capacités, critères)
    "cqpm-attache-gestion.json": (1, 5, 19),
    "cqpm-management-equipes.json": (1, 10, 41),
    "cqpm-responsable-affaires.json": (1, 7, 48),
    "cqpi-assistant.json": (4, 9, 80),
    "rncp36390.json": (4, 32, 124),
}


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_structure_in_database(seeds, name):
    referentiel = seeds[name]
    blocs, capacites, criteres = EXPECTED[name]
    assert referentiel.status == Referentiel.Status.PUBLISHED
    assert referentiel.blocs.count() == blocs
    assert referentiel.capacites.count() == capacites
    assert Critere.objects.filter(capacite__referentiel=referentiel).count() == criteres


def test_rncp36390_details(seeds):
    ref = seeds["rncp36390.json"]
    assert ref.code == "RNCP36390" and ref.kind == "RNCP"
    assert list(ref.blocs.values_list("code", flat=True)) == [f"RNCP36390BC0{i}" for i in range(1, 5)]
    assert ref.activites.count() == 18
    assert ref.regle["type"] == "grille_points" and ref.regle["seuil_points"] == 500
    assert [b["points"] for b in ref.regle["blocs"]] == [250, 175, 175, 150]
    assert Capacite.objects.get(referentiel=ref, code="C.1.1.1").activites.get().code == "A.1.1"


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_round_trip_is_byte_identical(seeds, name):
    original = seed_path(name).read_text(encoding="utf-8")
    exported = document_dumps(referentiel_export(referentiel=seeds[name]))
    assert exported == original
    # export → import (as another version) → export gives the same text but for the version.
    doc = json.loads(exported)
    doc["version"] = 99
    again = referentiel_import(doc=doc, certificateur=seeds[name].certificateur)
    assert document_dumps(referentiel_export(referentiel=again)) == exported.replace(
        '"version": 1,', '"version": 99,', 1
    )


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_yaml_round_trip(seeds, name):
    doc = referentiel_export(referentiel=seeds[name])
    text = document_dumps(doc, fmt="yaml")
    assert document_parse(text, "x.yaml") == doc


def test_export_query_count_is_constant(seeds, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        referentiel_export(referentiel=seeds["rncp36390.json"])


@pytest.mark.parametrize(
    ("mutate", "where", "message"),
    [
        (lambda d: d.pop("intitule"), "document", "champ(s) manquant(s) : intitule"),
        (lambda d: d.update(kind="BTS"), "élément kind", "type de certification inconnu « BTS »"),
        (
            lambda d: d["blocs"][0]["capacites"].append(dict(d["blocs"][0]["capacites"][0])),
            "élément blocs[0].capacites[5].code",
            "code de capacité en double « 1 »",
        ),
        (
            lambda d: d["blocs"][0]["capacites"][2]["criteres"][1].update(texte=" "),
            "élément blocs[0].capacites[2].criteres[1].texte",
            "ne doit pas être vide",
        ),
        (
            lambda d: d.update(date_enregistrement="31/02/2024"),
            "élément date_enregistrement",
            "date invalide « 31/02/2024 »",
        ),
        (
            lambda d: d["blocs"][0]["modalites"][0].update(type="qcm"),
            "élément blocs[0].modalites[0].type",
            "type de modalité inconnu « qcm »",
        ),
        (lambda d: d.update(extra=1), "document", "champ(s) inconnu(s) : extra"),
        (lambda d: d.update(regle={"type": "au_hasard"}), "élément regle.type", ""),
    ],
)
def test_bad_documents_name_the_element(mutate, where, message):
    doc = json.loads(seed_path("cqpm-attache-gestion.json").read_text())
    mutate(doc)
    with pytest.raises(FormatError) as exc:
        document_parse(json.dumps(doc), "mon-fichier.json")
    assert exc.value.filename == "mon-fichier.json"
    assert exc.value.where == where
    assert message in exc.value.message


def test_malformed_json_names_line_and_column():
    with pytest.raises(FormatError) as exc:
        document_parse('{\n  "format": "certif-referentiel/1",\n  "code": \n}', "casse.json")
    assert str(exc.value).startswith("casse.json, ligne 4, colonne 1 : JSON invalide")


def test_malformed_yaml_names_line():
    with pytest.raises(FormatError) as exc:
        document_parse("format: x\n  code: [\n", "casse.yaml")
    assert "casse.yaml, ligne" in str(exc.value)


def test_failed_import_writes_nothing(cci):
    doc = json.loads(seed_path("rncp36390.json").read_text())
    doc["activites"][0]["capacites"] = ["C.9.9.9"]
    with pytest.raises(FormatError):
        referentiel_import(doc=doc, certificateur=cci)
    assert Referentiel.objects.count() == 0 and Capacite.objects.count() == 0


def test_published_version_is_read_only(seeds):
    ref = seeds["cqpm-attache-gestion.json"]
    with pytest.raises(ApplicationError, match="ne peut plus être modifié"):
        referentiel_update(referentiel=ref, by=ref.certificateur, intitule="Autre")
    capacite = ref.capacites.first()
    with pytest.raises(ApplicationError, match="Créez une nouvelle version"):
        capacite_update(capacite=capacite, by=ref.certificateur, intitule="x", conditions="", criteres=[])
    with pytest.raises(ApplicationError):
        referentiel_delete(referentiel=ref, by=ref.certificateur)


def test_database_refuses_changing_a_published_version(seeds):
    ref = seeds["cqpm-attache-gestion.json"]
    for statement in (
        "UPDATE referentiels_referentiel SET intitule = 'piraté' WHERE id = %s",
        "DELETE FROM referentiels_referentiel WHERE id = %s",
        "UPDATE referentiels_capacite SET intitule = 'piraté' WHERE referentiel_id = %s",
        "DELETE FROM referentiels_bloc WHERE referentiel_id = %s",
        "UPDATE referentiels_critere SET texte = 'x' WHERE capacite_id IN (SELECT id FROM referentiels_capacite WHERE referentiel_id = %s)",
    ):
        with (
            pytest.raises(DatabaseError, match="publié"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [ref.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        Referentiel.objects.filter(pk=ref.pk).update(status="draft")
    ref.refresh_from_db()
    assert ref.status == "published" and ref.intitule.startswith("Attaché")


def test_new_version_copies_into_a_draft_then_publish_archives_the_old(seeds):
    ref = seeds["rncp36390.json"]
    draft = referentiel_new_version(referentiel=ref, by=ref.certificateur)
    assert (draft.version, draft.status) == (2, "draft")
    assert draft.capacites.count() == ref.capacites.count()
    capacite = draft.capacites.get(code="C.1.1.1")
    capacite_update(
        capacite=capacite,
        by=draft.certificateur,
        intitule="Nouvel intitulé",
        conditions="",
        criteres=[{"texte": "Un critère"}],
    )
    with pytest.raises(ApplicationError, match="brouillon de RNCP36390 existe déjà"):
        referentiel_new_version(referentiel=ref, by=ref.certificateur)
    referentiel_publish(referentiel=draft, by=draft.certificateur)
    ref.refresh_from_db()
    assert ref.status == "archived"
    assert ref.capacites.get(code="C.1.1.1").intitule != "Nouvel intitulé"


def test_other_certificateur_cannot_touch(seeds, certificateurs):
    ref = seeds["rncp36390.json"]
    with pytest.raises(ApplicationError, match="autre certificateur"):
        referentiel_new_version(referentiel=ref, by=certificateurs["uimm"])


def test_centre_sees_only_habilitated_published_versions(seeds, org_a, certificateurs):
    assert referentiel_list(organisation=org_a).count() == 0
    habilitation_grant(
        certificateur=certificateurs["cci-france"],
        centre=org_a,
        code="RNCP36390",
        date_debut=dt.date(2020, 1, 1),
    )
    assert [r.code for r in referentiel_list(organisation=org_a)] == ["RNCP36390"]
    # An expired habilitation no longer grants access.
    habilitation_grant(
        certificateur=certificateurs["uimm"],
        centre=org_a,
        code="CQPM-attache-gestion",
        date_debut=dt.date(2020, 1, 1),
        date_fin=dt.date(2021, 1, 1),
    )
    assert [r.code for r in referentiel_list(organisation=org_a)] == ["RNCP36390"]
    # A certificateur sees its own, every status.
    assert referentiel_list(organisation=certificateurs["uimm"]).count() == 3


def test_habilitation_bad_input(seeds, org_a, certificateurs):
    with pytest.raises(ApplicationError, match="Aucun référentiel"):
        habilitation_grant(
            certificateur=certificateurs["uimm"],
            centre=org_a,
            code="RNCP36390",
            date_debut=dt.date(2024, 1, 1),
        )
    with pytest.raises(ApplicationError, match="fin précède"):
        habilitation_grant(
            certificateur=certificateurs["cci-france"],
            centre=org_a,
            code="RNCP36390",
            date_debut=dt.date(2024, 1, 1),
            date_fin=dt.date(2023, 1, 1),
        )
    with pytest.raises(ApplicationError, match="accordée à un centre"):
        habilitation_grant(
            certificateur=certificateurs["cci-france"],
            centre=certificateurs["uimm"],
            code="RNCP36390",
            date_debut=dt.date(2024, 1, 1),
        )
