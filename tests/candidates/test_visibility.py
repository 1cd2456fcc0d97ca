"""Object rules on dossiers: admins and gestionnaires see the centre; other roles what their app grants."""

import pytest
from django.db.models import Q

from candidates import hooks
from organisations.roles import Role
from tests.candidates.conftest import make_candidate, make_dossier
from tests.conftest import make_member


@pytest.fixture
def evaluateur(org_a):
    return make_member(org_a, Role.EVALUATEUR, "eval@centre-a.test")


@pytest.fixture
def two_dossiers(in_a, alice, rncp):
    mine = make_dossier(alice, rncp, make_candidate(alice, nom_naissance="Assigné"))
    other = make_dossier(alice, rncp, make_candidate(alice, nom_naissance="Horsperimetre"))
    return mine, other


@pytest.fixture
def assign_first(monkeypatch, two_dossiers):
    mine, _other = two_dossiers
    monkeypatch.setattr(hooks, "_VISIBILITY", {Role.EVALUATEUR: [lambda m: Q(pk=mine.pk)]})
    return mine


def test_role_without_rule_sees_no_dossier(two_dossiers, evaluateur, client_for, monkeypatch):
    monkeypatch.setattr(hooks, "_VISIBILITY", {})
    client = client_for(evaluateur)
    mine, _ = two_dossiers
    page = client.get("/o/centre-a/candidats/")
    assert page.status_code == 200 and "assigné" not in page.content.decode().lower()
    assert client.get(f"/o/centre-a/candidats/dossiers/{mine.public_id}/").status_code == 404


def test_evaluateur_sees_only_assigned(assign_first, two_dossiers, evaluateur, client_for, api_for):
    mine, other = two_dossiers
    client = client_for(evaluateur)
    html = client.get("/o/centre-a/candidats/").content.decode().lower()
    assert "assigné" in html and "horsperimetre" not in html
    assert client.get(f"/o/centre-a/candidats/dossiers/{mine.public_id}/").status_code == 200
    assert client.get(f"/o/centre-a/candidats/dossiers/{other.public_id}/").status_code == 404
    assert client.get(f"/o/centre-a/candidats/{other.candidate.public_id}/").status_code == 404
    api = api_for(evaluateur)
    ids = {d["id"] for d in api.get("/api/v1/o/centre-a/dossiers/").json()["results"]}
    assert ids == {str(mine.public_id)}
    assert api.get(f"/api/v1/o/centre-a/dossiers/{other.public_id}/").status_code == 404


def test_gestionnaire_sees_everything(two_dossiers, alice, client_for):
    html = client_for(alice).get("/o/centre-a/candidats/").content.decode().lower()
    assert "assigné" in html and "horsperimetre" in html


def test_dashboard_counts_only_the_dossiers_the_actor_sees(assign_first, two_dossiers, evaluateur, alice):
    from candidates.dashboard import dossiers_panel

    assert dossiers_panel(evaluateur)["total"] == 1
    assert dossiers_panel(alice)["total"] == 2


def test_pieces_follow_the_dossier_rules(assign_first, two_dossiers, evaluateur, alice, client_for, api_for):
    """A pièce is downloadable by a user of the same centre only if that user may see its
    dossier: an évaluateur gets 404 on a pièce of a dossier not assigned to them, page and API."""
    from candidates.services import piece_upload
    from tests.builders import PDF, pdf_upload

    mine, other = two_dossiers
    own = piece_upload(dossier=mine, by=alice, kind="rapport", uploaded_file=pdf_upload())
    foreign = piece_upload(dossier=other, by=alice, kind="rapport", uploaded_file=pdf_upload())
    client, api = client_for(evaluateur), api_for(evaluateur)
    response = client.get(f"/o/centre-a/candidats/pieces/{own.public_id}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert client.get(f"/o/centre-a/candidats/pieces/{foreign.public_id}/").status_code == 404
    assert api.get(f"/api/v1/o/centre-a/pieces/{own.public_id}/").status_code == 200
    assert api.get(f"/api/v1/o/centre-a/pieces/{foreign.public_id}/").status_code == 404
