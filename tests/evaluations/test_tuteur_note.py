"""The tuteur's note (seed 004): « A partir d'une note attribuée par le professionnel qui suit le
candidat en entreprise à l'aide d'une grille d'activités et de compétences » — given by the tuteur
on the avis page, or entered by the centre on the tuteur's behalf with a trace."""

from decimal import Decimal

from django.urls import reverse

from evaluations.models import AvisEntreprise, Resultat, ResultatChange
from organisations.tenancy import tenant_context
from tests.conftest import make_member
from tests.evaluations.test_avis_auto import _dossier


def test_tuteur_gives_the_note_on_the_avis_page(in_a, alice, referentiels, client_for, org_a):
    dossier = _dossier(alice, referentiels["rncp"])
    avis = AvisEntreprise.objects.get(dossier=dossier)
    tuteur = make_member(org_a, "tuteur", "marc@entreprise.example")
    client = client_for(tuteur)
    url = reverse("avis_detail", kwargs={"org_slug": org_a.slug, "avis_id": avis.public_id})
    page = client.get(url).content.decode()
    assert "Note attribuée, sur 50" in page
    r = client.post(url, {"action": "brouillon", "note_tuteur": "51"})
    assert r.status_code == 400 and "au plus 50" in r.content.decode()
    r = client.post(url, {"action": "brouillon", "note_tuteur": "42,5"}, follow=True)
    assert r.status_code == 200
    with tenant_context(org_a):
        res = Resultat.objects.get(dossier=dossier, composante="tuteur")
        assert res.points == Decimal("42.5") and res.evaluateur == tuteur.user
        assert ResultatChange.objects.filter(
            resultat=res, reason="Note attribuée par le tuteur (grille d'activités et de compétences)"
        ).exists()


def test_centre_enters_the_note_on_the_tuteurs_behalf(in_a, alice, referentiels, client_for, org_a):
    dossier = _dossier(alice, referentiels["rncp"])
    url = reverse("dossier_results", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    client = client_for(alice)
    assert "Enregistrer pour le compte du tuteur" in client.get(url).content.decode()
    r = client.post(url, {"action": "note_tuteur", "points": "38"}, follow=True)
    assert "Note du tuteur enregistrée pour son compte." in r.content.decode()
    with tenant_context(org_a):
        res = Resultat.objects.get(dossier=dossier, composante="tuteur")
        assert res.points == Decimal("38") and res.evaluateur == alice.user
        change = ResultatChange.objects.get(resultat=res, field="points")
        assert (
            change.reason == "Note saisie par le centre pour le compte du tuteur Marc Petit"
            or change.reason.startswith("Note saisie par le centre pour le compte du tuteur")
        )
