"""Issue 16, defect 7 — over-exposure inside a centre: « a jury member lists épreuve inscriptions
of candidates outside their jury (with tiers_temps, absences and justifications); évaluateurs and
jury members list every tuteur's e-mail and phone; an évaluateur sees a candidate's « justificatif
d'aménagement » (a disability proof) in the grid ». One layer (candidates.selectors) for pages
and API: object rules on top of the role's capabilities."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from candidates import services as cs
from candidates.models import Dossier, Piece
from evaluations.models import InscriptionEpreuve
from organisations.tenancy import tenant_context

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def scratch(world, db):
    """Objects added for one test inside a savepoint rolled back after it."""
    with transaction.atomic():
        yield world
        transaction.set_rollback(True)


def _api(world, role, path):
    return world.apis[role].get(f"/api/v1/o/{world.a.org.slug}/{path}")


def test_jury_member_lists_no_inscription_outside_their_jury(scratch):
    world = scratch
    with tenant_context(world.a.org):
        InscriptionEpreuve.objects.filter(public_id=world.a.ids["inscription_id"]).update(
            presence="absent_justifie", motif_absence="certificat_medical", justification="Hospitalisation"
        )
    path = f"epreuves/{world.a.ids['epreuve_id']}/inscriptions/"
    jury = _api(world, "jury", path)
    assert jury.status_code == 200 and jury.json()["results"] == []
    managed = _api(world, "gestionnaire", path).json()["results"]
    assert len(managed) == 1 and managed[0]["justification"] == "Hospitalisation"
    # the évaluateur of the épreuve lists its candidate, not the medical motif nor its justification
    evaluated = _api(world, "evaluateur", path).json()["results"]
    assert len(evaluated) == 1
    assert evaluated[0]["justification"] == "" and evaluated[0]["motif_absence"] == ""


def _tuteur_emails(world, role) -> set[str]:
    response = _api(world, role, "tuteurs/?page_size=100")
    assert response.status_code == 200
    return {t["email"] for t in response.json()["results"]}


def test_tuteur_contacts_only_to_those_working_the_tuteurs_dossiers(world):
    slug = world.a.org.slug
    everyone = {f"tuteur@{slug}.test", f"tuteur2@{slug}.test", f"tuteur3@{slug}.test"}
    assert everyone <= _tuteur_emails(world, "gestionnaire")
    assert _tuteur_emails(world, "jury") == {f"tuteur@{slug}.test"}  # the jury's candidate's tuteur
    assert _tuteur_emails(world, "evaluateur") == {f"tuteur3@{slug}.test"}  # their épreuve's candidate's


def test_amenagement_justification_only_to_gestionnaire_and_admin(scratch):
    world = scratch
    org = world.a.org
    with tenant_context(org):
        dossier = Dossier.objects.get(public_id=world.a.role_ids["evaluateur"]["dossier_id"])
        health = cs.piece_upload(
            dossier=dossier,
            by=world.a.members["gestionnaire"],
            kind=Piece.Kind.JUSTIFICATIF_AMENAGEMENT,
            uploaded_file=SimpleUploadedFile("mdph.pdf", PDF, "application/pdf"),
        )
        Dossier.objects.filter(pk=dossier.pk).update(
            amenagement_tiers_temps=True, amenagement_note="Reconnaissance MDPH, dyslexie"
        )
    piece_url = f"/o/{org.slug}/candidats/pieces/{health.public_id}/"
    grid_url = f"/o/{org.slug}/evaluations/epreuves/{world.a.ids['epreuve_id']}/grille/"
    dossier_url = f"/o/{org.slug}/candidats/dossiers/{dossier.public_id}/"
    # the évaluateur: not in the grid, not downloadable, not listed, no précisions
    grid = world.pages["evaluateur"].get(grid_url)
    assert (
        grid.status_code == 200 and "aménagement" not in grid.content.decode().split("<main", 1)[-1].lower()
    )
    assert str(health.public_id) not in grid.content.decode()
    assert world.pages["evaluateur"].get(piece_url).status_code == 404
    assert _api(world, "evaluateur", f"pieces/{health.public_id}/").status_code == 404
    listed = _api(world, "evaluateur", f"dossiers/{dossier.public_id}/pieces/").json()["results"]
    assert str(health.public_id) not in {p["id"] for p in listed} and listed
    detail = _api(world, "evaluateur", f"dossiers/{dossier.public_id}/").json()
    assert detail["amenagement_tiers_temps"] is True and detail["amenagement_note"] == ""
    assert "MDPH" not in world.pages["evaluateur"].get(dossier_url).content.decode()
    # the centre's administrators and gestionnaires keep them
    for role in ("gestionnaire", "admin"):
        assert world.pages[role].get(piece_url).status_code == 200
        assert (
            _api(world, role, f"dossiers/{dossier.public_id}/")
            .json()["amenagement_note"]
            .startswith("Reconnaissance")
        )
    assert "MDPH" in world.pages["gestionnaire"].get(dossier_url).content.decode()
