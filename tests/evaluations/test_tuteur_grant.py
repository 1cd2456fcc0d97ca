"""Issue 16: « a tuteur's links die with the dossier's tuteur change ». An avis not yet given moves
to the new tuteur with a new link version; every link sent to the old tuteur stops working."""

import re

from django.core import mail

from candidates import services as candidates_services
from candidates.models import Dossier
from evaluations.models import AvisEntreprise
from organisations.tenancy import tenant_context
from tests.evaluations.test_pages_and_api import _avis_setup


def _link(message) -> str:
    return re.search(r"(/avis/lien/[^\s/]+/)", message.body).group(1)


def test_old_tuteur_link_dies_when_the_dossier_changes_tuteur(
    org_a, alice, referentiels, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        avis = _avis_setup(org_a, alice, referentiels)
    path = _link(mail.outbox[-1])
    assert client.get(path).status_code == 200
    with tenant_context(org_a):
        new = candidates_services.tuteur_create(
            by=alice, nom="Martin", prenom="Lucie", email="lucie@autre.fr"
        )
        dossier = Dossier.objects.get(pk=avis.dossier_id)
        dossier.tuteur = new  # any path saving the dossier: service, API, admin site
        dossier.save()
        moved = AvisEntreprise.objects.get(pk=avis.pk)
    assert moved.tuteur_id == new.pk and moved.lien_version == avis.lien_version + 1
    response = client.get(path)
    assert response.status_code == 400 and "remplacé par un nouveau lien" in response.content.decode()


def test_avis_request_is_withdrawn_when_the_dossier_loses_its_tuteur(org_a, alice, referentiels):
    avis = _avis_setup(org_a, alice, referentiels)
    with tenant_context(org_a):
        dossier = Dossier.objects.get(pk=avis.dossier_id)
        dossier.tuteur = None
        dossier.save()
        assert not AvisEntreprise.objects.filter(pk=avis.pk).exists()


def test_saving_a_dossier_without_changing_its_tuteur_keeps_the_link(org_a, alice, referentiels):
    avis = _avis_setup(org_a, alice, referentiels)
    with tenant_context(org_a):
        dossier = Dossier.objects.get(pk=avis.dossier_id)
        dossier.save()
        assert AvisEntreprise.objects.get(pk=avis.pk).lien_version == avis.lien_version
