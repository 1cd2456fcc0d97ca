"""France compétences RNCP export → draft référentiels, through the service, the command and the API."""

import io
import re

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


#: Certificateurs of the sample's fiches, as the SIRET_CERTIFICATEUR / NOM_CERTIFICATEUR say.
EDUCATION_NATIONALE = ("11004301500012", "Ministère de l'Éducation nationale et de la Jeunesse")  # RNCP37488
GRENOBLE_EM = ("81738914100018", "Grenoble École de Management")  # RNCP34762 (with the ministry)
TRAVAIL = ("11000007200014", "Ministère du Travail")  # RNCP37674


def _certificateur(slug, siret_name):
    siret, name = siret_name
    return Organisation.objects.create(kind="certificateur", slug=slug, name=name, siret=siret)


def test_sample_imports_every_fiche_with_blocs_as_in_the_xml(cci):
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci)
    assert report.total == 1 and [f.code for f in report.fiches] == ["RNCP36612"]
    ref = Referentiel.objects.get(code="RNCP36612")
    assert ref.status == "draft" and ref.kind == "RNCP" and ref.niveau_europeen == "NIV5"
    assert list(ref.blocs.values_list("code", flat=True)) == [
        "RNCP36612BC01",
        "RNCP36612BC02",
        "RNCP36612BC03",
        "RNCP36612BC04",
    ]
    assert (
        ref.blocs.get(code="RNCP36612BC02").intitule
        == "Etablissement de la paie et des déclarations sociales associées"
    )
    assert ref.capacites.filter(bloc__code="RNCP36612BC02").count() == 9
    assert ref.capacites.get(code="RNCP36612BC02.1").intitule.startswith("Paramétrer le logiciel de paie")
    # Raw texts and partners are kept.
    assert len(ref.source["rncp"]["partenaires"]) == 26
    assert "RNCP36612BC02" in ref.source["rncp"]["blocs"]
    rncp_import(
        source=SAMPLE,
        filename="sample.xml",
        certificateur=_certificateur("education-nationale", EDUCATION_NATIONALE),
    )
    rncp_import(source=SAMPLE, filename="sample.xml", certificateur=_certificateur("gem", GRENOBLE_EM))
    assert Referentiel.objects.get(code="RNCP37488").blocs.count() == 2
    assert Referentiel.objects.get(code="RNCP34762").blocs.count() == 5
    assert Referentiel.objects.get(code="RNCP34762").certificateur.slug == "gem"


def test_filter_by_numero_and_reimport_updates_the_draft(db):
    travail = _certificateur("travail", TRAVAIL)
    rncp_import(source=SAMPLE, filename="sample.xml", certificateur=travail, numeros={"RNCP37674"})
    assert list(Referentiel.objects.values_list("code", "version")) == [("RNCP37674", 1)]
    rncp_import(source=SAMPLE, filename="sample.xml", certificateur=travail, numeros={"RNCP37674"})
    assert Referentiel.objects.count() == 1
    referentiel_publish(referentiel=Referentiel.objects.get(), by=travail)
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=travail, numeros={"RNCP37674"})
    assert report.fiches[0].action == "nouvelle version"
    assert sorted(Referentiel.objects.values_list("version", "status")) == [(1, "published"), (2, "draft")]


def test_fiches_of_other_certificateurs_are_skipped_and_reported(cci):
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci)
    assert report.skipped_total == 3
    reasons = {f.code: f.raison for f in report.skipped}
    assert set(reasons) == {"RNCP34762", "RNCP37488", "RNCP37674"}
    assert "MINISTERE DU TRAVAIL" in reasons["RNCP37674"] and "11000007200014" in reasons["RNCP37674"]
    assert list(Referentiel.objects.values_list("code", flat=True)) == ["RNCP36612"]


def test_a_foreign_fiche_asked_by_number_is_skipped_not_missing(cci):
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci, numeros={"RNCP37674"})
    assert report.total == 0 and [f.code for f in report.skipped] == ["RNCP37674"]
    assert Referentiel.objects.count() == 0


@pytest.mark.parametrize(
    ("siret", "name", "imported"),
    [
        ("18750002000073", "Autre nom", True),  # the SIRET of an active certificateur entry decides
        ("99999999999999", "CCI France", False),  # both have a SIRET and they differ: not the name
        ("18750002000065", "CCI France", False),  # this entry of the fiche is Inactif
        ("", "c.c.i. FRANCE", True),  # no SIRET of its own: the normalised name decides
    ],
)
def test_match_on_siret_then_on_normalised_name(db, siret, name, imported):
    org = Organisation.objects.create(kind="certificateur", slug="org", name=name, siret=siret)
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=org, numeros={"RNCP36612"})
    assert (report.total == 1) is imported
    assert Referentiel.objects.filter(code="RNCP36612").exists() is imported
    if siret == "18750002000065":
        assert "inactive" in report.skipped[0].raison


