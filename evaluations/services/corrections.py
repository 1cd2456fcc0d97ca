"""One cell of the évaluateur's grid (a result, or under double marking a correction), the resolution of disagreeing corrections, the validation of an épreuve's results."""

from django.db import transaction

from candidates.models import Dossier
from core.actors import Actor, actor_user
from core.errors import ApplicationError
from evaluations.models import (
    Correction,
    CorrectionResolution,
    Epreuve,
    InscriptionEpreuve,
    Resultat,
)
from evaluations.services._common import OPEN_STATUSES, _check_open, check_started
from evaluations.services.grid import _assigned, _check_value, _cible, _record_value, epreuve_cibles
from evaluations.services.results import resultat_validate


@transaction.atomic
def epreuve_mark(
    *, epreuve: Epreuve, dossier: Dossier, by: Actor, cible: str, valeur: str, reason: str = ""
) -> Resultat | Correction:
    """One cell of the évaluateur's grid. Under double marking the mark is this évaluateur's
    ``Correction`` (two agreeing corrections write the result); otherwise it is the result."""
    target = _cible(epreuve, cible)
    if not InscriptionEpreuve.objects.filter(epreuve=epreuve, dossier=dossier).exists():
        raise ApplicationError("Ce candidat n'est pas inscrit à cette épreuve.", field="dossier")
    valeur = str(valeur).strip()
    if epreuve.double_correction and target["kind"] != "cc":  # the contrôle continu is not double-marked
        return correction_record(epreuve=epreuve, dossier=dossier, by=by, cible=cible, valeur=valeur)
    _check_value(target, valeur)
    return _record_value(dossier=dossier, epreuve=epreuve, cible=target, value=valeur, by=by, reason=reason)


@transaction.atomic
def correction_record(
    *, epreuve: Epreuve, dossier: Dossier, by: Actor, cible: str, valeur: str
) -> Correction:
    target = _cible(epreuve, cible)
    if not epreuve.double_correction:
        raise ApplicationError("Cette épreuve n'est pas en double correction.")
    if not _assigned(epreuve, by):
        raise ApplicationError(
            "Seuls les deux correcteurs désignés saisissent une double correction.", field="correcteur"
        )
    _check_open(dossier)
    check_started(epreuve, "aucune correction ne peut être saisie")
    etat, points = _check_value(target, valeur)
    correction, _ = Correction.objects.select_for_update().get_or_create(
        epreuve=epreuve,
        dossier=dossier,
        cible=cible,
        correcteur=actor_user(by),
        defaults={"organisation_id": epreuve.organisation_id},
    )
    correction.etat, correction.points = etat, points
    correction.save()
    others = [
        c
        for c in Correction.objects.filter(epreuve=epreuve, dossier=dossier, cible=cible)
        if c.pk != correction.pk
    ]
    resolved = CorrectionResolution.objects.filter(epreuve=epreuve, dossier=dossier, cible=cible).exists()
    if others and not resolved and all(o.valeur == correction.valeur for o in others):
        _record_value(
            dossier=dossier,
            epreuve=epreuve,
            cible=target,
            value=valeur,
            by=by,
            reason="Double correction concordante",
        )
    return correction


def correction_may_resolve(*, epreuve: Epreuve, by: Actor) -> bool:
    """Whether ``by`` may settle the épreuve's double-marking disagreements: not its correcteurs
    (assigned, or who marked one of its cells)."""
    user = actor_user(by)
    return not (
        _assigned(epreuve, by) or Correction.objects.filter(epreuve=epreuve, correcteur=user).exists()
    )


@transaction.atomic
def correction_resolve(
    *, epreuve: Epreuve, dossier: Dossier, by: Actor, cible: str, valeur: str, motif: str
) -> CorrectionResolution:
    """The commission settles a double-marking disagreement: the final value becomes the result.

    Not one of the épreuve's correcteurs (double marking would be pointless if one of them could
    impose their own mark): a gestionnaire, an administrateur or another évaluateur decides."""
    target = _cible(epreuve, cible)
    if not correction_may_resolve(epreuve=epreuve, by=by):
        raise ApplicationError(
            "Vous êtes correcteur de cette épreuve : le désaccord est tranché par la commission "
            "d'évaluation (un gestionnaire ou un évaluateur qui n'a pas corrigé cette épreuve).",
            field="correcteur",
        )
    if not motif.strip():
        raise ApplicationError("Motivez la résolution du désaccord.", field="motif")
    _check_value(target, str(valeur).strip())
    values = {c.valeur for c in Correction.objects.filter(epreuve=epreuve, dossier=dossier, cible=cible)}
    if len(values) < 2:
        raise ApplicationError("Il n'y a pas de désaccord à résoudre sur cette note.")
    resolution = CorrectionResolution.objects.create(
        organisation_id=epreuve.organisation_id,
        epreuve=epreuve,
        dossier=dossier,
        cible=cible,
        valeur=str(valeur).strip(),
        motif=motif.strip(),
        by=actor_user(by),
    )
    _record_value(
        dossier=dossier,
        epreuve=epreuve,
        cible=target,
        value=str(valeur).strip(),
        by=by,
        reason=f"Résolution du désaccord de double correction : {motif.strip()}",
    )
    return resolution


@transaction.atomic
def epreuve_results_validate(*, epreuve: Epreuve, by: Actor) -> int:
    """Validate every complete, unvalidated result this épreuve produced. Not for a CQPM: seeds
    000–002, « L'acquisition de chacune des capacités professionnelles est validée par une
    commission d'évaluation » — each capacité is decided on the commission's screen, its members
    named, never by one click on the grid."""
    from evaluations.readiness import double_marking_issues

    if epreuve.session.referentiel.kind == "CQPM":
        raise ApplicationError(
            "La validation de chaque capacité revient à la commission d'évaluation : statuez candidat "
            "par candidat depuis sa page « Commission d'évaluation », en nommant ses membres. Rien n'a été validé."
        )

    dossiers = [
        i.dossier for i in InscriptionEpreuve.objects.filter(epreuve=epreuve).select_related("dossier")
    ]
    blocked = {(d, c) for d, c, _ in double_marking_issues([d.pk for d in dossiers], epreuve=epreuve)}
    cibles = epreuve_cibles(epreuve)
    qs = Resultat.objects.filter(dossier__in=dossiers, valide=False).select_related(
        "dossier", "capacite", "bloc"
    )
    count = 0
    for r in qs:
        code = r.capacite.code if r.capacite_id else r.bloc.code if r.bloc_id else r.composante
        if not any(c["code"] == code for c in cibles) or (r.dossier_id, code) in blocked:
            continue
        if r.dossier.status not in OPEN_STATUSES:
            continue
        try:
            with transaction.atomic():
                resultat_validate(resultat=r, by=by, reason=f"Validation de l'épreuve « {epreuve.intitule} »")
        except ApplicationError:
            continue
        count += 1
    return count
