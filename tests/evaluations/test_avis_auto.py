"""The avis de l'entreprise is requested at inscription when the référentiel needs it.

Seed 000: « L'acquisition de chacune des capacités professionnelles est validée par une commission
d'évaluation sur la base : … de l'avis de l'entreprise ».
Seed 004: « A partir d'une note attribuée par le professionnel qui suit le candidat en entreprise à
l'aide d'une grille d'activités et de compétences ».
"""

import datetime as dt

import pytest
from django.utils import timezone

from candidates import services as candidates_services
from candidates.models import Dossier
from evaluations.models import AvisEntreprise
from tests.evaluations.conftest import IDENTITY


def _dossier(alice, referentiel, *, tuteur=True, remise=None):
    from candidates.selectors import dossier_grid

    candidate = candidates_services.candidate_create(by=alice, **IDENTITY)
    dossier = candidates_services.dossier_create(
        by=alice,
        candidate=candidate,
        referentiel=referentiel,
        voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
        date_inscription=timezone.localdate(),
    )
    if tuteur:
        t = candidates_services.tuteur_create(
            by=alice, nom="Petit", prenom="Marc", email="marc@entreprise.example"
        )
        Dossier.objects.filter(pk=dossier.pk).update(tuteur=t, date_remise_rapport=remise)
        dossier.refresh_from_db()
    choices = {
        cr.capacite.pk: cr.allowed[0].pk
        for row in dossier_grid(dossier=dossier)
        if row.vise
        for cr in row.capacites
    }
    candidates_services.dossier_plan_update(dossier=dossier, by=alice, blocs=None, modalites=choices)
    return candidates_services.dossier_transition(dossier=dossier, to=Dossier.Status.INSCRIT, by=alice)


@pytest.mark.parametrize("ref", ["cqpm", "rncp"])
def test_avis_requested_at_inscription_with_every_capacite(
    in_a, alice, referentiels, ref, django_capture_on_commit_callbacks
):
    referentiel = referentiels[ref]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dossier = _dossier(alice, referentiel)
    avis = AvisEntreprise.objects.get(dossier=dossier)
    assert avis.date_limite == timezone.localdate() + dt.timedelta(days=60)
    assert avis.capacites.count() == referentiel.capacites.count()
    assert callbacks  # the link goes out once the inscription is committed


def test_deadline_is_the_rapport_date_and_no_tuteur_no_request(in_a, alice, referentiels):
    remise = timezone.localdate() + dt.timedelta(days=20)
    dossier = _dossier(alice, referentiels["cqpm"], remise=remise)
    assert AvisEntreprise.objects.get(dossier=dossier).date_limite == remise
    dossier = _dossier(alice, referentiels["cqpm"], tuteur=False)
    assert not AvisEntreprise.objects.filter(dossier=dossier).exists()
