"""Convocations through a real Celery worker: the task re-enters the tenant, renders, stores, sends."""

import datetime as dt

import pytest
from django.utils import timezone

from evaluations import services
from evaluations.models import Convocation
from organisations.tenancy import tenant_context
from tests.conftest import wait_for
from tests.evaluations.conftest import inscribed_dossier

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_convocation_delivered_by_the_worker(org_a, alice, referentiels, real_celery):
    with tenant_context(org_a):
        ref = referentiels["cqpm"]
        session = services.session_create(by=alice, referentiel=ref, intitule="Worker", lieu="Paris")
        epreuve = services.epreuve_create(
            session=session,
            by=alice,
            intitule="Soutenance",
            date=timezone.localdate() + dt.timedelta(days=40),
            heure_debut=dt.time(9),
            duree_minutes=60,
            capacites=[ref.capacites.first().code],
        )
        dossier = inscribed_dossier(alice, ref, email="lea@example.org")
        services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
        [convocation] = services.convocations_send(epreuve=epreuve, by=alice)

    def delivered():
        with tenant_context(org_a):
            c = Convocation.objects.select_related("document").get(pk=convocation.pk)
            return c if c.status == Convocation.Status.SENT else None

    c = wait_for(delivered, timeout=60)
    assert c.document.status == "ready" and c.document.sha256 and c.attempts == 1
