"""The commission's decisions on one result."""

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, actor_user
from core.errors import ApplicationError
from evaluations.models import Resultat
from evaluations.services._common import TRACKED, _check_evaluateur_scope, _check_open, _history
from evaluations.services.results import _commission_row


def _check_no_disagreement(resultat: Resultat) -> None:
    from evaluations.readiness import double_marking_issues

    code = resultat.cible_code
    for _dossier, cible, message in double_marking_issues([resultat.dossier_id]):
        if cible == code:
            raise ApplicationError(message, field="resultat")


@transaction.atomic
def commission_decide(
    *, resultat: Resultat, by: Actor, decision: str, motivation: str = "", membres: str | None = None
) -> Resultat:
    """The commission d'évaluation's decision on one capacité, from the evaluations, the avis de
    l'entreprise and the entretien: acquis or non acquis, motivated when it departs from any of
    them (e.g. acquis despite an avis défavorable). It validates the result; every change (état,
    validation, motivation) is kept in the result's history with the motivation as reason."""
    resultat = (
        Resultat.objects.select_for_update(of=("self",))
        .select_related("dossier", "capacite")
        .get(pk=resultat.pk)
    )
    if resultat.kind != Resultat.Kind.CAPACITE:
        raise ApplicationError(
            "Seules les capacités passent en commission d'évaluation ; un bloc ou une note se valide depuis les résultats.",
            field="resultat",
        )
    _check_open(resultat.dossier)
    _check_evaluateur_scope(by, resultat.dossier, capacite=resultat.capacite)
    # an absence recorded at the évaluation is a fact the commission confirms (never « acquis » in
    # disguise, never a « non acquis » that did not happen)
    allowed = (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS) + (
        (Resultat.Etat.ABSENT,) if resultat.etat == Resultat.Etat.ABSENT else ()
    )
    if decision not in allowed:
        raise ApplicationError("Décidez « acquis » ou « non acquis ».", field="decision")
    if not resultat.etat:
        raise ApplicationError(
            f"Capacité {resultat.cible_code} : aucune évaluation saisie, la commission ne peut pas encore statuer.",
            field="resultat",
        )
    _check_no_disagreement(resultat)
    motivation = (motivation or "").strip()
    departures = [] if decision == Resultat.Etat.ABSENT else _commission_row(resultat).departures(decision)
    if departures and not motivation:
        raise ApplicationError(
            f"Capacité {resultat.cible_code} : la décision « {Resultat.Etat(decision).label.lower()} » s'écarte "
            f"{' et '.join(departures)} — motivez-la.",
            field="motivation",
        )
    if membres is not None:
        # seed 000: « validée par une commission d'évaluation » — its members are named
        membres = "\n".join(line.strip() for line in membres.splitlines() if line.strip())
        if not membres:
            raise ApplicationError(
                "Nommez les membres de la commission d'évaluation qui statuent.", field="membres"
            )
    before = {f: getattr(resultat, f) for f in TRACKED}
    if membres is not None:
        resultat.commission_membres = membres
    resultat.etat = decision
    resultat.motivation_commission = motivation
    resultat.valide, resultat.valide_par, resultat.valide_le = True, actor_user(by), timezone.now()
    resultat.full_clean(exclude=["organisation", "dossier", "capacite", "bloc"])
    resultat.save()
    reason = "Décision de la commission d'évaluation" + (
        f" : {motivation}" if motivation else " (concordante)"
    )
    _history(resultat, before, by, reason)
    return resultat
