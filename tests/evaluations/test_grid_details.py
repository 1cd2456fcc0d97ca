"""The évaluateur's grid: critères observed and the comment of each cell, autosaved with htmx
(constant queries on the grid; a critère of another capacité is refused, nothing written)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations import services
from evaluations.models import Resultat, ResultatChange
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.models import Capacite, Critere
from tests.evaluations import test_pages_and_api

cqpm_epreuve = test_pages_and_api.cqpm_epreuve  # the fixture, shared


def _details_url(epreuve):
    return f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/details/"


@pytest.fixture
def eva(org_a, member_factory):
    return member_factory(org_a, Role.EVALUATEUR, "eva@test.local")


def test_grid_summarises_each_cell_and_loads_its_critères_on_demand(
    org_a, alice, eva, client_for, cqpm_epreuve
):
    small, small_dossiers = cqpm_epreuve(n=5, evaluateurs=[eva.user])
    big, big_dossiers = cqpm_epreuve(n=50, evaluateurs=[eva.user])
    with tenant_context(org_a):
        caps = {
            c.code: c
            for c in Capacite.objects.filter(referentiel=small.session.referentiel, code__in=small.capacites)
        }
        nb_criteres = Critere.objects.filter(capacite__in=caps.values()).count()
        for epreuve, dossiers in ((small, small_dossiers), (big, big_dossiers)):
            for dossier in dossiers:
                cap = caps[epreuve.capacites[0]]
                services.epreuve_mark(
                    epreuve=epreuve, dossier=dossier, by=alice, cible=cap.code, valeur="acquis"
                )
                services.resultat_details_record(
                    epreuve=epreuve,
                    dossier=dossier,
                    by=alice,
                    cible=cap.code,
                    criteres_observes=[cap.criteres.first().pk],
                    commentaire="Bonne maîtrise",
                )
    assert nb_criteres > 0
    client = client_for(eva)
    counts = []
    for epreuve in (small, big):
        url = f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/"
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    page = r.content.decode()
    assert page.count("data-cell") == 50 * len(big.capacites)  # the keyboard cells are unchanged
    assert page.count('hx-trigger="toggle once"') == 50 * len(big.capacites)  # one disclosure per cell
    assert page.count("(1 observé, commenté)") == 50 and 'name="criteres"' not in page  # loaded on demand
    # opening a cell loads its critères (those observed checked) and comment, in a few queries
    dossier, cap = big_dossiers[0], caps[big.capacites[0]]
    details = f"/o/centre-a/evaluations/epreuves/{big.public_id}/grille/details/"
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(
            details, {"dossier": str(dossier.public_id), "cible": cap.code}, HTTP_HX_REQUEST="true"
        )
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body
    assert body.count('name="criteres"') == cap.criteres.count() and body.count(" checked>") == 1
    assert "Bonne maîtrise" in body and len(ctx.captured_queries) <= 16, len(ctx.captured_queries)
    with tenant_context(org_a):
        inscription = big.inscriptions.get(dossier=dossier)
    assert f'id="dstatus-{inscription.pk}-0"' in body  # the cell's own ids
    other = caps[big.capacites[1]]
    r = client.get(details, {"dossier": str(dossier.public_id), "cible": other.code}, HTTP_HX_REQUEST="true")
    assert r.content.decode().count('name="criteres"') == other.criteres.count()
    assert "Saisissez d'abord le résultat" in r.content.decode()
    r = client.get(details, {"dossier": str(dossier.public_id), "cible": "ZZZ"}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in r.content.decode()


def test_details_autosave_writes_criteres_and_comment_with_history(
    org_a, alice, eva, client_for, cqpm_epreuve
):
    epreuve, [dossier] = cqpm_epreuve(evaluateurs=[eva.user])
    with tenant_context(org_a):
        cap = Capacite.objects.get(referentiel=epreuve.session.referentiel, code=epreuve.capacites[0])
        ids = list(cap.criteres.values_list("pk", flat=True))[:2]
    client = client_for(eva)
    data = {"dossier": str(dossier.public_id), "cible": cap.code, "criteres": ids, "commentaire": "Précis"}
    r = client.post(_details_url(epreuve), data, HTTP_HX_REQUEST="true")
    assert "saisissez d&#x27;abord le résultat" in r.content.decode()  # nothing marked yet
    with tenant_context(org_a):
        assert not Resultat.objects.filter(dossier=dossier).exists()
    client.post(
        f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/saisie/",
        {"dossier": str(dossier.public_id), "cible": cap.code, "valeur": "acquis"},
        HTTP_HX_REQUEST="true",
    )
    r = client.post(_details_url(epreuve), data, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "critères et commentaire enregistrés" in r.content.decode()
    assert "<html" not in r.content.decode()  # a status line, not a page
    with tenant_context(org_a):
        resultat = Resultat.objects.get(dossier=dossier)
        assert resultat.criteres_observes == sorted(ids) and resultat.commentaire == "Précis"
        assert resultat.etat == "acquis"
        fields = set(ResultatChange.objects.filter(resultat=resultat).values_list("field", flat=True))
        assert {"criteres_observes", "commentaire"} <= fields
    # unchecking everything and clearing the comment is a save too
    r = client.post(
        _details_url(epreuve),
        {"dossier": str(dossier.public_id), "cible": cap.code, "commentaire": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "enregistrés" in r.content.decode()
    with tenant_context(org_a):
        resultat.refresh_from_db()
        assert resultat.criteres_observes == [] and resultat.commentaire == ""


def test_details_refuse_a_critere_of_another_capacite_and_write_nothing(
    org_a, alice, eva, client_for, cqpm_epreuve
):
    epreuve, [dossier] = cqpm_epreuve(evaluateurs=[eva.user])
    with tenant_context(org_a):
        cap, other = Capacite.objects.filter(
            referentiel=epreuve.session.referentiel, code__in=epreuve.capacites
        )[:2]
        mine = cap.criteres.first().pk
        foreign = other.criteres.first().pk
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible=cap.code, valeur="non_acquis")
        services.resultat_details_record(
            epreuve=epreuve,
            dossier=dossier,
            by=alice,
            cible=cap.code,
            criteres_observes=[mine],
            commentaire="Avant",
        )
        before = ResultatChange.objects.count()
    client = client_for(eva)
    for bad in ([mine, foreign], ["abc"]):
        r = client.post(
            _details_url(epreuve),
            {"dossier": str(dossier.public_id), "cible": cap.code, "criteres": bad, "commentaire": "Après"},
            HTTP_HX_REQUEST="true",
        )
        body = r.content.decode()
        assert r.status_code == 200 and 'role="alert"' in body
    assert (
        # named by its public id, as the API shows critères (never the internal integer)
        f"Critère(s) {other.criteres.first().public_id} hors de la capacité {cap.code}"
        in client.post(
            _details_url(epreuve),
            {
                "dossier": str(dossier.public_id),
                "cible": cap.code,
                "criteres": [foreign],
                "commentaire": "Après",
            },
            HTTP_HX_REQUEST="true",
        ).content.decode()
    )
    with tenant_context(org_a):
        resultat = Resultat.objects.get(dossier=dossier)
        assert resultat.criteres_observes == [mine] and resultat.commentaire == "Avant"
        assert ResultatChange.objects.count() == before


def test_details_of_an_epreuve_not_assigned_is_404_for_an_evaluateur(
    org_a, alice, eva, client_for, cqpm_epreuve
):
    epreuve, [dossier] = cqpm_epreuve()
    r = client_for(eva).post(
        _details_url(epreuve),
        {"dossier": str(dossier.public_id), "cible": epreuve.capacites[0]},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 404
