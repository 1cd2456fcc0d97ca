"""Marks from the évaluateur's grid: what an épreuve marks, one value per cible, the details of a result."""

from decimal import Decimal

from django.db import transaction

from candidates.models import Dossier
from core.actors import Actor, actor_user
from core.errors import ApplicationError
from evaluations.models import (
    Epreuve,
    EpreuveEvaluateur,
    InscriptionEpreuve,
    Resultat,
)
from evaluations.selectors import epreuve_cibles, resultat_of_cible
from evaluations.services._common import (
    TRACKED,
    _check_criteres,
    _check_evaluateur_scope,
    _check_open,
    _decimal,
    _history,
)
from evaluations.services.results import resultat_record
from referentiels.models import Capacite

# --- marks from the évaluateur's grid, double marking ---------------------------------------------


def _cible(epreuve: Epreuve, code: str) -> dict:
    for cible in epreuve_cibles(epreuve):
        if cible["code"] == code:
            return cible
    raise ApplicationError(f"« {code} » n'est pas évalué par cette épreuve.", field="cible")


def _record_value(*, dossier, epreuve: Epreuve, cible: dict, value: str, by: Actor, reason: str) -> Resultat:
    if cible["kind"] == "cc":  # the contrôle continu only: the épreuves' mark is its own value
        return resultat_record(
            dossier=dossier,
            by=by,
            bloc=epreuve.bloc,
            controle_continu=value,
            reason=reason or "Contrôle continu",
            epreuve=epreuve,
        )
    if cible["kind"] == "bloc":
        # the épreuves' mark only: the contrôle continu is its own value (kept as it is)
        return resultat_record(
            dossier=dossier, by=by, bloc=epreuve.bloc, epreuves=value, reason=reason, epreuve=epreuve
        )
    if cible["kind"] == "composante":
        return resultat_record(
            dossier=dossier, by=by, composante=cible["code"], points=value, reason=reason, epreuve=epreuve
        )
    capacite = Capacite.objects.filter(referentiel_id=dossier.referentiel_id, code=cible["code"]).first()
    return resultat_record(
        dossier=dossier, by=by, capacite=capacite, etat=value, reason=reason, epreuve=epreuve
    )


def _check_value(cible: dict, value: str) -> tuple[str, Decimal | None]:
    if cible["kind"] == "capacite":
        if value not in (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS, Resultat.Etat.ABSENT):
            raise ApplicationError("Indiquez acquis, non acquis ou absent.", field="valeur")
        return value, None
    points = _decimal(value, "valeur")
    if points is None:
        raise ApplicationError("Saisissez une note.", field="valeur")
    if points > cible["max"]:
        raise ApplicationError(
            f"{cible['libelle']} : {points} points, au plus {cible['max']}.", field="valeur"
        )
    return "", points


def _assigned(epreuve: Epreuve, by: Actor) -> bool:
    return EpreuveEvaluateur.objects.filter(epreuve=epreuve, user=actor_user(by)).exists()


@transaction.atomic
def resultat_details_record(
    *, epreuve: Epreuve, dossier: Dossier, by: Actor, cible: str, criteres_observes, commentaire: str
) -> Resultat:
    """The critères observed and the comment of one grid cell (its result must be marked first).

    Critères exist only on a capacité, and must be that capacité's; the comment replaces the
    previous one (an empty comment clears it). Kept in history; the validation is not touched."""
    target = _cible(epreuve, cible)
    if not InscriptionEpreuve.objects.filter(epreuve=epreuve, dossier=dossier).exists():
        raise ApplicationError("Ce candidat n'est pas inscrit à cette épreuve.", field="dossier")
    _check_open(dossier)
    resultat = resultat_of_cible(epreuve, dossier, target)
    if resultat is None:
        raise ApplicationError(
            f"{target['libelle']} : saisissez d'abord le résultat, les critères et le commentaire s'y rattachent.",
            field="cible",
        )
    ids = _check_criteres(resultat.capacite, criteres_observes)
    _check_evaluateur_scope(
        by,
        dossier,
        capacite=resultat.capacite,
        bloc=epreuve.bloc if resultat.bloc_id else None,
        composante=resultat.composante,
    )
    before = {f: getattr(resultat, f) for f in TRACKED}
    resultat.criteres_observes = ids or []
    resultat.commentaire = (commentaire or "").strip()
    if (
        before["criteres_observes"] == resultat.criteres_observes
        and before["commentaire"] == resultat.commentaire
    ):
        return resultat
    resultat.save(update_fields=["criteres_observes", "commentaire", "updated_at"])
    _history(resultat, before, by, f"Grille de l'épreuve « {epreuve.intitule} »", epreuve)
    return resultat
