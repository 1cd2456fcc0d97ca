"""Messages in users' words (issue 15): document batches carry a human label, e-mails and
convocations use the certification's title and the civilité, the supervision page explains its
export itself."""

import datetime as dt

from django.core import mail
from django.utils import timezone

from documents.batch_labels import batch_labels
from evaluations import services
from evaluations.models import Convocation
from tests.evaluations.conftest import inscribed_dossier


def test_batch_labels_are_human(in_a, alice, referentiels):
    rncp = referentiels["rncp"]
    session = services.session_create(by=alice, referentiel=rncp, intitule="Session de juin", lieu="Lyon")
    epreuve = services.epreuve_create(
        session=session,
        by=alice,
        intitule="Étude de cas",
        date=dt.date(2027, 6, 10),
        heure_debut=dt.time(9),
        duree_minutes=60,
        bloc=rncp.blocs.first(),
    )
    key = f"evaluations:epreuve:{epreuve.public_id}:convocations"
    labels = batch_labels([key, "inconnu:123"])
    assert labels[key] == "Convocations — Étude de cas du 10/06/2027 (RNCP36390)"
    assert labels["inconnu:123"] == "Autre lot"


def test_convocation_mail_names_the_certification_and_agrees_with_the_civilite(
    in_a, alice, referentiels, django_capture_on_commit_callbacks
):
    cqpm = referentiels["cqpm"]
    dossier = inscribed_dossier(alice, cqpm, email="lea@example.org")  # Mme Léa Durand
    session = services.session_create(by=alice, referentiel=cqpm, intitule="Session", lieu="Paris")
    epreuve = services.epreuve_create(
        session=session,
        by=alice,
        intitule="Soutenance",
        date=timezone.localdate() + dt.timedelta(days=45),
        heure_debut=dt.time(9),
        duree_minutes=60,
        capacites=[c.code for c in cqpm.capacites.all()],
    )
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        [c] = services.convocations_send(epreuve=epreuve, by=alice)
    c.refresh_from_db()
    assert c.status == Convocation.Status.SENT, c.error
    body = mail.outbox[-1].body
    assert "Vous êtes convoquée à l'épreuve « Soutenance »" in body
    assert f"« {cqpm.intitule} »" in body and "convoqué(e)" not in body
