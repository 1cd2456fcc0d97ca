"""Bad input on candidates (import files, modalités, deliberation) gets a clear message and writes nothing."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from candidates import hooks, services
from candidates.models import Candidate, Dossier, DossierBloc, ImportJob
from core.errors import ApplicationError
from tests.builders import pret_dossier
from tests.candidates.conftest import make_dossier
from tests.candidates.test_import import GOOD, HEADER, csv_file, xlsx_file

S = Dossier.Status


# --- import: encoding, zip bombs, row cap ---------------------------------------------------------


def test_csv_neither_utf8_nor_cp1252_is_refused_with_a_clear_message(in_a, alice):
    # 0x81 and 0x8d are undefined in cp1252 and invalid as UTF-8.
    data = ";".join(HEADER).encode() + b"\nMartin;Paul\x81\x8d;M\n"
    job = services.import_job_create(by=alice, uploaded_file=SimpleUploadedFile("c.csv", data))
    assert job.status == ImportJob.Status.REJECTED
    assert "encodage illisible : enregistrez le fichier en UTF-8" in job.errors[0]["message"]
    assert Candidate.objects.count() == 0


def test_csv_encoding_error_on_the_import_page_is_a_message_not_a_500(habilitated, alice, client_for):
    client = client_for(alice)
    data = ";".join(HEADER).encode() + b"\nMartin;Paul\x81;M\n"
    r = client.post("/o/centre-a/candidats/import/", {"file": SimpleUploadedFile("c.csv", data)}, follow=True)
    assert r.status_code in (200, 400)
    assert "encodage illisible" in r.content.decode()


def _bomb(inflated: int) -> SimpleUploadedFile:
    """A valid-looking XLSX whose one extra member inflates to ``inflated`` bytes."""
    real = xlsx_file(GOOD).read()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(real)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * inflated)
    return SimpleUploadedFile("bombe.xlsx", out.getvalue())


def test_xlsx_zip_bomb_is_refused_before_parsing(in_a, alice, settings, monkeypatch):
    settings.CANDIDATE_IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    upload = _bomb(2 * 1024 * 1024)
    assert upload.size < 64 * 1024  # a few kilobytes on disk

    def _never(*args, **kwargs):
        raise AssertionError("openpyxl must not open an oversized workbook")

    monkeypatch.setattr("openpyxl.load_workbook", _never)
    job = services.import_job_create(by=alice, uploaded_file=upload)
    assert job.status == ImportJob.Status.REJECTED
    assert "trop volumineux une fois décompressé" in job.errors[0]["message"]
    assert Candidate.objects.count() == 0


def test_xlsx_under_the_uncompressed_cap_is_read(in_a, alice, cqpm, settings):
    settings.CANDIDATE_IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    job = services.import_job_create(by=alice, uploaded_file=_bomb(1000))
    assert job.status == ImportJob.Status.VALIDATED, job.errors


@pytest.mark.parametrize("make", [xlsx_file, csv_file])
def test_row_cap_is_enforced_with_a_clear_message(in_a, alice, settings, make):
    settings.CANDIDATE_IMPORT_MAX_ROWS = 3
    rows = [[f"Nom{i}", *GOOD[1][1:]] for i in range(4)]
    job = services.import_job_create(by=alice, uploaded_file=make(rows))
    assert job.status == ImportJob.Status.REJECTED
    assert "au plus 3 lignes" in job.errors[0]["message"]
    assert Candidate.objects.count() == 0


def test_row_cap_counts_data_rows_only(in_a, alice, cqpm, settings):
    settings.CANDIDATE_IMPORT_MAX_ROWS = 2
    job = services.import_job_create(by=alice, uploaded_file=xlsx_file(GOOD))
    assert job.status == ImportJob.Status.VALIDATED, job.errors


# --- plan: a non-numeric modalité ---------------------------------------------------------------


def test_non_numeric_modalite_is_refused_by_the_service(in_a, alice, rncp):
    dossier = make_dossier(alice, rncp, plan=False)
    capacite = rncp.capacites.first()
    with pytest.raises(ApplicationError, match="Modalité invalide") as exc:
        services.dossier_plan_update(dossier=dossier, by=alice, blocs=None, modalites={capacite.pk: "abc"})
    assert exc.value.field == "modalites"
    assert not dossier.modalites_choisies.exists()


def test_crafted_non_numeric_modalite_on_the_page_is_a_message(in_a, alice, rncp, client_for):
    dossier = make_dossier(alice, rncp, plan=False)
    capacite = rncp.capacites.first()
    client = client_for(alice)
    r = client.post(
        f"/o/centre-a/candidats/dossiers/{dossier.public_id}/plan/",
        {"blocs": [str(b.pk) for b in rncp.blocs.all()], f"modalite_{capacite.pk}": "1 OR 1=1"},
        follow=True,
    )
    assert r.status_code == 200
    assert "Modalité invalide" in r.content.decode()
    assert not dossier.modalites_choisies.exists()


# --- deliberation is atomic as a whole --------------------------------------------------------------


def test_deliberation_is_all_or_nothing(in_a, alice, rncp):
    dossier = pret_dossier(alice, rncp)

    def boom(**kwargs):
        raise RuntimeError("listener failure")

    hooks.register_transition_listener(boom)
    try:
        with pytest.raises(RuntimeError):
            services.dossier_deliberate(
                dossier=dossier, by=alice, decision="partiel", blocs_acquis=["RNCP36390BC01"]
            )
    finally:
        hooks.unregister_transition_listener(boom)
    assert Dossier.objects.get(pk=dossier.pk).status == S.PRET_POUR_JURY
    assert not DossierBloc.objects.filter(dossier=dossier, acquis=True).exists()