def test_name_fallback_when_the_fiche_has_no_siret(db):
    org = Organisation.objects.create(
        kind="certificateur",
        slug="travail",
        name="Ministère du travail, du plein emploi et de l'insertion",
        siret="11000007200099",
    )
    text = (
        open(SAMPLE, encoding="utf-8")
        .read()
        .replace("<SIRET_CERTIFICATEUR>11000007200014</SIRET_CERTIFICATEUR>", "")
    )
    report = rncp_import(source=io.BytesIO(text.encode()), filename="x.xml", certificateur=org)
    assert [f.code for f in report.fiches] == ["RNCP37674"]


def test_partner_with_known_siret_gets_habilitation(cci):
    centre = Organisation.objects.create(
        kind="centre", slug="campus-du-lac", name="Campus du Lac", siret="41058110200010"
    )
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci, numeros={"RNCP36612"})
    assert report.habilitations == 1
    assert Habilitation.objects.get().centre == centre


def test_dry_run_writes_nothing(cci):
    report = rncp_import(source=SAMPLE, filename="sample.xml", certificateur=cci, dry_run=True)
    assert report.total == 1 and report.skipped_total == 3 and Referentiel.objects.count() == 0


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
    broken = text.replace(
        "<NUMERO_FICHE>RNCP37674</NUMERO_FICHE>",
        "<NUMERO_FICHE>RNCP37674</NUMERO_FICHE><DATE_FIN_ENREGISTREMENT>99/99/2024</DATE_FIN_ENREGISTREMENT>",
        1,
    )
    with pytest.raises(ApplicationError):
        rncp_import(source=io.BytesIO(broken.encode()), filename="x.xml", certificateur=cci)
    assert Referentiel.objects.count() == 0


def test_command(cci, capsys):
    call_command("import_rncp", SAMPLE, "--certificateur", "cci-france", "--fiche", "RNCP36612")
    assert Referentiel.objects.get().code == "RNCP36612"
    call_command("import_rncp", SAMPLE, "--certificateur", "cci-france", "--dry-run")
    out = capsys.readouterr().out
    assert "3 fiche(s) ignorée(s)" in out and "RNCP37674 ignorée : certifiée par MINISTERE DU TRAVAIL" in out
    with pytest.raises(CommandError, match="Certificateur inconnu"):
        call_command("import_rncp", SAMPLE, "--certificateur", "personne")


def test_centre_cannot_import(org_a):
    with pytest.raises(ApplicationError, match="Seul un certificateur"):
        rncp_import(source=SAMPLE, filename="s.xml", certificateur=org_a)


def test_command_reports_a_format_error_of_a_fiche_cleanly(cci, monkeypatch):
    from referentiels import rncp_import as module
    from referentiels.exchange import FormatError

    def broken(*args, **kwargs):
        raise FormatError("sample.xml", "élément blocs[0].code", "ne doit pas être vide")

    monkeypatch.setattr(module, "referentiels_create_many", broken)
    with pytest.raises(CommandError, match=r"sample.xml, élément blocs\[0\].code : ne doit pas être vide"):
        call_command("import_rncp", SAMPLE, "--certificateur", "cci-france")
    assert Referentiel.objects.count() == 0


