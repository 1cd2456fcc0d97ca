"""Convocation and feuille d'émargement PDFs (WeasyPrint through ``documents.rendering``).

The documents layer (numbering, ``IssuedDocument``) is not on this branch yet: the convocation
PDF is kept on the ``Convocation`` row (private storage); the émargement is rendered on demand.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from documents.rendering import render_pdf
from evaluations.models import Convocation, Epreuve, InscriptionEpreuve
from evaluations.services import duree_affichee, duree_candidat


def _duree(epreuve: Epreuve, dossier) -> dict:
    minutes = duree_candidat(epreuve.duree_minutes, tiers_temps=dossier.amenagement_tiers_temps)
    return {
        "minutes": minutes,
        "texte": duree_affichee(minutes),
        "base": duree_affichee(epreuve.duree_minutes),
        "tiers_temps": dossier.amenagement_tiers_temps,
        "supplement": duree_affichee(minutes - epreuve.duree_minutes),
    }


def convocation_html(convocation: Convocation) -> str:
    inscription = convocation.inscription
    epreuve, dossier = inscription.epreuve, inscription.dossier
    return render_to_string(
        "evaluations/pdf/convocation.html",
        {
            "c": convocation,
            "epreuve": epreuve,
            "session": epreuve.session,
            "dossier": dossier,
            "candidate": dossier.candidate,
            "organisation": convocation.organisation,
            "duree": _duree(epreuve, dossier),
            "amenagements": dossier.amenagements,
            "today": timezone.localdate(),
        },
    )


def convocation_pdf(convocation: Convocation) -> bytes:
    return render_pdf(convocation_html(convocation), stylesheet="base")


def emargement_html(epreuve: Epreuve) -> str:
    inscriptions = list(
        InscriptionEpreuve.objects.filter(epreuve=epreuve)
        .select_related("dossier__candidate")
        .order_by("dossier__candidate__nom_naissance", "dossier__candidate__prenom1")
    )
    rows = [
        {"i": i, "candidate": i.dossier.candidate, "duree": _duree(epreuve, i.dossier)} for i in inscriptions
    ]
    return render_to_string(
        "evaluations/pdf/emargement.html",
        {
            "epreuve": epreuve,
            "session": epreuve.session,
            "rows": rows,
            "organisation": epreuve.organisation,
            "today": timezone.localdate(),
        },
    )


def emargement_pdf(epreuve: Epreuve) -> bytes:
    return render_pdf(emargement_html(epreuve), stylesheet="base")
