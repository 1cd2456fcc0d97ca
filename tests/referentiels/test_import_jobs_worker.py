"""A large RNCP export imported from the page by the real Celery worker, progress polled by the
page and the API as a user would: check → preview → confirm → import."""

import pytest

from organisations.models import Organisation
from organisations.roles import Role
from referentiels.models import Referentiel, RncpImportJob
from referentiels.rncp_synth import write_synthetic_export
from tests.conftest import make_member, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NAME = "Bench Certificateur"
FICHES = 400  # realistic fiches (~20 KB each): an export of ~8 MB, several progress steps


def test_big_export_imported_by_the_worker_with_progress(
    settings, tmp_path, client_for, api_for, real_celery
):
    settings.REFERENTIELS_IMPORT_PAGE_SYNC_BYTES = 1024 * 1024
    org = Organisation.objects.create(kind="certificateur", slug="bench", name=NAME)
    staff = make_member(org, Role.CERTIFICATEUR, "staff@bench.test")
    path = tmp_path / "france-competences.xml"
    write_synthetic_export(path, FICHES, seed=11, certificateur=NAME)
    assert path.stat().st_size > settings.REFERENTIELS_IMPORT_PAGE_SYNC_BYTES
    client, api = client_for(staff), api_for(staff)
    with open(path, "rb") as fh:
        response = client.post("/o/bench/referentiels/importer/", {"fichier": fh})
    assert response.status_code == 302
    url = response["Location"]
    job = RncpImportJob.objects.get()
    status_url = f"/api/v1/referentiels/imports/{job.public_id}"
    seen = []

    def reached(status):
        def check():
            data = api.get(status_url).json()
            seen.append((data["status"], data["progress"]["percent"]))
            return data if data["status"] in (status, "rejected", "failed") else None

        return check

    checked = wait_for(reached("validated"), timeout=120, interval=0.2)
    assert checked["status"] == "validated", checked["errors"]
    assert checked["total"] == FICHES and checked["progress"]["percent"] == 100
    assert len(checked["preview"]["fiches"]) == FICHES and Referentiel.objects.count() == 0
    page = client.get(url).content.decode()
    assert f"{FICHES} fiche(s) RNCP prête(s)" in page and "Confirmer l'import" in page

    assert client.post(f"{url}confirmer/").status_code == 302
    polled = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "import-statut" in polled
    done = wait_for(reached("done"), timeout=180, interval=0.2)
    assert done["status"] == "done", done["errors"]
    assert done["imported"] == FICHES
    assert Referentiel.objects.filter(certificateur=org, status="draft").count() == FICHES
    job.refresh_from_db()
    assert not job.file and job.attempts == 1
    # progress was visible while the steps ran, and it never went backwards within a step
    for step in ("validating", "importing"):
        running = [p for s, p in seen if s == step]
        assert running == sorted(running) and all(0 <= p < 100 for p in running), (step, running)
    assert any(0 < p < 100 for _s, p in seen), seen
    print(f"\n{path.stat().st_size / 2**20:.1f} MiB, {FICHES} fiches; polled: {seen}")
    assert f"{FICHES} fiche(s) RNCP importée(s)" in client.get(url).content.decode()
