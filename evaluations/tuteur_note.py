"""The tuteur's note for the évaluation professionnelle (RNCP36390, seed 004): « A partir d'une note
attribuée par le professionnel qui suit le candidat en entreprise à l'aide d'une grille d'activités
et de compétences ». Given by the tuteur on the avis page (with the grille: the avis per
compétence), or entered by the centre on the tuteur's behalf — the history says who did and for
whom. The absence-rate penalty applies to it in the engine, as before.
"""

from __future__ import annotations

from decimal import Decimal

from candidates.models import Dossier
from core.actors import Actor
from evaluations.models import Resultat
from referentiels.regles import RegleGrillePoints, regle_parse


def tuteur_composante(dossier):
    """The règle's tuteur composante of ``dossier`` (``None`` when it has none)."""
    regle = regle_parse(dossier.referentiel.regle)
    return regle.composante_tuteur() if isinstance(regle, RegleGrillePoints) else None


def current_note(dossier):
    composante = tuteur_composante(dossier)
    if composante is None:
        return None
    return (
        Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.COMPOSANTE, composante=composante.code)
        .values_list("points", flat=True)
        .first()
    )


def note_record(
    *, dossier: Dossier, by: Actor, points: str | Decimal | None, pour_le_compte_de: str = ""
) -> Resultat:
    """Record the tuteur's note: by the tuteur (``by`` is their membership) or by the centre on
    their behalf (``pour_le_compte_de`` names the tuteur, kept in the result's history)."""
    from core.errors import ApplicationError
    from evaluations import services

    composante = tuteur_composante(dossier)
    if composante is None:
        raise ApplicationError("Ce référentiel ne prévoit pas de note du tuteur.", field="points")
    if points in (None, ""):
        raise ApplicationError(f"Saisissez la note du tuteur (sur {composante.points}).", field="points")
    if pour_le_compte_de:
        reason = f"Note saisie par le centre pour le compte du tuteur {pour_le_compte_de}"
    else:
        reason = "Note attribuée par le tuteur (grille d'activités et de compétences)"
    return services.resultat_record(
        dossier=dossier, by=by, composante=composante.code, points=points, reason=reason
    )
