"""What an épreuve marks per candidate (its cibles) and the result a grid cell writes to."""

from candidates.models import Dossier
from core.errors import ApplicationError
from core.natural import natural_sorted
from evaluations.models import (
    Epreuve,
    Resultat,
)
from referentiels.models import Capacite
from referentiels.regles import RegleGrillePoints, regle_parse

#: The grid's contrôle-continu column of a bloc épreuve: « cc:<bloc code> ».
CC_PREFIX = "cc:"

#: A dossier's results can be written while it is inscrit or en évaluation.
OPEN_STATUSES = (Dossier.Status.INSCRIT, Dossier.Status.EN_EVALUATION)


def epreuve_cibles(epreuve: Epreuve) -> list[dict]:
    """What an épreuve marks per candidate: ``[{code, libelle, kind, max}]`` (kind: capacite, cc, bloc,
    composante; a bloc épreuve has its contrôle-continu column ``cc`` beside its épreuves' mark)."""
    regle = regle_parse(epreuve.session.referentiel.regle)
    bloc = epreuve.bloc
    if bloc is not None:
        # a bloc épreuve exists under a points grid only
        assert isinstance(regle, RegleGrillePoints)
        grille = regle.bloc(bloc.code)
        cibles = []
        if grille.controle_continu:
            # seed 004: « Points de contrôle continu » per bloc, entered by the évaluateur too
            cibles.append(
                {
                    "code": f"{CC_PREFIX}{bloc.code}",
                    "libelle": f"Contrôle continu {bloc.code}",
                    "kind": "cc",
                    "max": grille.controle_continu,
                }
            )
        cibles.append(
            {
                "code": bloc.code,
                "libelle": f"Épreuves {bloc.code}",
                "kind": "bloc",
                "max": grille.epreuves,
            }
        )
        return cibles
    if epreuve.composante:
        # a composante belongs to a grid's évaluation professionnelle
        assert isinstance(regle, RegleGrillePoints)
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
            # The grid's column header: the whole intitulé, wrapped between words (never cut).
            "intitule": intitules.get(code, ""),
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


def resultat_of_cible(epreuve: Epreuve, dossier: Dossier, cible: dict, *, lock: bool = True):
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
