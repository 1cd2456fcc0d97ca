"""Bad input on the draft editing pages of a référentiel must give a
clear French message and write nothing; the pages must keep working afterwards.

Each test failing here demonstrates a defect; keep them once fixed.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from organisations.roles import Role
from referentiels.models import Referentiel
from referentiels.services import referentiel_export, referentiel_new_version
from tests.conftest import make_member


@pytest.fixture
def staff_client(cci, client_for):
    client = client_for(make_member(cci, Role.CERTIFICATEUR, "staff@cci.test"))
    client.raise_request_exception = False
    return client


@pytest.fixture
def draft(seeds, cci):
    return referentiel_new_version(referentiel=seeds["rncp36390.json"], by=cci)


def _base(ref):
    return f"/o/cci-france/referentiels/{ref.public_id}"


def _snapshot(ref):
    return referentiel_export(referentiel=Referentiel.objects.get(pk=ref.pk))


def test_a_capacite_code_with_a_slash_is_refused_or_the_draft_page_still_works(draft, staff_client):
    """The blocs page accepts any first-capacité code; the detail page then reverses
    ``capacite_edit`` (``<str:code>``, no « / ») for it."""
    response = staff_client.post(
        f"{_base(draft)}/blocs/",
        {
            "action": "create",
            "code": "RNCP36390BC05",
            "intitule": "Nouveau bloc",
            "capacite_code": "C.5/1",
            "capacite_intitule": "Une capacité",
        },
    )
    if response.status_code == 400:  # refused with a message: fine, nothing written
        assert "C.5/1" in response.content.decode() or "code" in response.content.decode()
        return
    assert response.status_code == 302, response.status_code
    detail = staff_client.get(f"{_base(draft)}/")
    assert detail.status_code == 200, detail.status_code
    overview = staff_client.get(f"{_base(draft)}/modalites/")
    assert overview.status_code == 200, overview.status_code


def test_modalites_page_of_an_unknown_bloc_is_404(draft, staff_client):
    assert staff_client.get(f"{_base(draft)}/modalites/?bloc=INCONNU").status_code == 404
    assert staff_client.get(f"{_base(draft)}/modalites/?capacite=INCONNU").status_code == 404


def test_modalites_page_tampered_management_form_says_so_and_writes_nothing(draft, staff_client):
    before = _snapshot(draft)
    response = staff_client.post(
        f"{_base(draft)}/modalites/?bloc=RNCP36390BC01", {"m-TOTAL_FORMS": "abc", "m-INITIAL_FORMS": "0"}
    )
    assert response.status_code == 400, response.status_code
    assert _snapshot(draft) == before


def test_regle_page_absurd_durations_are_refused(draft, staff_client):
    """A validity of 8000 years (or 10**20) is accepted as typed data (no upper bound in
    regles._entier) and later date arithmetic on it overflows."""
    before = _snapshot(draft)
    regle = referentiel_export(referentiel=draft)["regle"]
    import yaml

    regle["validite_blocs_annees"] = 8000  # 2025 + 8000 > 9999: date arithmetic fails
    response = staff_client.post(
        f"{_base(draft)}/regle/", {"regle": yaml.safe_dump(regle, allow_unicode=True)}
    )
    assert response.status_code == 400, response.status_code
    assert "validite_blocs_annees" in response.content.decode()
    assert _snapshot(draft) == before


def test_database_refuses_changing_modalites_and_activites_of_a_published_version(seeds):
    ref = seeds["rncp36390.json"]
    for statement in (
        "UPDATE referentiels_modalite SET points = 0 WHERE referentiel_id = %s",
        "DELETE FROM referentiels_modalite WHERE referentiel_id = %s",
        "UPDATE referentiels_activite SET intitule = 'x' WHERE referentiel_id = %s",
        "DELETE FROM referentiels_activite_capacites WHERE activite_id IN "
        "(SELECT id FROM referentiels_activite WHERE referentiel_id = %s)",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [ref.pk])


def test_imported_capacite_code_with_a_slash_is_refused_or_the_draft_page_still_works(cci, staff_client):
    """The same through the JSON import: the format accepts « / » in a capacité code."""
    import json

    from referentiels.exchange import FormatError
    from referentiels.seeds import seed_path
    from referentiels.services import referentiel_import

    doc = json.loads(seed_path("rncp36390.json").read_text(encoding="utf-8"))
    doc["blocs"][0]["capacites"][0]["code"] = "C.1.1/1"
    for act in doc["activites"]:
        act["capacites"] = ["C.1.1/1" if c == "C.1.1.1" else c for c in act["capacites"]]
    try:
        ref = referentiel_import(doc=doc, certificateur=cci)
    except FormatError:
        return  # refused with a message naming the element: fine
    assert staff_client.get(f"{_base(ref)}/").status_code == 200


def test_capacite_page_too_long_critere_group_is_a_message_not_a_500(draft, staff_client):
    """Critere.groupe is varchar(200); CapaciteForm / capacite_update do not check its length."""
    before = _snapshot(draft)
    response = staff_client.post(
        f"{_base(draft)}/capacites/C.1.1.1/",
        {"intitule": "Organiser", "conditions": "", "criteres": "G" * 250 + " | Un critère"},
    )
    assert response.status_code == 400, response.status_code
    assert "200" in response.content.decode()
    assert _snapshot(draft) == before


def test_json_dry_run_reports_what_the_import_would_refuse(seeds, certificateurs, client_for):
    """The import page's preview of a JSON/YAML document only parses it (views._run_import): a
    code owned by another certificateur, or a published version « replaced », pass the preview
    and are refused only at the confirmation."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from referentiels.seeds import seed_path

    uimm = client_for(make_member(certificateurs["uimm"], Role.CERTIFICATEUR, "staff@uimm.test"))
    doc = json.loads(seed_path("rncp36390.json").read_text(encoding="utf-8"))
    doc["version"] = 7
    upload = SimpleUploadedFile("rncp.json", json.dumps(doc).encode(), content_type="application/json")
    response = uimm.post("/o/uimm/referentiels/importer/", {"fichier": upload})
    assert response.status_code == 400, "preview accepted a code owned by CCI France"
    assert "autre certificateur" in response.content.decode()


