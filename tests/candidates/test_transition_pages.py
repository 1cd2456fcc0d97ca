"""Every transition through the dossier page: the message the user sees after each allowed or
refused move, the blockers shown before trying, and the timeline."""

import html

from candidates import services
from candidates.models import Dossier, DossierTransition, Piece
from candidates.selectors import dossier_grid
from organisations.tenancy import tenant_context
from tests.builders import pdf_upload
from tests.candidates.conftest import make_dossier

S = Dossier.Status


def test_every_transition_through_the_page_shows_its_message(habilitated, alice, client_for, cqpm):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, cqpm, plan=False)
    client = client_for(alice)
    detail = f"/o/centre-a/candidats/dossiers/{dossier.public_id}/"
    url = detail + "transition/"

    def post(to, reason=""):
        response = client.post(url, {"to": to, "reason": reason}, follow=True)
        assert response.redirect_chain[-1][0] == detail
        return html.unescape(response.content.decode())

    def status():
        with tenant_context(habilitated):
            return Dossier.objects.get(pk=dossier.pk).status

    # Before trying, the page lists why « Inscrire » is blocked; trying shows the same reasons.
    page = html.unescape(client.get(detail).content.decode())
    assert "Modalité d'évaluation à choisir pour :" in page
    assert "Passage « Inscrit » impossible : Modalité d'évaluation à choisir pour :" in post(S.INSCRIT)
    assert status() == S.BROUILLON
    with tenant_context(habilitated):
        choices = {
            cr.capacite.pk: next(m.pk for m in cr.allowed if m.type == "presentation_projets")
            for row in dossier_grid(dossier=dossier)
            for cr in row.capacites
        }
        services.dossier_plan_update(dossier=dossier, by=alice, blocs=None, modalites=choices)
    assert "Dossier passé « Inscrit »." in post(S.INSCRIT)
    assert "Indiquez le motif pour passer le dossier « Brouillon »." in post(S.BROUILLON)
    assert status() == S.INSCRIT
    assert "Dossier passé « Brouillon »." in post(S.BROUILLON, "Erreur de modalité")
    assert "Dossier passé « Inscrit »." in post(S.INSCRIT)
    assert "Un dossier « Inscrit » ne peut pas passer « Prêt pour le jury »." in post(S.PRET_POUR_JURY)
    assert "Dossier passé « En évaluation »." in post(S.EN_EVALUATION)
    assert (
        "Passage « Prêt pour le jury » impossible : Pièce manquante : rapport (exigé par la modalité choisie)."
        in post(S.PRET_POUR_JURY)
    )
    with tenant_context(habilitated):
        services.piece_upload(dossier=dossier, by=alice, kind=Piece.Kind.RAPPORT, uploaded_file=pdf_upload())
    assert "Dossier passé « Prêt pour le jury »." in post(S.PRET_POUR_JURY)
    assert "Indiquez le motif pour passer le dossier « En évaluation »." in post(S.EN_EVALUATION)
    assert "Dossier passé « En évaluation »." in post(S.EN_EVALUATION, "Complément demandé")
    assert "Dossier passé « Prêt pour le jury »." in post(S.PRET_POUR_JURY)
    assert "La délibération se fait par le jury" in post(S.DELIBERE)
    assert "Indiquez le motif pour passer le dossier « Abandon »." in post(S.ABANDON)
    assert status() == S.PRET_POUR_JURY
    assert "Dossier passé « Abandon »." in post(S.ABANDON, "Démission")
    assert "Un dossier « Abandon » ne peut pas passer « Inscrit »." in post(S.INSCRIT)
    assert "État demandé inconnu." in post("publie")
    assert status() == S.ABANDON
    with tenant_context(habilitated):
        steps = list(
            DossierTransition.objects.filter(dossier=dossier)
            .order_by("at", "pk")
            .values_list("to_status", "reason")
        )
    assert steps == [
        (S.BROUILLON, "Création du dossier"),
        (S.INSCRIT, ""),
        (S.BROUILLON, "Erreur de modalité"),
        (S.INSCRIT, ""),
        (S.EN_EVALUATION, ""),
        (S.PRET_POUR_JURY, ""),
        (S.EN_EVALUATION, "Complément demandé"),
        (S.PRET_POUR_JURY, ""),
        (S.ABANDON, "Démission"),
    ]
    page = html.unescape(client.get(detail).content.decode())
    timeline = page[
        page.index('<ol class="timeline">') : page.index("</ol>", page.index('<ol class="timeline">'))
    ]
    assert timeline.count("<li>") == 9 and "Démission" in timeline and "Complément demandé" in timeline
