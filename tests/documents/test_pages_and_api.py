"""Pages and API: permissions per organisation, downloads, revoke/re-issue, verification, limits."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from documents.models import IssuedDocument, VerificationRecord
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.conftest import make_member
from tests.documents.conftest import issue, pdf_text, render_now


@pytest.fixture
def ready(org_a, cci):
    return render_now(issue(org_a, cci, group="jury:page"))


# --- pages -------------------------------------------------------------------------------------


def test_member_lists_and_downloads_documents(alice, ready, client_for):
    client = client_for(alice)
    page = client.get("/o/centre-a/documents/")
    assert page.status_code == 200
    html = page.content.decode()
    assert ready.number in html and "Camille Lefèvre-Durand" in html
    response = client.get(f"/o/centre-a/documents/{ready.public_id}/telecharger/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="{ready.number}-v1.pdf"' in response["Content-Disposition"]
    assert ready.number in pdf_text(response.content)
    detail = client.get(f"/o/centre-a/documents/{ready.public_id}/").content.decode()
    assert (
        ready.verification_code_display in detail and "Révoquer" not in detail
    )  # gestionnaire cannot revoke


def test_other_tenant_and_roles_without_capability_get_404_or_403(bob, tuteur_a, ready, client_for, api_for):
    for url in (
        f"/o/centre-a/documents/{ready.public_id}/telecharger/",
        f"/o/centre-a/documents/{ready.public_id}/",
    ):
        assert client_for(bob).get(url).status_code == 404
    # Bob inside his own organisation cannot reach A's document by its id either.
    assert client_for(bob).get(f"/o/centre-b/documents/{ready.public_id}/telecharger/").status_code == 404
    api = api_for(bob)
    assert api.get(f"/api/v1/o/centre-a/documents/{ready.public_id}/download").status_code == 404
    assert api.get(f"/api/v1/o/centre-b/documents/{ready.public_id}/download").status_code == 404
    assert api.get(f"/api/v1/o/centre-b/documents/{ready.public_id}/").status_code == 404
    assert client_for(tuteur_a).get("/o/centre-a/documents/").status_code == 403


def test_list_page_and_api_query_counts_do_not_grow(alice, org_a, cci, client_for, api_for):
    client, api = client_for(alice), api_for(alice)
    client.get("/o/centre-a/documents/")  # the session's first request writes it

    def counts():
        with CaptureQueriesContext(connection) as page:
            assert client.get("/o/centre-a/documents/?groupe=jury:n").status_code == 200
        with CaptureQueriesContext(connection) as endpoint:
            assert api.get("/api/v1/o/centre-a/documents/?group_key=jury:n&page_size=100").status_code == 200
        return len(page), len(endpoint)

    for i in range(10):
        issue(org_a, cci, key=f"p:{i}", holder=f"T {i}", group="jury:n")
    ten = counts()
    for i in range(10, 50):
        issue(
            org_a, cci, "attestation" if i % 2 else "parchemin", key=f"p:{i}", holder=f"T {i}", group="jury:n"
        )
    assert counts() == ten, ten


def test_admin_revokes_and_the_public_page_says_so(admin_a, ready, client_for, client):
    page = client_for(admin_a)
    bad = page.post(f"/o/centre-a/documents/{ready.public_id}/revoquer/", {"reason": ""})
    assert bad.status_code == 400 and "obligatoire" in bad.content.decode()
    with tenant_context(ready.organisation):
        assert IssuedDocument.objects.get(pk=ready.pk).revoked_at is None
    ok = page.post(
        f"/o/centre-a/documents/{ready.public_id}/revoquer/",
        {"reason": "Fraude avérée au bloc 2", "category": "retrait"},
    )
    assert ok.status_code == 302
    client.logout()
    public = client.get(f"/verifier/{ready.verification_code_display}")
    html = public.content.decode()
    assert public.status_code == 200 and "Document révoqué" in html
    # Issue 13, point 8: the date and a fixed public category, never the free-text reason.
    assert "Retrait décidé par l&#x27;organisme" in html and "Fraude" not in html


def test_page_reissue_of_a_document_without_a_deliberation_is_refused(admin_a, ready, client_for):
    """Issue 13, point 5: the page takes civil-status fields, a reason and a pièce (never
    document content); a document not derived from a signed deliberation cannot be re-issued."""
    page = client_for(admin_a)
    detail = page.get(f"/o/centre-a/documents/{ready.public_id}/").content.decode()
    assert 'name="holder_name"' not in detail and 'name="naissance"' not in detail
    response = page.post(
        f"/o/centre-a/documents/{ready.public_id}/reediter/",
        {"holder_name": "Faussaire", "reason": "Correction d'état civil"},
    )
    assert response.status_code == 400
    with tenant_context(ready.organisation):
        assert IssuedDocument.objects.get(pk=ready.pk).version == 1


def test_batch_progress_partial_and_zip(alice, org_a, cci, ready, client_for):
    issue(org_a, cci, key="waiting", holder="En Attente", group="jury:page")
    client = client_for(alice)
    partial = client.get("/o/centre-a/documents/progression/?groupe=jury:page", HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert partial.status_code == 200 and 'hx-trigger="every 2s"' in html and "1 prêt sur 2" in html
    response = client.get("/o/centre-a/documents/archive/?groupe=jury:page")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert names == [f"{ready.number}-camille-lefevre-durand.pdf", "manifeste.csv"]


# --- API ---------------------------------------------------------------------------------------


def test_api_list_detail_download_progress_zip(alice, ready, api_for):
    api = api_for(alice)
    listing = api.get("/api/v1/o/centre-a/documents/?kind=parchemin").json()
    assert listing["count"] == 1
    row = listing["results"][0]
    assert (row["id"], row["number"], row["status"]) == (str(ready.public_id), ready.number, "ready")
    assert row["verification_code"] == ready.verification_code_display
    detail = api.get(f"/api/v1/o/centre-a/documents/{ready.public_id}/").json()
    assert detail["context"]["code_certification"] == "RNCP36390" and detail["versions"] == []
    pdf = api.get(row["download_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    progress = api.get("/api/v1/o/centre-a/documents/progress?group_key=jury:page").json()
    assert progress == {**progress, "total": 1, "ready": 1, "done": True, "percent": 100}
    assert api.get("/api/v1/o/centre-a/documents/progress").json()["error"]["fields"] == {
        "group_key": ["Paramètre « group_key » obligatoire."]
    }
    archive = api.get("/api/v1/o/centre-a/documents/zip?group_key=jury:page")
    assert len(zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()) == 2


def test_api_revoke_and_reissue_need_the_capability_and_valid_input(alice, admin_a, ready, api_for):
    url = f"/api/v1/o/centre-a/documents/{ready.public_id}"
    assert api_for(alice).post(f"{url}/revoke", {"reason": "Motif valable"}, format="json").status_code == 403
    admin = api_for(admin_a)
    bad = admin.post(f"{url}/revoke", {"reason": "ab"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"] == {
        "reason": ["Le motif de révocation est obligatoire (5 caractères au moins)."]
    }
    forged = admin.post(
        f"{url}/reissue",
        {"reason": "Correction d'état civil", "context_changes": {"holder_name": "Camille Dupont"}},
        format="json",
    )
    assert forged.status_code in (400, 415)  # free-form document content is not accepted
    assert VerificationRecord.objects.get(code=ready.verification_code).holder_name != "Camille Dupont"


def test_api_reissue_of_an_unnumbered_document_is_refused(admin_a, org_a, cci, api_for):
    doc = render_now(issue(org_a, cci, "attestation"))
    response = api_for(admin_a).post(
        f"/api/v1/o/centre-a/documents/{doc.public_id}/reissue",
        {
            "reason": "Correction",
            "piece": SimpleUploadedFile("acte.pdf", b"%PDF-1.4 x", "application/pdf"),
            "civilite": "MME",
            "sexe": "F",
            "nom_naissance": "X",
            "prenom1": "Y",
            "naissance_annee": 1990,
        },
        format="multipart",
    )
    assert response.status_code == 400 and "Seuls les parchemins" in response.json()["error"]["message"]


def test_public_page_shows_only_the_registry_facts(ready, client):
    response = client.get(f"/verifier/{ready.verification_code.lower()}")  # case and dashes do not matter
    html = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "Document valide",
        "Camille Lefèvre-Durand",
        "Office Manager junior",
        "Niveau 5",
        "RNCP36390",
        "CCI France",
        ready.number,
        ready.issued_on.strftime("%d/%m/%Y"),
    ):
        assert expected in html, expected
    assert "née le" not in html and "Centre A" not in html  # nothing beyond the registry
    assert (
        client.get(f"/verifier/?code={ready.verification_code}").url
        == f"/verifier/{ready.verification_code_display}"
    )


def test_unknown_code_is_a_plain_not_found(db, client):
    response = client.get("/verifier/ZZZZ-ZZZZ-ZZZZ")
    assert response.status_code == 404 and "Aucun document ne correspond" in response.content.decode()
    api = client.get("/api/v1/verifier/ZZZZ-ZZZZ-ZZZZ")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_public_api_verification(ready, client):
    data = client.get(f"/api/v1/verifier/{ready.verification_code_display}").json()
    assert data == {
        **data,
        "number": ready.number,
        "status": "valid",
        "holder_name": "Camille Lefèvre-Durand",
        "code_certification": "RNCP36390",
        "niveau": "Niveau 5 (cadre européen : niveau 5)",
    }


def test_public_page_is_rate_limited(db, client):
    statuses = [client.get("/verifier/ABCD-EFGH-JKMN").status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    assert client.get("/verifier/").status_code == 429
    other = client.get("/verifier/ABCD-EFGH-JKMN", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 404  # counted per client address


def test_public_api_is_throttled(db, client):
    statuses = [client.get("/api/v1/verifier/ABCD-EFGH-JKMN").status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429


def test_certificateur_staff_do_not_see_centre_documents(ready, cci, client_for):
    staff = make_member(cci, Role.CERTIFICATEUR, "staff@cci.test")
    assert client_for(staff).get("/o/cci-france/documents/").status_code == 403
    assert client_for(staff).get(f"/o/cci-france/documents/{ready.public_id}/telecharger/").status_code == 403
