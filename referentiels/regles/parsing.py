"""A règle dict → typed règle (``regle_parse``, errors naming the faulty field) and back (``regle_dump``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from core.numbers import number_fr
from referentiels.regles.model import (
    _CONTEXTE,
    _VINGT,
    ABSENCE_NON_JUSTIFIEE_VALEURS,
    CODE_TUTEUR,
    FRAUDE_VALEURS,
    TYPES_REGLE,
    BlocGrille,
    ComposanteEvaluation,
    EvaluationProfessionnelle,
    PenaliteAbsence,
    Regle,
    RegleError,
    RegleGrillePoints,
    RegleTousBlocs,
    RegleToutesCapacites,
)

# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

_CLES_GRILLE = (
    "type",
    "total_points",
    "seuil_points",
    "blocs",
    "evaluation_professionnelle",
    "note_eliminatoire_sur_20",
    "note_conservation_sur_20",
    "rattrapages_par_bloc",
    "validite_blocs_annees",
    "absence_non_justifiee",
    "penalites_absence",
    "fraude",
)
_CLES_BLOC = ("bloc", "points", "controle_continu", "epreuves", "minimum_points")
_CLES_EVALUATION = ("points", "minimum_points", "composantes")
_CLES_COMPOSANTE = ("code", "libelle", "points")
_CLES_PENALITE = ("taux_min", "taux_max", "penalite_pourcent")


def _objet(data: Any, chemin: str, cles: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise RegleError(chemin, "doit être un objet")
    for cle in data:
        if cle not in cles:
            raise RegleError(f"{chemin}.{cle}", f"clé inconnue (clés admises : {', '.join(cles)})")
    for cle in cles:
        if cle not in data:
            raise RegleError(f"{chemin}.{cle}", "champ obligatoire manquant")
    return data


MAX_VALIDITE_ANNEES = 100
MAX_RATTRAPAGES = 20


def _entier(valeur: Any, chemin: str, minimum: int, maximum: int | None = None) -> int:
    too_big = maximum is not None and isinstance(valeur, int) and valeur > maximum
    if isinstance(valeur, bool) or not isinstance(valeur, int) or valeur < minimum or too_big:
        attendu = (
            f"un entier entre {minimum} et {maximum}" if maximum is not None else f"un entier ≥ {minimum}"
        )
        raise RegleError(chemin, f"doit être {attendu}")
    return valeur


def _nombre(valeur: Any, chemin: str, minimum: int, maximum: int) -> Decimal:
    message = f"doit être un nombre entre {minimum} et {maximum}"
    if isinstance(valeur, bool):
        raise RegleError(chemin, message)
    if isinstance(valeur, int):
        nombre = Decimal(valeur)
    elif isinstance(valeur, float):
        if not math.isfinite(valeur):
            raise RegleError(chemin, message)
        nombre = Decimal(repr(valeur))  # shortest repr: 2.5 → Decimal("2.5"), 5.0 → Decimal("5.0")
    elif isinstance(valeur, Decimal):
        if not valeur.is_finite():
            raise RegleError(chemin, message)
        nombre = valeur
    else:
        raise RegleError(chemin, message)
    if not minimum <= nombre <= maximum:
        raise RegleError(chemin, message)
    return nombre


def _chaine(valeur: Any, chemin: str, *, vide_admise: bool = False) -> str:
    if not isinstance(valeur, str):
        raise RegleError(chemin, "doit être une chaîne" if vide_admise else "doit être une chaîne non vide")
    if not vide_admise and not valeur.strip():
        raise RegleError(chemin, "doit être une chaîne non vide")
    return valeur


def _liste(valeur: Any, chemin: str) -> list[Any]:
    if not isinstance(valeur, list | tuple):
        raise RegleError(chemin, "doit être une liste")
    return list(valeur)


def _choix(valeur: Any, chemin: str, valeurs: tuple[str, ...]) -> str:
    if not isinstance(valeur, str) or valeur not in valeurs:
        montre = f"« {valeur} »" if isinstance(valeur, str) else repr(valeur)
        raise RegleError(chemin, f"valeur inconnue {montre} (attendu : {', '.join(valeurs)})")
    return valeur


def regle_parse(data: Mapping[str, Any], *, chemin: str = "regle") -> Regle:
    """Validate a règle dict (``<regle>`` of the format doc) and return its typed form.

    Raises ``RegleError(path, message)`` on the first problem found, checking in this order:
    the ``type``, unknown keys, missing keys, then each field in the format's order, then the
    consistency of totals and ranges. ``chemin`` prefixes the paths (default ``"regle"``).
    Numbers may be ``int``, ``float`` or ``Decimal`` where the format allows decimals
    (``note_*_sur_20``, ``taux_*``, ``penalite_pourcent``); points are integers.
    """
    if not isinstance(data, Mapping):
        raise RegleError(chemin, "doit être un objet")
    if "type" not in data:
        raise RegleError(f"{chemin}.type", "champ obligatoire manquant")
    type_ = data["type"]
    if not isinstance(type_, str) or type_ not in TYPES_REGLE:
        montre = f"« {type_} »" if isinstance(type_, str) else repr(type_)
        raise RegleError(f"{chemin}.type", f"type inconnu {montre} (attendu : {', '.join(TYPES_REGLE)})")
    if type_ == "toutes_capacites":
        _objet(data, chemin, ("type",))
        return RegleToutesCapacites()
    if type_ == "tous_blocs":
        _objet(data, chemin, ("type",))
        return RegleTousBlocs()
    return _parse_grille(data, chemin)


def _parse_grille(data: Mapping[str, Any], chemin: str) -> RegleGrillePoints:
    d = _objet(data, chemin, _CLES_GRILLE)
    total = _entier(d["total_points"], f"{chemin}.total_points", 1)
    seuil = _entier(d["seuil_points"], f"{chemin}.seuil_points", 0)
    if seuil > total:
        raise RegleError(f"{chemin}.seuil_points", f"doit être ≤ total_points ({total})")

    blocs = _parse_blocs_grille(d["blocs"], f"{chemin}.blocs")

    evaluation = _parse_evaluation(d["evaluation_professionnelle"], f"{chemin}.evaluation_professionnelle")
    somme_blocs = sum(b.points for b in blocs)
    if somme_blocs + evaluation.points != total:
        raise RegleError(
            f"{chemin}.total_points",
            f"{total} ≠ somme des points des blocs ({somme_blocs}) + évaluation professionnelle"
            f" ({evaluation.points}) = {somme_blocs + evaluation.points}",
        )

    note_eliminatoire, note_conservation = _parse_notes_sur_20(d, chemin, blocs)

    # Bounded so that dates computed from them stay real dates (a dossier's year + validité).
    rattrapages = _entier(d["rattrapages_par_bloc"], f"{chemin}.rattrapages_par_bloc", 0, MAX_RATTRAPAGES)
    validite = _entier(d["validite_blocs_annees"], f"{chemin}.validite_blocs_annees", 1, MAX_VALIDITE_ANNEES)
    absence = _choix(
        d["absence_non_justifiee"], f"{chemin}.absence_non_justifiee", ABSENCE_NON_JUSTIFIEE_VALEURS
    )
    penalites = _parse_penalites(d["penalites_absence"], f"{chemin}.penalites_absence")
    if penalites and not any(c.code == CODE_TUTEUR for c in evaluation.composantes):
        raise RegleError(
            f"{chemin}.penalites_absence",
            "des pénalités d'absence exigent une composante « tuteur » dans"
            " evaluation_professionnelle.composantes",
        )
    fraude = _choix(d["fraude"], f"{chemin}.fraude", FRAUDE_VALEURS)
    return RegleGrillePoints(
        total_points=total,
        seuil_points=seuil,
        blocs=tuple(blocs),
        evaluation_professionnelle=evaluation,
        note_eliminatoire_sur_20=note_eliminatoire,
        note_conservation_sur_20=note_conservation,
        rattrapages_par_bloc=rattrapages,
        validite_blocs_annees=validite,
        absence_non_justifiee=absence,
        penalites_absence=penalites,
        fraude=fraude,
    )


def _parse_blocs_grille(data: Any, chemin: str) -> list[BlocGrille]:
    """The grid's blocs: each code once, points = contrôle continu + épreuves, minimum ≤ points."""
    blocs_data = _liste(data, chemin)
    if not blocs_data:
        raise RegleError(chemin, "doit contenir au moins un bloc")
    blocs: list[BlocGrille] = []
    vus: dict[str, int] = {}
    for i, bloc_data in enumerate(blocs_data):
        p = f"{chemin}[{i}]"
        b = _objet(bloc_data, p, _CLES_BLOC)
        code = _chaine(b["bloc"], f"{p}.bloc")
        if code in vus:
            raise RegleError(f"{p}.bloc", f"code « {code} » en double (déjà en blocs[{vus[code]}])")
        vus[code] = i
        points = _entier(b["points"], f"{p}.points", 1)
        controle_continu = _entier(b["controle_continu"], f"{p}.controle_continu", 0)
        epreuves = _entier(b["epreuves"], f"{p}.epreuves", 0)
        minimum = _entier(b["minimum_points"], f"{p}.minimum_points", 0)
        if controle_continu + epreuves != points:
            raise RegleError(
                f"{p}.points",
                f"{points} ≠ controle_continu ({controle_continu}) + epreuves ({epreuves})"
                f" = {controle_continu + epreuves}",
            )
        if minimum > points:
            raise RegleError(f"{p}.minimum_points", f"doit être ≤ points ({points})")
        blocs.append(
            BlocGrille(
                bloc=code,
                points=points,
                controle_continu=controle_continu,
                epreuves=epreuves,
                minimum_points=minimum,
            )
        )
    return blocs