def test_api_and_page_report_skipped_fiches(cci, api_for, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from organisations.roles import Role
    from tests.conftest import make_member

    staff = make_member(cci, Role.CERTIFICATEUR, "staff@cci.test")
    upload = SimpleUploadedFile("sample.xml", open(SAMPLE, "rb").read())
    response = api_for(staff).post("/api/v1/referentiels/import", {"fichier": upload}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == 1 and body["total_ignorees"] == 3
    assert {f["code"] for f in body["ignorees"]} == {"RNCP34762", "RNCP37488", "RNCP37674"}
    assert all(f["raison"].startswith("certifiée par ") for f in body["ignorees"])
    assert list(Referentiel.objects.values_list("code", flat=True)) == ["RNCP36612"]

    upload = SimpleUploadedFile("sample.xml", open(SAMPLE, "rb").read())
    page = client_for(staff).post("/o/cci-france/referentiels/importer/", {"fichier": upload})
    html = page.content.decode()
    assert page.status_code == 200 and "3 fiche(s) ignorée(s)" in html and "RNCP37674" in html


def test_reimport_replaces_the_drafts_content_in_bulk(db, tmp_path, django_assert_max_num_queries):
    """A second export with a renamed bloc and a bloc removed: the draft (same version) now holds
    exactly the new structure; its rows are replaced in bulk: one UPDATE per fiche for its header,
    a constant number of statements for the structures (the per-fiche path took ~24 per fiche)."""
    from referentiels.rncp_synth import write_synthetic_export

    org = Organisation.objects.create(kind="certificateur", slug="bench", name="Bench Certificateur")
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    write_synthetic_export(first, 30, seed=3, certificateur="Bench Certificateur")
    rncp_import(source=str(first), filename="a.xml", certificateur=org)
    code = "RNCP9000000"
    before = Referentiel.objects.get(code=code)
    blocs_before = list(before.blocs.values_list("code", flat=True))
    assert len(blocs_before) >= 2
    text = first.read_text(encoding="utf-8")
    head, sep, rest = text.partition(f"<NUMERO_FICHE>{code}</NUMERO_FICHE>")
    fiche, end, tail = rest.partition("</FICHE>")
    last = blocs_before[-1]
    # the last bloc leaves the fiche; the first one is renamed
    start = fiche.index(f"<CODE>{last}</CODE>")
    fiche = (
        fiche[: fiche.rindex("<BLOC_COMPETENCES>", 0, start)]
        + fiche[fiche.index("</BLOC_COMPETENCES>", start) + len("</BLOC_COMPETENCES>") :]
    )
    i = fiche.index("<LIBELLE>", fiche.index(f"<CODE>{blocs_before[0]}</CODE>"))
    fiche = (
        fiche[: i + len("<LIBELLE>")]
        + "Bloc renommé par France compétences"
        + fiche[fiche.index("</LIBELLE>", i) :]
    )
    second.write_text(head + sep + fiche + end + tail, encoding="utf-8")

    with django_assert_max_num_queries(30 + 15):
        report = rncp_import(source=str(second), filename="b.xml", certificateur=org)
    assert report.total == 30 and {f.action for f in report.fiches} == {"mise à jour du brouillon"}
    after = Referentiel.objects.get(code=code)
    assert after.pk == before.pk and after.version == 1 and after.status == "draft"
    assert list(after.blocs.values_list("code", flat=True)) == blocs_before[:-1]
    assert after.blocs.get(code=blocs_before[0]).intitule == "Bloc renommé par France compétences"
    assert not after.capacites.filter(code__startswith=last).exists()
    assert Referentiel.objects.count() == 30


def _writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE", "COPY"}
    ]


def test_batch_writes_take_the_same_queries_whatever_the_number_of_fiches(db, tmp_path, monkeypatch):
    """Issue 19: « the import streams and writes in set-based batches (no per-fiche round trips) »:
    a batch of 30 new fiches and a batch of 60 take exactly the same statements (one COPY per
    table, ids taken in one query), and the file is read once (validation and writing in one pass)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referentiels import rncp_import as module
    from referentiels.models import Bloc, Capacite
    from referentiels.rncp_synth import synthetic_numero, write_synthetic_export

    monkeypatch.setattr(module, "CHUNK", 100)
    org = Organisation.objects.create(kind="certificateur", slug="bench", name="Bench Certificateur")
    path = tmp_path / "a.xml"
    write_synthetic_export(path, 90, seed=7, certificateur="Bench Certificateur")

    class Counting(io.FileIO):
        read_bytes = 0

        def read(self, size=-1):
            data = super().read(size)
            Counting.read_bytes += len(data)
            return data

    counts = []
    for numeros in ({synthetic_numero(i) for i in range(30)}, {synthetic_numero(i) for i in range(30, 90)}):
        Counting.read_bytes = 0
        with Counting(path) as fh, CaptureQueriesContext(connection) as queries:
            report = rncp_import(source=fh, filename="a.xml", certificateur=org, numeros=numeros)
        assert report.total == len(numeros)
        assert Counting.read_bytes == path.stat().st_size  # one reading, not two
        counts.append(
            [re.sub(r'"s\d+_x\d+"', "sp", q["sql"].split("(", 1)[0].split(" WHERE")[0]) for q in queries]
        )
    assert counts[0] == counts[1], counts
    copies = [q for q in counts[1] if q.startswith("COPY")]
    assert len(copies) == 3 and len(counts[1]) < 15, counts[1]  # référentiels, blocs, capacités
    assert Referentiel.objects.count() == 90
    blocs = Bloc.objects.filter(referentiel__code=synthetic_numero(45))
    assert blocs.exists() and Capacite.objects.filter(bloc__in=blocs).count() >= blocs.count()


def test_queries_per_batch_do_not_grow_with_the_fiches_and_an_unchanged_reimport_writes_nothing(
    db, tmp_path, monkeypatch
):
    """The import writes in set-based batches: its query count is a few per batch of
    ``CHUNK`` fiches (lookups done once per batch, never per fiche), habilitations included; a
    second import of the same export writes no row; a draft edited since is written again."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referentiels import rncp
    from referentiels import rncp_import as module
    from referentiels.models import Capacite
    from referentiels.rncp_synth import write_synthetic_export

    monkeypatch.setattr(module, "CHUNK", 20)
    org = Organisation.objects.create(kind="certificateur", slug="bench", name="Bench Certificateur")
    path = tmp_path / "a.xml"
    write_synthetic_export(path, 120, seed=5, certificateur="Bench Certificateur")
    # Centres for the organising partenaires of a few fiches: their habilitations are granted too.
    sirets = []
    for fiche in rncp.iter_fiches(str(path)):
        for p in fiche.partenaires:
            if p.etat == "Actif" and p.habilitation in module.ORGANISER and p.siret not in sirets:
                sirets.append(p.siret)
    assert len(sirets) >= 3
    for i, siret in enumerate(sirets[:20]):
        Organisation.objects.create(kind="centre", slug=f"centre-{i}", name=f"Centre {i}", siret=siret)

    batches = 120 // 20
    with CaptureQueriesContext(connection) as first:
        report = rncp_import(source=str(path), filename="a.xml", certificateur=org)
    assert report.total == 120 and report.habilitations >= 3
    assert Referentiel.objects.count() == 120 and Habilitation.objects.exists()
    habilitations = sorted(Habilitation.objects.values_list("centre_id", "referentiel_code", "date_debut"))
    # 1 (centres) + per batch: lookup, enregistrements, référentiels, blocs, capacités, fingerprints,
    # habilitations lookup and insert (+ savepoints): far under one query per fiche.
    assert len(first) <= 4 + 10 * batches < report.total, [q["sql"][:80] for q in first]

    with CaptureQueriesContext(connection) as again:
        report = rncp_import(source=str(path), filename="a.xml", certificateur=org)
    assert report.total == 120 and {f.action for f in report.fiches} == {"mise à jour du brouillon"}
    assert _writes(again) == []
    assert len(again) <= 4 + 3 * batches
    assert (
        sorted(Habilitation.objects.values_list("centre_id", "referentiel_code", "date_debut"))
        == habilitations
    )

    # A draft edited since the import (here behind the services' back) is rewritten by the next import.
    edited = Referentiel.objects.get(code="RNCP9000007")
    capacite = Capacite.objects.filter(referentiel=edited).order_by("id").first()
    original = capacite.intitule
    capacite.intitule = "Modifiée à la main"
    capacite.save()
    Habilitation.objects.filter(referentiel_code=habilitations[0][1]).update(date_fin=dt.date(2030, 1, 1))
    with CaptureQueriesContext(connection) as third:
        rncp_import(source=str(path), filename="a.xml", certificateur=org)
    assert Capacite.objects.filter(referentiel=edited, intitule=original).exists()
    assert not Capacite.objects.filter(referentiel=edited, intitule="Modifiée à la main").exists()
    assert not Habilitation.objects.filter(date_fin__isnull=False).exists()
    rewritten = {q for q in _writes(third) if "referentiels_referentiel" in q and q.startswith("UPDATE")}
    assert rewritten and len(_writes(third)) <= 12
    assert Referentiel.objects.count() == 120

    # A header column edited since (any column but ids, status, version, timestamps and source)
    # is seen too: the draft is rewritten with what the fiche says.
    objectif = Referentiel.objects.get(code="RNCP9000011").objectif
    Referentiel.objects.filter(code="RNCP9000011").update(objectif="Réécrit à la main")
    rncp_import(source=str(path), filename="a.xml", certificateur=org)
    assert Referentiel.objects.get(code="RNCP9000011").objectif == objectif
    with CaptureQueriesContext(connection) as fourth:
        rncp_import(source=str(path), filename="a.xml", certificateur=org)
    assert _writes(fourth) == []
