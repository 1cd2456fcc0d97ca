"""Named builders of test data, shared by the test modules (a test module never imports another).

Each builder goes through the services, as the application does, and says what it builds:
``pret_dossier`` is a dossier « prêt pour le jury », ``epreuve`` an épreuve of a session…
Call them inside ``tenant_context`` (the ``in_a`` fixture) with the acting member (``alice``).
Fixtures stay in the ``conftest.py`` files; plain functions that build belong here.
"""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from candidates import services as candidates_services
from candidates.models import Candidate, Dossier, Piece
from evaluations import services as evaluations_services
from tests.candidates.conftest import make_dossier
from tests.juries.conftest import grade_rncp, ready_dossier

S = Dossier.Status

# --- candidates ---------------------------------------------------------------------------------

#: The smallest file the sniffing accepts as a PDF.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf_upload(name="rapport.pdf", data=PDF):
    """An uploaded PDF, as a form or the API receives it."""
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def pret_dossier(alice, referentiel, **kw):
    """A dossier « prêt pour le jury »: inscrit, en évaluation, its rapport uploaded."""
    dossier = make_dossier(alice, referentiel, **kw)
    for to in (S.INSCRIT, S.EN_EVALUATION):
        dossier = candidates_services.dossier_transition(dossier=dossier, to=to, by=alice)
    candidates_services.piece_upload(
        dossier=dossier, by=alice, kind=Piece.Kind.RAPPORT, uploaded_file=pdf_upload()
    )
    return candidates_services.dossier_transition(dossier=dossier, to=S.PRET_POUR_JURY, by=alice)


def bulk_candidates(org, referentiel, n, start=0):
    """n candidates with one dossier each, written in bulk (fast set-up)."""
    candidates = Candidate.objects.bulk_create(
        [
            Candidate(
                organisation=org,
                civilite="M",
                sexe="M",
                nom_naissance=f"NOM{i:05d}",
                prenom1="Jean",
                naissance_annee=1990,
            )
            for i in range(start, start + n)
        ]
    )
    Dossier.objects.bulk_create(
        [
            Dossier(organisation=org, candidate=c, referentiel=referentiel, voie_acces="VAE")
            for c in candidates
        ]
    )


# --- evaluations --------------------------------------------------------------------------------

#: RNCP36390 points of every bloc (contrôle continu, épreuves): all blocs validated.
RNCP_FULL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (40, 60),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}
#: The same with BC03 below its minimum: a partial validation.
RNCP_WEAK = {**RNCP_FULL, "RNCP36390BC03": (10, 10)}


def rncp_results(dossier, alice, *, blocs, ecrit=100, oral=60, tuteur=40, validate=True):
    """The RNCP36390 results of ``dossier``: each bloc's points and the three composantes."""
    ref = dossier.referentiel
    for code, (cc, ep) in blocs.items():
        r = evaluations_services.resultat_record(
            dossier=dossier, by=alice, bloc=ref.blocs.get(code=code), controle_continu=cc, epreuves=ep
        )
        if validate:
            evaluations_services.resultat_validate(resultat=r, by=alice)
    for comp, pts in (("ecrit", ecrit), ("oral", oral), ("tuteur", tuteur)):
        r = evaluations_services.resultat_record(dossier=dossier, by=alice, composante=comp, points=pts)
        if validate:
            evaluations_services.resultat_validate(resultat=r, by=alice)


def scheduled_epreuve(session, alice, *, evaluateurs=(), days=-1, **target):
    """An épreuve of ``session`` in ``days`` days (by default held yesterday), 9:00, one hour;
    ``target``: bloc, capacites or composante. Results and attendance are recorded only once an
    épreuve has started (issue 13, point 4): pass a positive ``days`` for one still to come."""
    return evaluations_services.epreuve_create(
        session=session,
        by=alice,
        intitule="Épreuve",
        date=timezone.localdate() + dt.timedelta(days=days),
        heure_debut=dt.time(9),
        duree_minutes=60,
        evaluateurs=evaluateurs,
        **target,
    )


def epreuve_held(epreuve, *, days_ago=1):
    """Time passes for a test: the épreuve planned ahead (convocations go out a month before) has
    now taken place, ``days_ago`` days ago. Its date is moved, as the clock would have moved; what
    the épreuve recorded before (convocations, inscriptions) is kept."""
    from evaluations.models import Epreuve

    Epreuve.objects.filter(pk=epreuve.pk).update(date=timezone.localdate() - dt.timedelta(days=days_ago))
    epreuve.refresh_from_db()
    return epreuve


def bloc_epreuve(alice, ref, code="RNCP36390BC01", **kw):
    """An épreuve of bloc ``code`` in a new session « Juin »."""
    session = evaluations_services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
    return scheduled_epreuve(session, alice, bloc=ref.blocs.get(code=code), **kw)


def rncp_partiel_first_attempt(alice, rncp, **grading):
    """A first RNCP36390 attempt deliberated « partiel » (BC03 failed): what a retake opens from."""

    def grade(dossier, by):
        grade_rncp(dossier, by, blocs=RNCP_WEAK, **grading)

    dossier = ready_dossier(alice, rncp, grade=grade)
    return candidates_services.dossier_deliberate(
        dossier=dossier,
        by=alice,
        decision="partiel",
        blocs_acquis=["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC04"],
    )


# --- référentiels -------------------------------------------------------------------------------


def rncp_unpadded_blocs(certificateur):
    """A published copy of RNCP36390 (code RNCP99999) whose blocs are coded BC1, BC10, BC2, BC3 and
    stored in that (text) order: natural order (1, 2, 3, 10) must come from the codes."""
    from referentiels.exchange import document_parse
    from referentiels.seeds import seed_path
    from referentiels.services import referentiel_import, referentiel_publish

    text = seed_path("rncp36390.json").read_text().replace("RNCP36390", "RNCP99999")
    for old, new in (("BC01", "BC1"), ("BC02", "BC10"), ("BC03", "BC2"), ("BC04", "BC3")):
        text = text.replace(f"RNCP99999{old}", f"RNCP99999{new}")
    doc = document_parse(text.encode(), "rncp99999.json")
    referentiel = referentiel_import(doc=doc, certificateur=certificateur)
    referentiel_publish(referentiel=referentiel, by=certificateur)
    return referentiel
