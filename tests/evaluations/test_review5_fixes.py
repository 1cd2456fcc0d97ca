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


# --- rattrapage: the kept tuteur grade is refused everywhere --------------------------------------


def test_kept_tuteur_grade_refused_through_the_api_and_other_composantes_still_marked(
    org_a, alice, referentiels, api_for
):
    from candidates import services as candidates_services
    from candidates.models import Dossier
    from evaluations.models import Resultat
    from evaluations.services import resultat_record
    from tests.evaluations.test_retake_tuteur import _first_attempt

    with tenant_context(org_a):
        first = _first_attempt(alice, referentiels["rncp"], tuteur=42)
        retake = candidates_services.dossier_rattrapage_open(dossier=first, by=alice)
        retake = candidates_services.dossier_transition(dossier=retake, to=Dossier.Status.INSCRIT, by=alice)
        ecrit = resultat_record(dossier=retake, by=alice, composante="ecrit", points=80)
        assert ecrit.points == 80
    r = api_for(alice).post(
        f"{API}/dossiers/{retake.public_id}/resultats/",
        {"composante": "tuteur", "points": "10"},
        format="json",
    )
    assert r.status_code == 400 and "conserve le bénéfice de sa note de tuteur" in r.content.decode()
    with tenant_context(org_a):
        kept = Resultat.objects.get(dossier=retake, composante="tuteur")
        assert kept.points == 42 and kept.valide


# --- PATCH refuses what it cannot change ------------------------------------------------------------


def test_patch_naming_a_fixed_or_unknown_field_is_400_and_writes_nothing(org_a, alice, api_for, planned):
    from evaluations.models import Epreuve, SessionExamen

    session, epreuve, _ = planned()
    api = api_for(alice)
    url = f"{API}/epreuves/{epreuve.public_id}/"
    with tenant_context(org_a):
        before = Epreuve.objects.values().get(pk=epreuve.pk)
    r = api.patch(url, {"capacites": ["1"], "intitule": "Nouvel intitulé"}, format="json")
    assert r.status_code == 400
    body = r.content.decode()
    assert "capacites" in body and "supprimez l'épreuve et recréez-la" in body
    r = api.patch(url, {"intitul": "Faute de frappe"}, format="json")
    assert r.status_code == 400 and "intitul" in r.content.decode() and "inconnu" in r.content.decode()
    r = api.patch(url, {"duree_minutes": 0, "bloc": "X"}, format="json")
    assert r.status_code == 400 and "duree_minutes" in r.content.decode() and "bloc" in r.content.decode()
    with tenant_context(org_a):
        assert Epreuve.objects.values().get(pk=epreuve.pk) == before
    # what is editable still is
    assert api.patch(url, {"intitule": "Nouvel intitulé"}, format="json").status_code == 200
    r = api.patch(f"{API}/sessions/{session.public_id}/", {"referentiel": "autre"}, format="json")
    assert r.status_code == 400 and "referentiel" in r.content.decode()
    with tenant_context(org_a):
        assert SessionExamen.objects.get(pk=session.pk).referentiel_id == session.referentiel_id
