"""Large RNCP exports imported from the page by a Celery job: check (preview), confirm, import,
with progress on the page (htmx) and in the API. Tasks run eagerly here; see test_import_jobs_worker."""

import pytest
from django.core.cache import cache

from organisations.models import Organisation
from organisations.roles import Role
from referentiels import import_jobs
from referentiels.models import Referentiel, RncpImportJob
from referentiels.rncp_synth import write_synthetic_export
from tests.conftest import make_member

NAME = "Bench Certificateur"


@pytest.fixture
def bench(db):
    return Organisation.objects.create(kind="certificateur", slug="bench", name=NAME)


@pytest.fixture
def staff(bench):
    return make_member(bench, Role.CERTIFICATEUR, "staff@bench.test")


@pytest.fixture
def as_job(settings):
    settings.REFERENTIELS_IMPORT_PAGE_SYNC_BYTES = 0  # every XML export goes through a job


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "export.xml"
    write_synthetic_export(path, 12, seed=5, certificateur=NAME)
    return path


def _upload(client, path, **data):
    with open(path, "rb") as fh:
        return client.post("/o/bench/referentiels/importer/", {"fichier": fh, **data})


def test_page_import_through_a_job(as_job, staff, export, client_for, django_capture_on_commit_callbacks):
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, export)
    job = RncpImportJob.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/o/bench/referentiels/importer/{job.public_id}/"
    )
    assert (
        job.status == "validated"
        and job.total == 12
        and job.progress == 100
        and job.size == export.stat().st_size
    )
    assert Referentiel.objects.count() == 0  # the check writes nothing
    assert (
        job.file
        and job.file.storage.exists(job.file.name)
        and "/media/" not in job.file.storage.base_location
    )
    page = client.get(response["Location"]).content.decode()
    assert (
        "12 fiche(s) RNCP prête(s) à l'import" in page
        and "RNCP9000000" in page
        and "Confirmer l'import" in page
    )
    assert "hx-trigger" not in page  # nothing runs: no polling
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{response['Location']}confirmer/").status_code == 302
    job.refresh_from_db()
    assert job.status == "done" and job.imported == 12 and not job.file
    assert Referentiel.objects.filter(status="draft", certificateur__slug="bench").count() == 12
    assert "12 fiche(s) RNCP importée(s) en brouillon" in client.get(response["Location"]).content.decode()
    # confirming twice does not import twice
    again = client.post(f"{response['Location']}confirmer/", follow=True)
    assert "seul un import vérifié peut être confirmé" in again.content.decode()
    import_jobs.rncp_import_job_apply(job_id=job.pk)  # a re-delivered task: nothing happens
    assert Referentiel.objects.count() == 12


