"""Fixes of the review of issue 5 (see test_review5_probes.py): the pages and API around them."""

from evaluations.models import CorrectionResolution
from organisations.tenancy import tenant_context
from tests.evaluations import test_api_edit_delete, test_review5_probes

planned = test_api_edit_delete.planned
disagreement = test_review5_probes.disagreement
API = "/api/v1/o/centre-a"


# --- a correcteur does not settle their own disagreement -----------------------------------------


def test_grid_offers_the_resolution_to_the_commission_not_to_the_correcteurs(
    org_a, alice, client_for, disagreement
):
    d = disagreement
    url = f"/o/centre-a/evaluations/epreuves/{d['epreuve'].public_id}/grille/"
    page = client_for(d["eva1"]).get(url).content.decode()
    assert "Désaccord" in page and "à trancher par la commission" in page
    assert "grille/resoudre/" not in page
    page = client_for(alice).get(url).content.decode()
    assert "grille/resoudre/" in page and "à trancher par la commission" not in page


def test_a_correcteur_resolving_on_the_page_gets_a_message_and_nothing_is_written(
    org_a, client_for, disagreement
):
    d = disagreement
    r = client_for(d["eva2"]).post(
        f"/o/centre-a/evaluations/epreuves/{d['epreuve'].public_id}/grille/resoudre/",
        {"dossier": str(d["dossier"].public_id), "cible": d["cible"], "valeur": "non_acquis", "motif": "Moi"},
        follow=True,
    )
    assert "Vous êtes correcteur de cette épreuve" in r.content.decode()
    with tenant_context(org_a):
        assert CorrectionResolution.objects.count() == 0


def test_a_correcteur_resolving_through_the_api_gets_a_french_400(api_for, disagreement):
    d = disagreement
    r = api_for(d["eva1"]).post(
        f"{API}/epreuves/{d['epreuve'].public_id}/resolutions/",
        {"dossier": str(d["dossier"].public_id), "cible": d["cible"], "valeur": "acquis", "motif": "x"},
        format="json",
    )
    assert r.status_code == 400 and "commission d" in r.content.decode()