def _parse_notes_sur_20(
    d: Mapping[str, Any], chemin: str, blocs: list[BlocGrille]
) -> tuple[Decimal, Decimal]:
    """The eliminating and keeping marks out of 20; each bloc's minimum is the eliminating mark's share."""
    note_eliminatoire = _nombre(d["note_eliminatoire_sur_20"], f"{chemin}.note_eliminatoire_sur_20", 0, 20)
    note_conservation = _nombre(d["note_conservation_sur_20"], f"{chemin}.note_conservation_sur_20", 0, 20)
    if note_conservation < note_eliminatoire:
        raise RegleError(
            f"{chemin}.note_conservation_sur_20",
            f"doit être ≥ note_eliminatoire_sur_20 ({number_fr(note_eliminatoire)})",
        )
    with localcontext(_CONTEXTE):
        for i, ligne in enumerate(blocs):
            attendu = note_eliminatoire * ligne.points / _VINGT
            if Decimal(ligne.minimum_points) != attendu:
                raise RegleError(
                    f"{chemin}.blocs[{i}].minimum_points",
                    f"{ligne.minimum_points} ≠ note_eliminatoire_sur_20 × points / 20"
                    f" = {number_fr(note_eliminatoire)} × {ligne.points} / 20 = {number_fr(attendu)}",
                )
    return note_eliminatoire, note_conservation


