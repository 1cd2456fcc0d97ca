"""France compétences RNCP export → draft référentiels, through the service, the command and the API."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.models import Habilitation, Referentiel
from referentiels.rncp_import import rncp_import
from referentiels.services import referentiel_publish
from tests.data import RNCP_SAMPLE

SAMPLE = str(RNCP_SAMPLE)


def test_sample_imports_every_fiche_with_blocs_as_in_the_xml(cci):
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci)
    assert report.total == 4
    ref = Referentiel.objects.get(code="RNCP36612")
    assert ref.status == "draft" and ref.kind == "RNCP" and ref.niveau_europeen == "NIV5"
    assert list(ref.blocs.values_list("code", flat=True)) == ["RNCP36612BC01", "RNCP36612BC02", "RNCP36612BC03", "RNCP36612BC04"]
    assert ref.blocs.get(code="RNCP36612BC02").intitule == "Etablissement de la paie et des déclarations sociales associées"
    assert ref.capacites.filter(bloc__code="RNCP36612BC02").count() == 9
    assert ref.capacites.get(code="RNCP36612BC02.1").intitule.startswith("Paramétrer le logiciel de paie")
    # Raw texts and partners are kept.
    assert len(ref.source["rncp"]["partenaires"]) == 26
    assert "RNCP36612BC02" in ref.source["rncp"]["blocs"]
    assert Referentiel.objects.get(code="RNCP37488").blocs.count() == 2
    assert Referentiel.objects.get(code="RNCP34762").blocs.count() == 5


def test_filter_by_numero_and_reimport_updates_the_draft(cci):
    rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci, numeros={"RNCP37674"})
    assert list(Referentiel.objects.values_list("code", "version")) == [("RNCP37674", 1)]
    rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci, numeros={"RNCP37674"})
    assert Referentiel.objects.count() == 1
    referentiel_publish(referentiel=Referentiel.objects.get(), by=cci)
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci, numeros={"RNCP37674"})
    assert report.fiches[0].action == "nouvelle version"
    assert sorted(Referentiel.objects.values_list("version", "status")) == [(1, "published"), (2, "draft")]


def test_partner_with_known_siret_gets_habilitation(cci):
    centre = Organisation.objects.create(kind="centre", slug="campus-du-lac", name="Campus du Lac", siret="41058110200010")
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci, numeros={"RNCP36612"})
    assert report.habilitations == 1
    assert Habilitation.objects.get().centre == centre


def test_dry_run_writes_nothing(cci):
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci, dry_run=True)
    assert report.total == 4 and Referentiel.objects.count() == 0


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (b"<FICHES><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE>", "ligne"),
        (b"<FICHES><FICHE><ID_FICHE>1</ID_FICHE><INTITULE>x</INTITULE></FICHE></FICHES>", "NUMERO_FICHE"),
        (
            b"<FICHES><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE><INTITULE>x</INTITULE><DATE_FIN_ENREGISTREMENT>31/02/2024</DATE_FIN_ENREGISTREMENT></FICHE></FICHES>",
            "31/02/2024",
        ),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><FICHES></FICHES>', "DOCTYPE"),
    ],
)
def test_bad_exports_are_refused_whole(cci, xml, expected):
    good = open(SAMPLE, "rb").read()
    with pytest.raises(ApplicationError) as exc:
        rncp_import(source=io.BytesIO(xml), filename="mauvais.xml", certificateur=cci)
    assert "mauvais.xml" in exc.value.message and expected in exc.value.message
    assert "rien n'a été écrit" in exc.value.message
    assert Referentiel.objects.count() == 0
    assert good  # the sample itself is fine


def test_a_bad_fiche_after_good_ones_writes_nothing(cci):
    text = open(SAMPLE, encoding="utf-8").read()
    broken = text.replace("<NUMERO_FICHE>RNCP37674</NUMERO_FICHE>", "<NUMERO_FICHE>RNCP37674</NUMERO_FICHE><DATE_FIN_ENREGISTREMENT>99/99/2024</DATE_FIN_ENREGISTREMENT>", 1)
    with pytest.raises(ApplicationError):
        rncp_import(source=io.BytesIO(broken.encode()), filename="x.xml", certificateur=cci)
    assert Referentiel.objects.count() == 0


def test_command(cci, capsys):
    call_command("import_rncp", SAMPLE, "--certificateur", "cci-france", "--fiche", "RNCP36612")
    assert Referentiel.objects.get().code == "RNCP36612"
    with pytest.raises(CommandError, match="Certificateur inconnu"):
        call_command("import_rncp", SAMPLE, "--certificateur", "personne")


def test_centre_cannot_import(org_a):
    with pytest.raises(ApplicationError, match="Seul un certificateur"):
        rncp_import(source=SAMPLE, filename="s.xml", certificateur=org_a)