def test_json_dry_run_refuses_replacing_a_published_version(seeds, certificateurs, client_for):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from referentiels.seeds import seed_path

    cci = client_for(make_member(certificateurs["cci-france"], Role.CERTIFICATEUR, "staff@cci.test"))
    published = json.loads(seed_path("rncp36390.json").read_text(encoding="utf-8"))  # v1, published
    upload = SimpleUploadedFile("rncp.json", json.dumps(published).encode(), content_type="application/json")
    response = cci.post("/o/cci-france/referentiels/importer/", {"fichier": upload, "remplacer": "on"})
    assert response.status_code == 400, "preview offered to replace a published version"


@pytest.mark.parametrize(
    "status", ["pending", "validating", "importing", "done", "rejected", "failed", "expired"]
)
def test_rncp_job_confirm_outside_validated_is_a_message(status, db, client_for):
    """Confirming an RNCP import job that is not « vérifié » (twice, too early, expired…)."""
    from organisations.models import Organisation
    from referentiels.models import RncpImportJob

    bench = Organisation.objects.create(kind="certificateur", slug="bench", name="Bench")
    job = RncpImportJob.objects.create(certificateur=bench, original_name="x.xml", status=status)
    client = client_for(make_member(bench, Role.CERTIFICATEUR, "staff@bench.test"))
    client.raise_request_exception = False
    response = client.post(f"/o/bench/referentiels/importer/{job.public_id}/confirmer/", follow=True)
    assert response.status_code == 200, response.status_code
    assert "seul un import vérifié peut être confirmé" in response.content.decode()
    job.refresh_from_db()
    assert job.status == status and Referentiel.objects.count() == 0
