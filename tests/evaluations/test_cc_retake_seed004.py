"""Seed 004, the contrôle continu of a retake, through the service, the results page and the grid.

« Dans le cadre d'une présentation aux épreuves de rattrapage : le candidat repasse uniquement les
évaluations de blocs et conserve le bénéfice de sa note de tuteur pour l'évaluation
professionnelle. » — the contrôle continu is kept, never asked again.
« Dans le cadre d'un redoublement : le candidat suit les modules du ou des blocs non-validés et
repasse toutes les évaluations de modules suivis et les évaluations de blocs de l'année
concernée. » — the contrôle continu is entered again.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from candidates import services as cs
from candidates.models import Dossier, DossierBloc
from core.errors import ApplicationError
from evaluations import controle_continu
from evaluations.models import Resultat, ResultatChange
from evaluations.services import resultat_record
from organisations.tenancy import tenant_context
from tests.evaluations.test_parcours_seed004 import BC03, _partiel

S = Dossier.Status


def _retake(alice, rncp, reprise):
    first = _partiel(alice, rncp)
    retake = cs.dossier_rattrapage_open(dossier=first, by=alice, reprise=reprise)
    return cs.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)


def test_rattrapage_does_not_ask_the_controle_continu_again(in_a, alice, referentiels):
    retake = _retake(alice, referentiels["rncp"], "rattrapage")
    bc03 = DossierBloc.objects.get(dossier=retake, bloc__code=BC03).bloc
    (row,) = controle_continu.cc_rows(retake)
    assert row["bloc"] == bc03 and row["conserve"] and row["valeur"] == Decimal("10")
    before = ResultatChange.objects.count()
    with pytest.raises(ApplicationError) as exc:
        resultat_record(dossier=retake, by=alice, bloc=bc03, controle_continu="60")
    assert exc.value.message.startswith(f"Bloc {BC03} : rattrapage, le contrôle continu (10")
    assert "repasse uniquement les évaluations de blocs" in exc.value.message
    assert Resultat.objects.get(dossier=retake, bloc=bc03).controle_continu == Decimal("10")
    assert ResultatChange.objects.count() == before  # nothing written
    # the bloc's épreuves are what the candidate sits again; the same CC sent again is no change
    r = resultat_record(dossier=retake, by=alice, bloc=bc03, epreuves="50", controle_continu="10")
    assert (r.controle_continu, r.epreuves) == (Decimal("10"), Decimal("50"))


def test_redoublement_enters_the_controle_continu_again(in_a, alice, referentiels):
    retake = _retake(alice, referentiels["rncp"], "redoublement")
    bc03 = DossierBloc.objects.get(dossier=retake, bloc__code=BC03).bloc
    (row,) = controle_continu.cc_rows(retake)
    assert not row["conserve"] and row["valeur"] is None
    r = resultat_record(dossier=retake, by=alice, bloc=bc03, controle_continu="60")
    assert r.controle_continu == Decimal("60")


def test_results_page_shows_the_kept_controle_continu_without_a_field(org_a, alice, referentiels, client_for):
    with tenant_context(org_a):
        retake = _retake(alice, referentiels["rncp"], "rattrapage")
    url = reverse("dossier_results", kwargs={"org_slug": org_a.slug, "dossier_id": retake.public_id})
    client = client_for(alice)
    page = client.get(url).content.decode()
    assert "conservé de la tentative précédente" in page and f'name="cc-{BC03}"' not in page
    r = client.post(url, {"action": "controle_continu", f"cc-{BC03}": "60"}, follow=True)
    assert "rattrapage, le contrôle continu" in r.content.decode()
    with tenant_context(org_a):
        assert Resultat.objects.get(dossier=retake, bloc__code=BC03).controle_continu == Decimal("10")


def test_first_attempt_unchanged(in_a, alice, referentiels):
    from tests.evaluations.conftest import inscribed_dossier

    dossier = inscribed_dossier(alice, referentiels["rncp"])
    assert all(not r["conserve"] for r in controle_continu.cc_rows(dossier))
    bc01 = referentiels["rncp"].blocs.get(code="RNCP36390BC01")
    assert resultat_record(dossier=dossier, by=alice, bloc=bc01, controle_continu="70").controle_continu == 70