def test_running_job_page_polls_and_shows_live_progress(staff, bench, client_for):
    job = RncpImportJob.objects.create(
        certificateur=bench, original_name="gros.xml", size=150 * 1024 * 1024, status="importing"
    )
    cache.set(import_jobs._progress_key(job), {"percent": 42, "fiches": 8300}, 60)
    client = client_for(staff)
    page = client.get(f"/o/bench/referentiels/importer/{job.public_id}/").content.decode()
    assert (
        'hx-trigger="every 1s"' in page and '<progress id="import-avancement" max="100" value="42">' in page
    )
    assert "8300 fiche(s) traitée(s)" in page and "150,0" in page
    partial = client.get(
        f"/o/bench/referentiels/importer/{job.public_id}/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert partial.lstrip().startswith('<section id="import-statut"') and "<html" not in partial
    data = client.get(f"/api/v1/referentiels/imports/{job.public_id}").json()
    assert data["status"] == "importing" and data["progress"] == {"percent": 42, "fiches": 8300}


def test_progress_reader_reports_the_share_of_bytes_read(bench, tmp_path):
    job = RncpImportJob.objects.create(
        certificateur=bench, original_name="x.xml", size=4 * 1024 * 1024, status="validating"
    )
    path = tmp_path / "x.bin"
    path.write_bytes(b"x" * job.size)
    with open(path, "rb") as fh:
        reader = import_jobs.ProgressReader(fh, job=job, name="x.xml")
        while fh.tell() < job.size // 2 and reader.read(256 * 1024):
            pass
        # the step reads the export once (validation and writing in one pass): half the bytes, half-way
        assert import_jobs.rncp_import_job_progress(job)["percent"] == 50
        while reader.read(256 * 1024):
            pass
    # all read: 99 % until the step records its outcome (100 %)
    assert import_jobs.rncp_import_job_progress(job)["percent"] == 99


def test_bad_export_is_rejected_with_the_importers_message(
    as_job, staff, tmp_path, client_for, django_capture_on_commit_callbacks
):
    path = tmp_path / "casse.xml"
    path.write_text(
        "<?xml version='1.0'?>\n<FICHES>\n<FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE>\n", encoding="utf-8"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client_for(staff), path)
    job = RncpImportJob.objects.get()
    assert job.status == "rejected" and not job.file
    assert job.errors and "casse.xml" in job.errors[0] and "rien n'a été écrit" in job.errors[0]
    page = client_for(staff).get(response["Location"]).content.decode()
    assert 'role="alert"' in page and "casse.xml" in page and "Confirmer" not in page
    assert Referentiel.objects.count() == 0


def test_page_size_cap_is_a_setting(settings, staff, export, client_for):
    settings.REFERENTIELS_IMPORT_PAGE_MAX_BYTES = 1024
    response = _upload(client_for(staff), export)
    assert response.status_code == 400
    html = response.content.decode()
    assert "1,0\xa0Kio au plus pour un export RNCP) : utilisez la commande import_rncp ou l&#x27;API." in html
    assert not RncpImportJob.objects.exists()


def test_small_exports_keep_the_immediate_preview(staff, export, client_for):
    response = _upload(client_for(staff), export)
    assert response.status_code == 200 and "Prévisualisation" in response.content.decode()
    assert not RncpImportJob.objects.exists()


def test_jobs_are_the_certificateurs_own(bench, certificateurs, org_a, client_for, api_for):
    job = RncpImportJob.objects.create(certificateur=bench, original_name="x.xml", status="validated")
    other = make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test")
    assert client_for(other).get(f"/o/uimm/referentiels/importer/{job.public_id}/").status_code == 404
    assert (
        client_for(other).post(f"/o/uimm/referentiels/importer/{job.public_id}/confirmer/").status_code == 404
    )
    assert api_for(other).get(f"/api/v1/referentiels/imports/{job.public_id}").status_code == 404
    centre = make_member(org_a, Role.GESTIONNAIRE, "gest@centre-a.test")
    assert client_for(centre).get(f"/o/centre-a/referentiels/importer/{job.public_id}/").status_code == 403
    assert api_for(centre).get(f"/api/v1/referentiels/imports/{job.public_id}").status_code == 403
    job.refresh_from_db()
    assert job.status == "validated"


def test_a_step_given_up_after_repeated_worker_deaths(bench):
    job = RncpImportJob.objects.create(
        certificateur=bench, original_name="x.xml", status="importing", attempts=import_jobs.MAX_ATTEMPTS
    )
    import_jobs.rncp_import_job_apply(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "interrompu 3 fois" in job.errors[0]


def test_checked_imports_never_confirmed_expire(
    as_job, staff, export, client_for, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        url = _upload(client, export)["Location"]
    old = RncpImportJob.objects.get()
    storage, name = old.file.storage, old.file.name
    RncpImportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, export)  # a new import sweeps the old ones
    old.refresh_from_db()
    assert old.status == "expired" and not old.file and not storage.exists(name)
    assert "pas été confirmé dans les 24 heures" in client.get(url).content.decode()
    assert "seul un import vérifié" in client.post(f"{url}confirmer/", follow=True).content.decode()
    assert RncpImportJob.objects.filter(status="validated").count() == 1 and Referentiel.objects.count() == 0