def _parse_evaluation(data: Any, chemin: str) -> EvaluationProfessionnelle:
    e = _objet(data, chemin, _CLES_EVALUATION)
    points = _entier(e["points"], f"{chemin}.points", 0)
    minimum = _entier(e["minimum_points"], f"{chemin}.minimum_points", 0)
    if minimum > points:
        raise RegleError(f"{chemin}.minimum_points", f"doit être ≤ points ({points})")
    composantes: list[ComposanteEvaluation] = []
    vus: dict[str, int] = {}
    for i, composante_data in enumerate(_liste(e["composantes"], f"{chemin}.composantes")):
        p = f"{chemin}.composantes[{i}]"
        c = _objet(composante_data, p, _CLES_COMPOSANTE)
        code = _chaine(c["code"], f"{p}.code")
        if code in vus:
            raise RegleError(f"{p}.code", f"code « {code} » en double (déjà en composantes[{vus[code]}])")
        vus[code] = i
        libelle = _chaine(c["libelle"], f"{p}.libelle", vide_admise=True)
        composantes.append(
            ComposanteEvaluation(code=code, libelle=libelle, points=_entier(c["points"], f"{p}.points", 0))
        )
    somme = sum(c.points for c in composantes)
    if somme != points:
        raise RegleError(f"{chemin}.points", f"{points} ≠ somme des points des composantes ({somme})")
    return EvaluationProfessionnelle(points=points, minimum_points=minimum, composantes=tuple(composantes))


