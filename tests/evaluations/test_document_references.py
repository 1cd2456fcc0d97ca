"""Convocations and feuilles d'émargement carry a human reference, never a database id (issue 13,
point 9: « no internal ids or UUID fragments » on a legal record).

The reference comes from the centre's own gap-free yearly counter (the one the parchemins'
numbers use, ``documents.NumberSequence``): ``CONV-2026-0001`` for a candidate's convocation to an
épreuve, ``CONV-2026-0001-2`` when it is sent again; ``EMARG-2026-0001`` for the épreuve's sheet.
Set ``CONVOCATION_PNG_DIR`` to look at the pages (pdftoppm -png).
"""

import datetime as dt
import re

from django.utils import timezone

from documents.models import NumberSequence
from evaluations import services
from evaluations.documents import convocation_pdf, emargement_pdf
from evaluations.models import Convocation, Epreuve
from organisations.models import Organisation
from tests.evaluations.conftest import inscribed_dossier
from tests.evaluations.test_convocation_wording import _text


def _epreuve(alice, ref):
    session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Salle polyvalente")
    return services.epreuve_create(
        session=session,
        by=alice,
        intitule="Présentation de projets",
        date=timezone.localdate() + dt.timedelta(days=40),
        heure_debut=dt.time(9, 30),
        duree_minutes=90,
        lieu="Campus Nord, bâtiment C",
        salle="B12",
        capacites=[ref.capacites.first().code],
    )


def _ids_absent(text: str, *ids: int) -> None:
    """No database id in the printed references (nor anywhere as a stand-alone number)."""
    for reference in re.findall(r"\b(?:CONV|EMARG)-[0-9A-Z-]+", text):
        assert re.fullmatch(r"(CONV|EMARG)-20\d\d-\d{4}(-\d+)?", reference), reference
    for pk in ids:
        assert not re.search(rf"-{pk}-", text), pk


def test_convocation_reference_is_the_centres_number_kept_by_a_resend(
    in_a, alice, referentiels, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=alice.organisation_id).update(ville="Villeurbanne")
    ref = referentiels["cqpm"]
    epreuve = _epreuve(alice, ref)
    lea = inscribed_dossier(alice, ref, email="lea@example.org", nom_naissance="Martin", prenom1="Léa")
    tom = inscribed_dossier(alice, ref, email="tom@example.org", nom_naissance="Petit", prenom1="Tom")
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[lea, tom])
    with django_capture_on_commit_callbacks(execute=True):
        first = services.convocations_send(epreuve=epreuve, by=alice)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.convocations_send(
            epreuve=epreuve,
            by=alice,
            inscriptions=[first[0].inscription],
            renvoi=True,
            motif_renvoi="Adresse corrigée",
        )
    year = timezone.localdate().year
    convocations = {c.pk: c for c in Convocation.objects.all()}
    references = sorted(c.reference for c in convocations.values())
    assert references == [f"CONV-{year}-0001", f"CONV-{year}-0001-2", f"CONV-{year}-0002"]
    resent = convocations[again[0].pk]
    assert resent.reference == convocations[first[0].pk].reference + "-2"
    text = _text(convocation_pdf(resent))
    assert f"CONV-{year}-0001-2" in text
    _ids_absent(text, resent.inscription_id, resent.pk, epreuve.pk)
    # the counter is the centre's own series, gap-free
    sequence = NumberSequence.objects.get(certificateur_id=alice.organisation_id, series="CONV", year=year)
    assert sequence.last_value == 2


def test_emargement_reference_is_taken_once_per_epreuve(in_a, alice, referentiels):
    ref = referentiels["cqpm"]
    epreuve = _epreuve(alice, ref)
    lea = inscribed_dossier(
        alice, ref, email="lea@example.org", nom_naissance="Martin", prenom1="Léa", civilite="MME"
    )
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[lea])
    year = timezone.localdate().year
    text = _text(emargement_pdf(epreuve, by=alice))
    assert f"EMARG-{year}-0001" in text
    assert f"-{epreuve.pk}" not in text.replace(f"EMARG-{year}-0001", "")
    _ids_absent(text, epreuve.pk)
    # « née », never « né(e) »: the wording follows the civilité (issue 13, point 9)
    assert "né(e)" not in text and "née " in text
    # a changed list gives a new sheet, the same reference
    tom = inscribed_dossier(alice, ref, email="tom@example.org", nom_naissance="Petit", prenom1="Tom")
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[tom])
    epreuve = Epreuve.objects.get(pk=epreuve.pk)
    assert f"EMARG-{year}-0001" in _text(emargement_pdf(epreuve, by=alice))
    assert epreuve.reference_emargement == f"EMARG-{year}-0001"
