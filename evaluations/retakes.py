"""Rattrapage under a points grid (RNCP36390, règlement d'examen of seed 004): « le candidat repasse
uniquement les évaluations de blocs et conserve le bénéfice de sa note de tuteur pour l'évaluation
professionnelle ». When a retake is inscribed, the previous attempt's validated tuteur grade is
copied to it as a validated result (with the absence rate its penalty was computed from), so the
rules engine and the readiness guard read it like any other result.

Registered as a dossier transition listener (``candidates.hooks``): the retake is created as a
brouillon and carries its grade when it becomes ``inscrit``, the first state that holds results.
"""

from candidates.models import Dossier
from core.actors import Actor
from evaluations.models import Resultat, SuiviDossier


def _previous_tuteur_grade(dossier, code: str):
    return (
        Resultat.objects.filter(
            dossier_id=dossier.previous_attempt_id,
            kind=Resultat.Kind.COMPOSANTE,
            composante=code,
            valide=True,
            points__isnull=False,
        )
        .select_related("dossier")
        .first()
    )


def tuteur_grade_kept(*, dossier, regle, composante: str) -> bool:
    """Whether ``composante`` of this retake is the tuteur grade carried from the previous attempt
    (it is then kept as it is: never marked again, never un-validated)."""
    if not dossier.previous_attempt_id or not regle.par_points:
        return False
    tuteur = regle.composante_tuteur()
    if tuteur is None or tuteur.code != composante:
        return False
    return _previous_tuteur_grade(dossier, composante) is not None


def carry_tuteur_grade(*, dossier, from_status, to_status, by: Actor) -> Resultat | None:
    from evaluations.services._common import _history
    from referentiels.regles import regle_parse

    if to_status != Dossier.Status.INSCRIT or not dossier.previous_attempt_id:
        return None
    regle = regle_parse(dossier.referentiel.regle)
    composante = regle.composante_tuteur()
    if composante is None:
        return None
    code = composante.code
    mine = Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.COMPOSANTE, composante=code)
    if mine.exists():  # inscribed again after going back to brouillon: already carried
        return None
    previous = _previous_tuteur_grade(dossier, code)
    if previous is None:
        return None
    resultat = Resultat.objects.create(
        organisation_id=dossier.organisation_id,
        dossier=dossier,
        kind=Resultat.Kind.COMPOSANTE,
        composante=code,
        points=previous.points,
        commentaire=previous.commentaire,
        evaluateur=previous.evaluateur,
        valide=True,
        valide_par=previous.valide_par,
        valide_le=previous.valide_le,
    )
    reason = (
        f"Note du tuteur conservée de la tentative {previous.dossier.attempt} "
        "(rattrapage : seules les évaluations de blocs sont repassées)"
    )
    taux = (
        SuiviDossier.objects.filter(dossier_id=dossier.previous_attempt_id)
        .values_list("taux_absence", flat=True)
        .first()
    )
    if taux is not None:
        suivi, _ = SuiviDossier.objects.get_or_create(
            dossier=dossier, defaults={"organisation_id": dossier.organisation_id}
        )
        if suivi.taux_absence is None:
            suivi.taux_absence = taux
            suivi.save(update_fields=["taux_absence"])
            reason += f", avec le taux d'absence de {taux} % qui en fixe la pénalité"
    _history(resultat, {}, by, reason)
    return resultat
