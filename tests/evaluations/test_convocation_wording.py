"""The convocation a candidate receives (issue 13, point 9): « the convocation says « Fait à
<ville> » and never prints an internal motif ». Fait à the centre's own city
(``Organisation.ville``), never the épreuve's room; the reason the centre gave for sending late is
its internal record (kept on the convocation), not a line of the candidate's letter."""

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

from django.utils import timezone

from evaluations import services
from evaluations.documents import convocation_pdf
from evaluations.models import Convocation
from organisations.models import Organisation
from tests.evaluations.conftest import inscribed_dossier

MOTIF = "Oubli du gestionnaire, relance tardive"
_PNG_DIR = os.environ.get("CONVOCATION_PNG_DIR")  # set it to look at the pages (pdftoppm -png)


def _text(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is required"
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    if _PNG_DIR:
        Path(_PNG_DIR, "convocation.pdf").write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                Path(_PNG_DIR, "convocation.pdf"),
                Path(_PNG_DIR, "convocation"),
            ],
            check=True,
        )
    return " ".join(out.stdout.decode().split())


def _forced_convocation(alice, ref, django_capture_on_commit_callbacks, **identity) -> Convocation:
    session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Salle polyvalente")
    epreuve = services.epreuve_create(
        session=session,
        by=alice,
        intitule="Présentation de projets",
        date=timezone.localdate() + dt.timedelta(days=10),
        heure_debut=dt.time(9, 30),
        duree_minutes=90,
        lieu="Campus Nord, bâtiment C",
        salle="B12",
        capacites=[ref.capacites.first().code],
    )
    dossier = inscribed_dossier(alice, ref, email="lea@example.org", **identity)
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    with django_capture_on_commit_callbacks(execute=True):
        [convocation] = services.convocations_send(epreuve=epreuve, by=alice, force=True, motif_forcage=MOTIF)
    convocation.refresh_from_db()
    return convocation


def test_convocation_is_made_at_the_centre_city_and_keeps_the_motif_internal(
    in_a, alice, referentiels, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=alice.organisation_id).update(ville="Villeurbanne")
    convocation = _forced_convocation(alice, referentiels["cqpm"], django_capture_on_commit_callbacks)
    text = _text(convocation_pdf(convocation))
    today = timezone.localdate()
    assert f"Fait à Villeurbanne, le {today:%d/%m/%Y}" in text
    assert "Fait à Campus Nord" not in text and "Fait à Salle" not in text
    assert "Campus Nord, bâtiment C" in text  # where the épreuve is held stays in its table
    assert MOTIF not in text and "Oubli" not in text
    assert "Convocation adressée moins d'un mois avant l'épreuve." in text
    # the motif is kept for the centre
    assert convocation.forcee and convocation.motif_forcage == MOTIF


def test_convocation_without_a_known_city_says_fait_le_only(
    in_a, alice, referentiels, django_capture_on_commit_callbacks
):
    Organisation.objects.filter(pk=alice.organisation_id).update(ville="")
    convocation = _forced_convocation(alice, referentiels["cqpm"], django_capture_on_commit_callbacks)
    text = _text(convocation_pdf(convocation))
    assert "Fait le " in text and "Fait à" not in text
