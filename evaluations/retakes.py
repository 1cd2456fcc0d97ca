"""Rattrapage under a points grid (RNCP36390, règlement d'examen of seed 004): « le candidat repasse
uniquement les évaluations de blocs et conserve le bénéfice de sa note de tuteur pour l'évaluation
professionnelle ». When a retake is inscribed, the previous attempt's validated tuteur grade is
copied to it as a validated result (with the absence rate its penalty was computed from), so the
rules engine and the readiness guard read it like any other result.

Only the « évaluations de blocs » are passed again, so the rest of the previous attempt is kept
too: the contrôle continu of each retaken bloc (the modules' evaluations, not the bloc's épreuve)
is copied into the retake's bloc result, whose épreuves stay to be marked; the écrit and the oral
of the évaluation professionnelle are kept when it was reached (≥ its minimum) — otherwise the
candidate presents a new dossier (« En cas d'échec : … présenter un dossier lié à une
problématique professionnelle ») and they are marked again.

A redoublement (« le candidat suit les modules du ou des blocs non-validés et repasse toutes les
évaluations de modules suivis et les évaluations de blocs de l'année concernée ») keeps neither the
contrôle continu of the retaken blocs (the modules are evaluated again) nor the tuteur grade (the
benefit of the tuteur grade is the rattrapage's, and the year is spent again in company); the écrit
and the oral, which are neither module nor bloc evaluations, are kept when the évaluation
professionnelle was reached, as for a rattrapage.

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
    if dossier.reprise == Dossier.Reprise.REDOUBLEMENT:
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
    if dossier.reprise == Dossier.Reprise.REDOUBLEMENT:
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


def carry_retake_parts(*, dossier, from_status, to_status, by) -> list[Resultat]:
    """The rest of what a rattrapage keeps (see the module docstring); idempotent."""
    from referentiels.regles import RegleGrillePoints, regle_parse

    if to_status != Dossier.Status.INSCRIT or not dossier.previous_attempt_id:
        return []
    regle = regle_parse(dossier.referentiel.regle)
    if not isinstance(regle, RegleGrillePoints):
        return []
    out = _carry_controle_continu(dossier, by)
    if _evaluation_pro_reached(dossier):
        out += _carry_ecrit_oral(dossier, regle, by)
    return out


def _carry_controle_continu(dossier, by) -> list[Resultat]:
    """A rattrapage keeps the contrôle continu of each retaken bloc (a redoublement keeps none)."""
    from candidates.models import DossierBloc
    from evaluations.services._common import _history

    previous = dossier.previous_attempt
    out = []
    retaken = list(
        DossierBloc.objects.filter(dossier=dossier, acquis_anterieur=False).values_list("bloc_id", flat=True)
    )
    mine_blocs = set(
        Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.BLOC).values_list("bloc_id", flat=True)
    )
    redoublement = dossier.reprise == Dossier.Reprise.REDOUBLEMENT
    for old in Resultat.objects.filter(
        dossier=previous,
        kind=Resultat.Kind.BLOC,
        bloc_id__in=[] if redoublement else retaken,
        controle_continu__isnull=False,
    ).select_related("bloc"):
        if old.bloc_id in mine_blocs:
            continue
        resultat = Resultat.objects.create(
            organisation_id=dossier.organisation_id,
            dossier=dossier,
            kind=Resultat.Kind.BLOC,
            bloc=old.bloc,
            controle_continu=old.controle_continu,
            evaluateur=old.evaluateur,
        )
        _history(
            resultat,
            {},
            by,
            f"Contrôle continu conservé de la tentative {previous.attempt} "
            "(rattrapage : seules les évaluations de blocs sont repassées)",
        )
        out.append(resultat)
    return out


def _evaluation_pro_reached(dossier) -> bool:
    """Whether the previous attempt reached its évaluation professionnelle (≥ its minimum)."""
    from evaluations.selectors import engine_inputs
    from referentiels.regles import propose

    previous = dossier.previous_attempt
    inputs = engine_inputs([previous])[previous.pk]
    day = previous.date_deliberation or dossier.date_inscription
    try:
        proposition = propose(inputs.regle, inputs.structure, inputs.resultats, date_decision=day)
    except ValueError:
        return False
    ep = proposition.evaluation_professionnelle
    return ep is not None and ep.atteinte


def _carry_ecrit_oral(dossier, regle, by) -> list[Resultat]:
    """The validated composantes other than the tuteur grade (the écrit and the oral), kept."""
    from evaluations.services._common import _history

    previous = dossier.previous_attempt
    redoublement = dossier.reprise == Dossier.Reprise.REDOUBLEMENT
    out = []
    tuteur = regle.composante_tuteur()
    codes = [
        c.code
        for c in regle.evaluation_professionnelle.composantes
        if tuteur is None or c.code != tuteur.code
    ]
    mine = set(
        Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.COMPOSANTE).values_list(
            "composante", flat=True
        )
    )
    for old in Resultat.objects.filter(
        dossier=previous,
        kind=Resultat.Kind.COMPOSANTE,
        composante__in=codes,
        valide=True,
        points__isnull=False,
    ):
        if old.composante in mine:
            continue
        resultat = Resultat.objects.create(
            organisation_id=dossier.organisation_id,
            dossier=dossier,
            kind=Resultat.Kind.COMPOSANTE,
            composante=old.composante,
            points=old.points,
            commentaire=old.commentaire,
            evaluateur=old.evaluateur,
            valide=True,
            valide_par=old.valide_par,
            valide_le=old.valide_le,
        )
        _history(
            resultat,
            {},
            by,
            f"Note conservée de la tentative {previous.attempt} : évaluation professionnelle atteinte "
            + (
                "(redoublement : l'écrit et l'oral ne sont ni des évaluations de modules ni de blocs)"
                if redoublement
                else "(rattrapage : seules les évaluations de blocs sont repassées)"
            ),
        )
        out.append(resultat)
    return out