def _parse_penalites(data: Any, chemin: str) -> tuple[PenaliteAbsence, ...]:
    penalites: list[PenaliteAbsence] = []
    for i, penalite_data in enumerate(_liste(data, chemin)):
        p = f"{chemin}[{i}]"
        t = _objet(penalite_data, p, _CLES_PENALITE)
        taux_min = _nombre(t["taux_min"], f"{p}.taux_min", 0, 100)
        taux_max = _nombre(t["taux_max"], f"{p}.taux_max", 0, 100)
        pourcent = _nombre(t["penalite_pourcent"], f"{p}.penalite_pourcent", 0, 100)
        if taux_max <= taux_min:
            raise RegleError(f"{p}.taux_max", f"doit être > taux_min ({number_fr(taux_min)})")
        if penalites and taux_min < penalites[-1].taux_max:
            raise RegleError(
                f"{p}.taux_min",
                f"{number_fr(taux_min)} < taux_max de la tranche précédente ({number_fr(penalites[-1].taux_max)}) :"
                " tranches non ordonnées ou qui se chevauchent",
            )
        penalites.append(PenaliteAbsence(taux_min=taux_min, taux_max=taux_max, penalite_pourcent=pourcent))
    return tuple(penalites)


def _nombre_dump(nombre: Decimal) -> int | float:
    """Back to the JSON number it was parsed from: no decimal part written → int, else float."""
    exposant = nombre.as_tuple().exponent
    if isinstance(exposant, int) and exposant >= 0:
        return int(nombre)
    return float(nombre)


def regle_declares_grid(data: Any) -> bool:
    """Whether a règle dict, valid or not (a draft's), declares a points grid."""
    return isinstance(data, Mapping) and data.get("type") == RegleGrillePoints.type


def regle_rename_bloc(data: Any, old: str, new: str) -> bool:
    """Rename bloc ``old`` to ``new`` in the lines of a grid règle dict, valid or not, in place;
    return whether the règle declares a grid (and so was touched)."""
    if not regle_declares_grid(data):
        return False
    for ligne in data.get("blocs") or []:
        if isinstance(ligne, dict) and ligne.get("bloc") == old:
            ligne["bloc"] = new
    return True


def regle_dump(regle: Regle) -> dict[str, Any]:
    """The règle as a plain dict in the format's key order; ``regle_dump(regle_parse(d)) == d``."""
    if isinstance(regle, RegleToutesCapacites | RegleTousBlocs):
        return {"type": regle.type}
    if not isinstance(regle, RegleGrillePoints):
        raise TypeError(f"règle inconnue : {regle!r}")
    evaluation = regle.evaluation_professionnelle
    return {
        "type": regle.type,
        "total_points": regle.total_points,
        "seuil_points": regle.seuil_points,
        "blocs": [
            {
                "bloc": b.bloc,
                "points": b.points,
                "controle_continu": b.controle_continu,
                "epreuves": b.epreuves,
                "minimum_points": b.minimum_points,
            }
            for b in regle.blocs
        ],
        "evaluation_professionnelle": {
            "points": evaluation.points,
            "minimum_points": evaluation.minimum_points,
            "composantes": [
                {"code": c.code, "libelle": c.libelle, "points": c.points} for c in evaluation.composantes
            ],
        },
        "note_eliminatoire_sur_20": _nombre_dump(regle.note_eliminatoire_sur_20),
        "note_conservation_sur_20": _nombre_dump(regle.note_conservation_sur_20),
        "rattrapages_par_bloc": regle.rattrapages_par_bloc,
        "validite_blocs_annees": regle.validite_blocs_annees,
        "absence_non_justifiee": regle.absence_non_justifiee,
        "penalites_absence": [
            {
                "taux_min": _nombre_dump(p.taux_min),
                "taux_max": _nombre_dump(p.taux_max),
                "penalite_pourcent": _nombre_dump(p.penalite_pourcent),
            }
            for p in regle.penalites_absence
        ],
        "fraude": regle.fraude,
    }
