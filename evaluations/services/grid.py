"""Marks from the évaluateur's grid: what an épreuve marks, one value per cible, the details of a result."""

from decimal import Decimal

from django.db import transaction

from candidates.models import Dossier
from core.errors import ApplicationError
from core.natural import natural_sorted
from evaluations.models import (
    Epreuve,
    EpreuveEvaluateur,
    InscriptionEpreuve,
    Resultat,
)
from evaluations.services._common import (
    TRACKED,
    _check_criteres,
    _check_evaluateur_scope,
    _check_open,
    _decimal,
    _history,
    _user,
)
from evaluations.services.results import resultat_record
from referentiels.models import Capacite
from referentiels.regles import regle_parse

# --- marks from the évaluateur's grid, double marking ---------------------------------------------

CC_PREFIX = "cc:"  # the grid's contrôle-continu column of a bloc épreuve: « cc:<bloc code> »


def epreuve_cibles(epreuve: Epreuve) -> list[dict]:
    """What an épreuve marks per candidate: ``[{code, libelle, kind, max}]`` (kind: capacite, bloc, composante)."""
    regle = regle_parse(epreuve.session.referentiel.regle)
    if epreuve.bloc_id:
        grille = regle.bloc(epreuve.bloc.code)
        cibles = []
        if grille.controle_continu:
            # seed 004: « Points de contrôle continu » per bloc, entered by the évaluateur too
            cibles.append(
                {
                    "code": f"{CC_PREFIX}{epreuve.bloc.code}",
                    "libelle": f"Contrôle continu {epreuve.bloc.code}",
                    "kind": "cc",
                    "max": grille.controle_continu,
                }
            )
        cibles.append(
            {
                "code": epreuve.bloc.code,
                "libelle": f"Épreuves {epreuve.bloc.code}",
                "kind": "bloc",
                "max": grille.epreuves,
            }
        )
        return cibles
    if epreuve.composante:
        comp = next(c for c in regle.evaluation_professionnelle.composantes if c.code == epreuve.composante)
        return [{"code": comp.code, "libelle": comp.libelle, "kind": "composante", "max": comp.points}]
    intitules = dict(
        Capacite.objects.filter(
            referentiel_id=epreuve.session.referentiel_id, code__in=epreuve.capacites
        ).values_list("code", "intitule")
    )
    return [
        {
            "code": code,
            "libelle": f"{code} — {intitules.get(code, '')[:60]}".rstrip(" —"),
            "kind": "capacite",
            "max": None,
        }
        for code in natural_sorted(epreuve.capacites)  # 1, 2 … 10, never 1, 10, 2
    ]


def epreuve_cible(epreuve: Epreuve, code: str) -> dict:
    """What ``code`` is on this épreuve, with its column ``index`` (``ApplicationError`` when the
    épreuve does not mark it)."""
    for index, cible in enumerate(epreuve_cibles(epreuve)):
        if cible["code"] == code:
            return {**cible, "index": index}
    raise ApplicationError(f"« {code} » n'est pas évalué par cette épreuve.", field="cible")


def _cible(epreuve: Epreuve, code: str) -> dict:
    for cible in epreuve_cibles(epreuve):
        if cible["code"] == code:
            return cible
    raise ApplicationError(f"« {code} » n'est pas évalué par cette épreuve.", field="cible")


def _record_value(*, dossier, epreuve: Epreuve, cible: dict, value: str, by, reason: str) -> Resultat:
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


def _assigned(epreuve: Epreuve, by) -> bool:
    return EpreuveEvaluateur.objects.filter(epreuve=epreuve, user=_user(by)).exists()


def _resultat_of_cible(epreuve: Epreuve, dossier: Dossier, cible: dict, *, lock: bool = True):
    """The result a grid cell writes to (locked unless ``lock=False``), or None (nothing marked yet)."""
    qs = Resultat.objects.select_related("capacite").filter(dossier=dossier)
    if lock:
        qs = qs.select_for_update(of=("self",))
    if cible["kind"] in ("bloc", "cc"):
        return qs.filter(kind=Resultat.Kind.BLOC, bloc_id=epreuve.bloc_id).first()
    if cible["kind"] == "composante":
        return qs.filter(kind=Resultat.Kind.COMPOSANTE, composante=cible["code"]).first()
    return qs.filter(
        kind=Resultat.Kind.CAPACITE,
        capacite__referentiel_id=dossier.referentiel_id,
        capacite__code=cible["code"],
    ).first()


@transaction.atomic
def resultat_details_record(
    *, epreuve: Epreuve, dossier: Dossier, by, cible: str, criteres_observes, commentaire: str
) -> Resultat:
    """The critères observed and the comment of one grid cell (its result must be marked first).

    Critères exist only on a capacité, and must be that capacité's; the comment replaces the
    previous one (an empty comment clears it). Kept in history; the validation is not touched."""
    target = _cible(epreuve, cible)
    if not InscriptionEpreuve.objects.filter(epreuve=epreuve, dossier=dossier).exists():
        raise ApplicationError("Ce candidat n'est pas inscrit à cette épreuve.", field="dossier")
    _check_open(dossier)
    resultat = _resultat_of_cible(epreuve, dossier, target)
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
