"""Rules engine of the règle d'obtention (pure Python, no Django import).

A référentiel's règle d'obtention is data (``docs/referentiel-format.md``, section ``<regle>``).
This module turns that data into frozen typed dataclasses and evaluates it for one candidate:

* ``regle_parse(data) -> Regle`` validates a règle dict and raises ``RegleError(path, message)``
  naming the faulty field (``regle.blocs[2].minimum_points : doit être un entier ≥ 0``; list
  indices are 0-based, as in JSON paths). ``regle_dump(regle) -> dict`` gives back the very same
  dict (same keys in the order of the format doc, ints stay ints, floats stay floats), so
  ``regle_dump(regle_parse(d)) == d`` for every valid ``d``.
* ``propose(regle, structure, resultats, *, date_decision) -> Proposition`` is pure and
  deterministic: it reads its arguments only (never the clock, never the ambient decimal context),
  and returns the proposed decision (``certifie`` / ``partiel`` / ``ajourne``), the validated
  blocs, per-bloc details and the reasons in French. The jury stays sovereign: it accepts or
  overrides the proposition elsewhere.
* Inputs of ``propose`` that contradict the règle or the structure (unknown code, points above
  the maximum, float instead of Decimal…) raise ``EntreeInvalide(path, message)``.

Arithmetic and rounding
-----------------------
All arithmetic uses ``Decimal`` in a private context (precision 28), never floats. Input points
are integers or Decimals with at most 2 decimal places. Every sum and every threshold comparison
is exact (thresholds in /20 are compared by cross-multiplication, ``points × 20 ≥ note × max``,
never on a rounded note). Exactly one rounding happens in point computations: the tuteur grade
after the absence penalty is rounded to 0.01 point, ROUND_HALF_UP (37 × 0.95 = 35.15;
10.30 × 0.95 = 9.785 → 9.79). Notes /20 (``note_sur_20``) are display values: ``points × 20 /
max`` rounded to 2 decimals ROUND_HALF_UP (69/175 → 7.89); they never decide anything, so a bloc at
99.99/250 shows 8.00/20 and is still below its minimum of 100.

Families
--------
* ``toutes_capacites`` (CQPM): ``certifie`` iff every capacité of the structure is ``acquis``;
  otherwise ``ajourne`` (a CQPM has no partial certification) and the reasons list every capacité
  not acquired (non acquise, candidat absent, or non évaluée when missing from the results).
* ``tous_blocs`` (CQPI): a bloc is acquired when all its compétences are ``acquis``;
  ``certifie`` iff every bloc is acquired, else ``partiel`` with the acquired blocs, or
  ``ajourne`` if none.
* ``grille_points`` (RNCP36390): a bloc's points = contrôle continu + épreuves.
  ``certifie`` iff no fraud AND every bloc was presented (or is carried) AND no bloc is below its
  ``minimum_points`` (note éliminatoire, ``points < minimum`` is eliminatory, exactly the
  minimum is not) AND the évaluation professionnelle is complete and ≥ its ``minimum_points``
  AND total ≥ ``seuil_points`` (exactly the seuil passes). A total certification validates every
  bloc, including a bloc between 8/20 and 10/20 (compensated by the general average). Otherwise
  the blocs presented with ``points × 20 ≥ note_conservation_sur_20 × max`` (≥ 10/20) plus the
  carried blocs are validated: ``partiel``, or ``ajourne`` if there is none.

Choices where the seed (règlement d'examen of RNCP36390) is ambiguous
---------------------------------------------------------------------
1. Absence-penalty ranges are left-open, right-closed: ``taux_min < taux ≤ taux_max``. So with
   the seed's ranges 0–2.5 / 2.5–5 / 5–10: a rate of exactly 0 % has no penalty (being never
   absent is not punished), exactly 2.5 % → 5 %, exactly 5 % → 10 %, exactly 10 % → 15 %.
   Above the last range (the seed: "au-delà de 10 % : sanctions du règlement intérieur") the
   last range's penalty (15 %) still applies, so the penalty never decreases when absences
   grow, and the reason flags that further sanctions belong to the établissement. A rate that
   falls in a gap between configured ranges has no penalty. ``taux_absence=None`` means no
   unjustified absence recorded (no penalty). The penalty applies to the tuteur composante
   (code ``tuteur``) only: ``tuteur × (100 − pénalité) / 100``, rounded as above.
2. Bloc épreuves not presented (``epreuves=None`` without the unjustified-absence flag:
   justified absence or not yet taken), a missing contrôle continu, or no result at all for a
   bloc: the bloc is not validated ("la non-présentation à au moins une évaluation de bloc
   induit la non-validation du bloc"), its known points still count in the displayed total, it
   is never eliminatory (it has no complete mark), and total certification is withheld: the
   title is not granted with a bloc that was not evaluated.
3. Unjustified absence at a bloc épreuve (``absence_non_justifiee=True``): the épreuves score 0
   ("absence non justifiée = zéro"), the bloc mark (contrôle continu + 0) counts in the total and
   the eliminatory rule applies to it; as a non-presentation it is also not validated and it
   withholds total certification (rule 2). An unjustified absence at a contrôle-continu
   evaluation is scored 0 by the caller inside the bloc's ``controle_continu`` points.
4. Évaluation professionnelle: a composante ``None`` or missing (rapport not handed in,
   soutenance not attended, no tuteur grade) makes it incomplete: no total certification, but
   the blocs ≥ 10/20 are kept (as the seed says). Its known points still count in the total.
   The exemption of the épreuve professionnelle after positionnement is not modelled (jury).
5. Carried blocs (``BlocAcquisAnterieur``): under ``grille_points`` a bloc validated on date D is
   carried iff ``date_decision ≤ D + validite_blocs_annees`` (the anniversary day itself is still
   inside; 29 February + n years → 28 February). An expired one is not carried, the reason says
   so, and the bloc is judged on this attempt's results (if any). A carried bloc counts as
   validated and is never eliminatory (a previous jury validated it). Its ``points`` count in the
   total when given; when unknown, the bloc counts for its conservation floor (10/20 of its
   points, e.g. 125/250), a lower bound of its real mark, and the reason says so. If this attempt
   also has results for a validly carried bloc, the carried validation wins and those results are
   ignored (the reason says so). Under ``tous_blocs`` the règle defines no validity period, so
   carried blocs never expire; under ``toutes_capacites`` carried blocs are refused
   (no partial certification exists to carry).
6. Fraud (``fraude=True``), in every family: the session is invalidated, the decision is
   ``ajourne`` and nothing is validated in this decision, carried blocs included
   (``blocs_valides`` is empty; the reason names the earlier blocs that are not taken up). The
   engine does not revoke certificats de bloc issued earlier: that is not its business. Marks
   are still computed and shown in the details.
7. Retakes: ``ResultatBloc.tentative`` is 1 for the first presentation, 2 for the first retake…;
   it may not exceed ``1 + rattrapages_par_bloc``. A bloc not validated reports whether a retake
   remains (``rattrapage_possible``); the 5-year retake window is the caller's business.
8. ``minimum_points`` of a bloc must equal ``note_eliminatoire_sur_20 × points / 20`` exactly
   (parse-time check), so the two ways the format states the eliminatory mark cannot disagree;
   the engine compares against ``minimum_points``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

__all__ = [
    "BlocAcquisAnterieur",
    "BlocGrille",
    "BlocStructure",
    "ComposanteEvaluation",
    "Decision",
    "DetailBloc",
    "DetailComposante",
    "DetailEvaluationProfessionnelle",
    "EntreeInvalide",
    "EtatCapacite",
    "EvaluationProfessionnelle",
    "PenaliteAbsence",
    "Proposition",
    "Regle",
    "RegleError",
    "RegleGrillePoints",
    "RegleTousBlocs",
    "RegleToutesCapacites",
    "ResultatBloc",
    "ResultatEvaluationProfessionnelle",
    "ResultatsCandidat",
    "Structure",
    "TYPES_REGLE",
    "propose",
    "regle_dump",
    "regle_parse",
]

TYPES_REGLE: tuple[str, ...] = ("toutes_capacites", "tous_blocs", "grille_points")
ABSENCE_NON_JUSTIFIEE_VALEURS: tuple[str, ...] = ("zero",)
FRAUDE_VALEURS: tuple[str, ...] = ("aucun_bloc",)
CODE_TUTEUR = "tuteur"

_CONTEXTE = Context(prec=28, rounding=ROUND_HALF_UP)
_CENTIEME = Decimal("0.01")
_VINGT = Decimal(20)
_CENT = Decimal(100)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class RegleError(ValueError):
    """A règle dict is invalid. ``path`` names the field (``regle.blocs[2].points``, 0-based
    indices), ``message`` says what is wrong, in French; ``str(err)`` is ``"path : message"``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path} : {message}")
        self.path = path
        self.message = message


class EntreeInvalide(ValueError):
    """An input of ``propose`` (structure, results, date) is malformed or contradicts the règle.
    Same shape as ``RegleError``: ``path``, ``message``, ``str(err) == "path : message"``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path} : {message}")
        self.path = path
        self.message = message


# --------------------------------------------------------------------------------------------
# The règle as typed data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegleToutesCapacites:
    """CQPM: certified iff every capacité is acquired; no partial certification."""

    type: ClassVar[str] = "toutes_capacites"


@dataclass(frozen=True, kw_only=True)
class RegleTousBlocs:
    """CQPI: certified iff every bloc is acquired, a bloc being acquired when all its compétences
    are; otherwise partial certification on the acquired blocs."""

    type: ClassVar[str] = "tous_blocs"


@dataclass(frozen=True, kw_only=True)
class BlocGrille:
    """One bloc line of a points grid: ``points = controle_continu + epreuves``; a bloc below
    ``minimum_points`` is eliminatory for the total certification."""

    bloc: str
    points: int
    controle_continu: int
    epreuves: int
    minimum_points: int


@dataclass(frozen=True, kw_only=True)
class ComposanteEvaluation:
    """A composante of the évaluation professionnelle (``ecrit``, ``oral``, ``tuteur``…)."""

    code: str
    libelle: str
    points: int


@dataclass(frozen=True, kw_only=True)
class EvaluationProfessionnelle:
    """The évaluation professionnelle: ``points`` = sum of its composantes' points."""

    points: int
    minimum_points: int
    composantes: tuple[ComposanteEvaluation, ...]


@dataclass(frozen=True, kw_only=True)
class PenaliteAbsence:
    """An absence-rate range (in % of training time) and the penalty (in % of the tuteur grade)
    it triggers. The range is left-open, right-closed: ``taux_min < taux ≤ taux_max``."""

    taux_min: Decimal
    taux_max: Decimal
    penalite_pourcent: Decimal

    def contient(self, taux: Decimal) -> bool:
        """True iff ``taux_min < taux ≤ taux_max``."""
        return self.taux_min < taux <= self.taux_max


@dataclass(frozen=True, kw_only=True)
class RegleGrillePoints:
    """A points grid (RNCP36390). Build it with ``regle_parse``: direct construction is not
    validated."""

    type: ClassVar[str] = "grille_points"
    total_points: int
    seuil_points: int
    blocs: tuple[BlocGrille, ...]
    evaluation_professionnelle: EvaluationProfessionnelle
    note_eliminatoire_sur_20: Decimal
    note_conservation_sur_20: Decimal
    rattrapages_par_bloc: int
    validite_blocs_annees: int
    absence_non_justifiee: str
    penalites_absence: tuple[PenaliteAbsence, ...]
    fraude: str

    def bloc(self, code: str) -> BlocGrille:
        """The grid line of bloc ``code`` (``KeyError`` if the grid has none)."""
        for ligne in self.blocs:
            if ligne.bloc == code:
                return ligne
        raise KeyError(code)

    def composante_tuteur(self) -> ComposanteEvaluation | None:
        """The composante the absence penalty applies to (code ``tuteur``), if any."""
        for composante in self.evaluation_professionnelle.composantes:
            if composante.code == CODE_TUTEUR:
                return composante
        return None


Regle = RegleToutesCapacites | RegleTousBlocs | RegleGrillePoints


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

    blocs_data = _liste(d["blocs"], f"{chemin}.blocs")
    if not blocs_data:
        raise RegleError(f"{chemin}.blocs", "doit contenir au moins un bloc")
    blocs: list[BlocGrille] = []
    vus: dict[str, int] = {}
    for i, bloc_data in enumerate(blocs_data):
        p = f"{chemin}.blocs[{i}]"
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

    evaluation = _parse_evaluation(d["evaluation_professionnelle"], f"{chemin}.evaluation_professionnelle")
    somme_blocs = sum(b.points for b in blocs)
    if somme_blocs + evaluation.points != total:
        raise RegleError(
            f"{chemin}.total_points",
            f"{total} ≠ somme des points des blocs ({somme_blocs}) + évaluation professionnelle"
            f" ({evaluation.points}) = {somme_blocs + evaluation.points}",
        )

    note_eliminatoire = _nombre(d["note_eliminatoire_sur_20"], f"{chemin}.note_eliminatoire_sur_20", 0, 20)
    note_conservation = _nombre(d["note_conservation_sur_20"], f"{chemin}.note_conservation_sur_20", 0, 20)
    if note_conservation < note_eliminatoire:
        raise RegleError(
            f"{chemin}.note_conservation_sur_20",
            f"doit être ≥ note_eliminatoire_sur_20 ({_fmt(note_eliminatoire)})",
        )
    with localcontext(_CONTEXTE):
        for i, ligne in enumerate(blocs):
            attendu = note_eliminatoire * ligne.points / _VINGT
            if Decimal(ligne.minimum_points) != attendu:
                raise RegleError(
                    f"{chemin}.blocs[{i}].minimum_points",
                    f"{ligne.minimum_points} ≠ note_eliminatoire_sur_20 × points / 20"
                    f" = {_fmt(note_eliminatoire)} × {ligne.points} / 20 = {_fmt(attendu)}",
                )

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
            raise RegleError(f"{p}.taux_max", f"doit être > taux_min ({_fmt(taux_min)})")
        if penalites and taux_min < penalites[-1].taux_max:
            raise RegleError(
                f"{p}.taux_min",
                f"{_fmt(taux_min)} < taux_max de la tranche précédente ({_fmt(penalites[-1].taux_max)}) :"
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


# --------------------------------------------------------------------------------------------
# Inputs of a decision
# --------------------------------------------------------------------------------------------


class EtatCapacite(StrEnum):
    """A capacité's (or compétence's) validation state for this attempt."""

    ACQUIS = "acquis"
    NON_ACQUIS = "non_acquis"
    ABSENT = "absent"


class Decision(StrEnum):
    """The proposed decision: total certification, blocs only, or refused."""

    CERTIFIE = "certifie"
    PARTIEL = "partiel"
    AJOURNE = "ajourne"


def _points_entree(valeur: Any, chemin: str) -> Decimal | None:
    """None, or an int/Decimal ≥ 0 with at most 2 decimal places, as a Decimal."""
    if valeur is None:
        return None
    if isinstance(valeur, bool) or not isinstance(valeur, int | Decimal):
        raise EntreeInvalide(chemin, "doit être un entier ou un Decimal (float refusé)")
    nombre = Decimal(valeur)
    if not nombre.is_finite() or nombre < 0:
        raise EntreeInvalide(chemin, "doit être un nombre ≥ 0")
    with localcontext(_CONTEXTE):
        if (nombre * 100) % 1 != 0:
            raise EntreeInvalide(chemin, "au plus 2 décimales")
    return nombre


def _reconstruire(classe: type, champs: dict[str, Any]) -> Any:
    """Unpickling/deepcopy helper of the dataclasses holding read-only mappings."""
    return classe(**champs)


class _CopiableMixin:
    """Read-only mappings (MappingProxyType) cannot be pickled or deep-copied: rebuild the
    object from plain dicts instead."""

    def __reduce__(self) -> tuple[Any, ...]:
        champs = {
            f.name: dict(v) if isinstance(v, MappingProxyType) else v
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            for v in [getattr(self, f.name)]
        }
        return (_reconstruire, (type(self), champs))


@dataclass(frozen=True, kw_only=True)
class BlocStructure:
    """A bloc of the référentiel: its code and its capacités' (compétences') codes, in order.
    Under ``grille_points`` the capacités are not used and may be empty."""

    code: str
    capacites: tuple[str, ...] = ()
    intitule: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code:
            raise EntreeInvalide("structure.blocs[].code", "doit être une chaîne non vide")
        capacites = tuple(self.capacites)
        for code in capacites:
            if not isinstance(code, str) or not code:
                raise EntreeInvalide(f"structure.blocs[{self.code}].capacites", "codes : chaînes non vides")
        object.__setattr__(self, "capacites", capacites)


@dataclass(frozen=True, kw_only=True)
class Structure:
    """The part of a référentiel the engine needs: its blocs in order (CQPM: one implicit bloc).
    Bloc codes and capacité codes are unique across the whole structure."""

    blocs: tuple[BlocStructure, ...]

    def __post_init__(self) -> None:
        blocs = tuple(self.blocs)
        codes: set[str] = set()
        capacites: set[str] = set()
        for bloc in blocs:
            if not isinstance(bloc, BlocStructure):
                raise EntreeInvalide("structure.blocs", "éléments : BlocStructure attendus")
            if bloc.code in codes:
                raise EntreeInvalide(f"structure.blocs[{bloc.code}]", "code de bloc en double")
            codes.add(bloc.code)
            for capacite in bloc.capacites:
                if capacite in capacites:
                    raise EntreeInvalide(
                        f"structure.blocs[{bloc.code}].capacites", f"capacité « {capacite} » en double"
                    )
                capacites.add(capacite)
        object.__setattr__(self, "blocs", blocs)

    def codes_blocs(self) -> tuple[str, ...]:
        return tuple(b.code for b in self.blocs)

    def codes_capacites(self) -> tuple[str, ...]:
        return tuple(c for b in self.blocs for c in b.capacites)


@dataclass(frozen=True, kw_only=True)
class ResultatBloc:
    """This attempt's results for one bloc of a points grid.

    ``controle_continu`` and ``epreuves`` are points (int or Decimal, ≥ 0, at most 2 decimals,
    at most the grid's maxima), ``None`` when not passed. ``absence_non_justifiee`` flags an
    unjustified absence at the bloc's épreuve(s) de validation: they then score 0 (``epreuves``
    must be ``None`` or 0). ``tentative`` is 1 for the first presentation, 2 for the first retake.
    """

    controle_continu: Decimal | None = None
    epreuves: Decimal | None = None
    absence_non_justifiee: bool = False
    tentative: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "controle_continu", _points_entree(self.controle_continu, "ResultatBloc.controle_continu")
        )
        object.__setattr__(self, "epreuves", _points_entree(self.epreuves, "ResultatBloc.epreuves"))
        if not isinstance(self.absence_non_justifiee, bool):
            raise EntreeInvalide("ResultatBloc.absence_non_justifiee", "doit être un booléen")
        if self.absence_non_justifiee and self.epreuves not in (None, Decimal(0)):
            raise EntreeInvalide(
                "ResultatBloc.epreuves", "doit être vide (ou 0) quand absence_non_justifiee est vrai"
            )
        if isinstance(self.tentative, bool) or not isinstance(self.tentative, int) or self.tentative < 1:
            raise EntreeInvalide("ResultatBloc.tentative", "doit être un entier ≥ 1")


@dataclass(frozen=True, kw_only=True)
class ResultatEvaluationProfessionnelle(_CopiableMixin):
    """This attempt's évaluation professionnelle: points per composante code (``ecrit``,
    ``oral``, ``tuteur``…; ``None`` or missing = not presented), and ``taux_absence``, the
    unjustified absence rate in % of training time (0–100, any precision; ``None`` = none
    recorded) which triggers the penalty on the tuteur grade."""

    composantes: Mapping[str, Decimal | None]
    taux_absence: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.composantes, Mapping):
            raise EntreeInvalide(
                "ResultatEvaluationProfessionnelle.composantes", "doit être un dict code → points"
            )
        composantes = {
            code: _points_entree(valeur, f"ResultatEvaluationProfessionnelle.composantes[{code}]")
            for code, valeur in self.composantes.items()
        }
        object.__setattr__(self, "composantes", MappingProxyType(composantes))
        taux = self.taux_absence
        if taux is not None:
            if isinstance(taux, bool) or not isinstance(taux, int | Decimal):
                raise EntreeInvalide(
                    "ResultatEvaluationProfessionnelle.taux_absence",
                    "doit être un entier ou un Decimal (float refusé)",
                )
            taux = Decimal(taux)
            if not taux.is_finite() or not 0 <= taux <= 100:
                raise EntreeInvalide(
                    "ResultatEvaluationProfessionnelle.taux_absence", "doit être entre 0 et 100"
                )
            object.__setattr__(self, "taux_absence", taux)


@dataclass(frozen=True, kw_only=True)
class BlocAcquisAnterieur:
    """A bloc validated by an earlier jury (``date_validation``), with its points when known."""

    bloc: str
    date_validation: date
    points: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.date_validation, date) or isinstance(self.date_validation, datetime):
            raise EntreeInvalide("BlocAcquisAnterieur.date_validation", "doit être une date (sans heure)")
        object.__setattr__(self, "points", _points_entree(self.points, "BlocAcquisAnterieur.points"))


@dataclass(frozen=True, kw_only=True)
class ResultatsCandidat(_CopiableMixin):
    """A candidate's results for one attempt.

    * ``capacites``: capacité code → ``EtatCapacite`` (or its string value), for the
      ``toutes_capacites`` and ``tous_blocs`` families; a capacité missing here is "non évaluée".
    * ``blocs``: bloc code → ``ResultatBloc``, for ``grille_points``; a bloc missing here was not
      presented.
    * ``evaluation_professionnelle``: for ``grille_points`` (``None`` = not presented).
    * ``fraude``: fraud established during the session (every family).
    * ``blocs_acquis_anterieurs``: blocs validated in earlier attempts (``tous_blocs`` and
      ``grille_points``).
    Mappings are copied into read-only mappings.
    """

    capacites: Mapping[str, EtatCapacite] = field(default_factory=dict)
    blocs: Mapping[str, ResultatBloc] = field(default_factory=dict)
    evaluation_professionnelle: ResultatEvaluationProfessionnelle | None = None
    fraude: bool = False
    blocs_acquis_anterieurs: tuple[BlocAcquisAnterieur, ...] = ()

    def __post_init__(self) -> None:
        capacites: dict[str, EtatCapacite] = {}
        for code, etat in dict(self.capacites).items():
            try:
                capacites[code] = EtatCapacite(etat)
            except ValueError:
                raise EntreeInvalide(
                    f"resultats.capacites[{code}]",
                    f"état inconnu {etat!r} (attendu : {', '.join(e.value for e in EtatCapacite)})",
                ) from None
        object.__setattr__(self, "capacites", MappingProxyType(capacites))
        blocs = dict(self.blocs)
        for code, resultat in blocs.items():
            if not isinstance(resultat, ResultatBloc):
                raise EntreeInvalide(f"resultats.blocs[{code}]", "doit être un ResultatBloc")
        object.__setattr__(self, "blocs", MappingProxyType(blocs))
        if self.evaluation_professionnelle is not None and not isinstance(
            self.evaluation_professionnelle, ResultatEvaluationProfessionnelle
        ):
            raise EntreeInvalide(
                "resultats.evaluation_professionnelle", "doit être un ResultatEvaluationProfessionnelle"
            )
        if not isinstance(self.fraude, bool):
            raise EntreeInvalide("resultats.fraude", "doit être un booléen")
        anterieurs = tuple(self.blocs_acquis_anterieurs)
        vus: set[str] = set()
        for anterieur in anterieurs:
            if not isinstance(anterieur, BlocAcquisAnterieur):
                raise EntreeInvalide(
                    "resultats.blocs_acquis_anterieurs", "éléments : BlocAcquisAnterieur attendus"
                )
            if anterieur.bloc in vus:
                raise EntreeInvalide(f"resultats.blocs_acquis_anterieurs[{anterieur.bloc}]", "bloc en double")
            vus.add(anterieur.bloc)
        object.__setattr__(self, "blocs_acquis_anterieurs", anterieurs)


# --------------------------------------------------------------------------------------------
# The proposition
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DetailBloc:
    """How one bloc was judged.

    ``points`` is the bloc's mark counted in the total (``None`` when it has none, or under a
    capacité-based règle); ``note_sur_20`` is its display value (2 decimals, ROUND_HALF_UP).
    ``reporte``: carried from an earlier attempt. ``presente``: every evaluation of the bloc was
    presented in this attempt. ``rattrapage_possible``: for a bloc left unvalidated, whether a
    retake remains (``None`` otherwise or when the règle has no retake notion).
    ``capacites_non_acquises``: for capacité-based règles. ``motif``: the reason, in French.
    """

    code: str
    valide: bool
    reporte: bool = False
    presente: bool = True
    controle_continu: Decimal | None = None
    epreuves: Decimal | None = None
    points: Decimal | None = None
    points_max: int | None = None
    note_sur_20: Decimal | None = None
    eliminatoire: bool = False
    rattrapage_possible: bool | None = None
    capacites_non_acquises: tuple[str, ...] = ()
    motif: str = ""


@dataclass(frozen=True, kw_only=True)
class DetailComposante:
    """A composante of the évaluation professionnelle: points retained (after the penalty for
    the tuteur), ``None`` when not presented."""

    code: str
    libelle: str
    points: Decimal | None
    points_max: int


@dataclass(frozen=True, kw_only=True)
class DetailEvaluationProfessionnelle:
    """The évaluation professionnelle after the tuteur penalty, with the computation shown in
    ``calcul_tuteur`` (e.g. ``Note tuteur 40/50, taux d'absence 3,2 % → pénalité 10 % → 36/50``).
    ``atteinte``: complete and ``points ≥ minimum_points``."""

    composantes: tuple[DetailComposante, ...]
    complete: bool
    tuteur_avant_penalite: Decimal | None
    taux_absence: Decimal | None
    penalite_pourcent: Decimal
    tuteur_apres_penalite: Decimal | None
    calcul_tuteur: str
    points: Decimal
    points_max: int
    minimum_points: int
    note_sur_20: Decimal | None
    atteinte: bool


@dataclass(frozen=True, kw_only=True)
class Proposition:
    """The engine's proposal for one candidate. ``blocs_valides`` holds the codes of every bloc
    validated at the end of this decision (carried ones included; every bloc when
    ``certifie``). ``total_points``/``total_max``/``seuil_points``/``evaluation_professionnelle``
    are set for ``grille_points`` only. ``raisons`` explains the decision in French, in a fixed
    order (blocs in the référentiel's order, évaluation professionnelle, total, conclusion)."""

    decision: Decision
    blocs_valides: frozenset[str]
    blocs: tuple[DetailBloc, ...]
    raisons: list[str]
    total_points: Decimal | None = None
    total_max: int | None = None
    seuil_points: int | None = None
    evaluation_professionnelle: DetailEvaluationProfessionnelle | None = None


# --------------------------------------------------------------------------------------------
# Formatting helpers (French)
# --------------------------------------------------------------------------------------------


def _fmt(nombre: Decimal | int) -> str:
    """12 → "12", 87.50 → "87,5", 3.2 → "3,2" (no trailing zeros, decimal comma)."""
    nombre = Decimal(nombre)
    if nombre == nombre.to_integral_value():
        return str(int(nombre))
    return format(nombre.normalize(), "f").replace(".", ",")


def _fmt2(nombre: Decimal) -> str:
    """A note /20 with exactly 2 decimals: "7,89", "10,00"."""
    return format(nombre.quantize(_CENTIEME, rounding=ROUND_HALF_UP), "f").replace(".", ",")


def _fmt_date(jour: date) -> str:
    return f"{jour.day:02d}/{jour.month:02d}/{jour.year:04d}"


def _note_sur_20(points: Decimal, maximum: int) -> Decimal | None:
    if maximum <= 0:
        return None
    return (points * _VINGT / maximum).quantize(_CENTIEME, rounding=ROUND_HALF_UP)


def _ajouter_annees(jour: date, annees: int) -> date:
    try:
        return jour.replace(year=jour.year + annees)
    except ValueError:  # 29 February → 28 February
        return jour.replace(year=jour.year + annees, day=28)


# --------------------------------------------------------------------------------------------
# propose
# --------------------------------------------------------------------------------------------


def propose(
    regle: Regle, structure: Structure, resultats: ResultatsCandidat, *, date_decision: date
) -> Proposition:
    """Propose a decision for one candidate (pure, deterministic; see the module docstring).

    ``regle`` comes from ``regle_parse``; ``structure`` lists the référentiel's blocs (for
    ``grille_points``, exactly the grid's blocs); ``resultats`` holds this attempt's results;
    ``date_decision`` (a ``date``) decides whether earlier blocs are still valid. Raises
    ``EntreeInvalide`` when the inputs contradict the règle or the structure.
    """
    if not isinstance(date_decision, date) or isinstance(date_decision, datetime):
        raise EntreeInvalide("date_decision", "doit être une date (datetime.date, sans heure)")
    if not isinstance(structure, Structure):
        raise EntreeInvalide("structure", "doit être une Structure")
    if not isinstance(resultats, ResultatsCandidat):
        raise EntreeInvalide("resultats", "doit être un ResultatsCandidat")
    codes = set(structure.codes_blocs())
    for anterieur in resultats.blocs_acquis_anterieurs:
        p = f"resultats.blocs_acquis_anterieurs[{anterieur.bloc}]"
        if anterieur.bloc not in codes:
            raise EntreeInvalide(p, "bloc inconnu de la structure")
        if anterieur.date_validation > date_decision:
            raise EntreeInvalide(
                f"{p}.date_validation",
                f"{_fmt_date(anterieur.date_validation)} postérieure à la date de décision {_fmt_date(date_decision)}",
            )
    with localcontext(_CONTEXTE):
        if isinstance(regle, RegleGrillePoints):
            return _propose_grille(regle, structure, resultats, date_decision)
        if isinstance(regle, RegleToutesCapacites | RegleTousBlocs):
            return _propose_capacites(regle, structure, resultats)
    raise TypeError(f"règle inconnue : {regle!r}")


_LIBELLE_ETAT = {
    EtatCapacite.NON_ACQUIS: "non acquise",
    EtatCapacite.ABSENT: "candidat absent",
    None: "non évaluée",
}
_RAISON_FRAUDE = "Fraude constatée : aucun bloc validé"


def _propose_capacites(
    regle: RegleToutesCapacites | RegleTousBlocs, structure: Structure, resultats: ResultatsCandidat
) -> Proposition:
    nom = regle.type
    if resultats.blocs:
        raise EntreeInvalide("resultats.blocs", f"sans objet pour une règle « {nom} » (pas de points)")
    if resultats.evaluation_professionnelle is not None:
        raise EntreeInvalide("resultats.evaluation_professionnelle", f"sans objet pour une règle « {nom} »")
    if isinstance(regle, RegleToutesCapacites) and resultats.blocs_acquis_anterieurs:
        raise EntreeInvalide(
            "resultats.blocs_acquis_anterieurs",
            "sans objet pour une règle « toutes_capacites » : pas de validation partielle à reporter",
        )
    if not structure.blocs:
        raise EntreeInvalide("structure.blocs", "au moins un bloc attendu")
    for bloc in structure.blocs:
        if not bloc.capacites:
            raise EntreeInvalide(
                f"structure.blocs[{bloc.code}].capacites", "un bloc sans capacité ne peut être jugé"
            )
    connues = set(structure.codes_capacites())
    for code in resultats.capacites:
        if code not in connues:
            raise EntreeInvalide(f"resultats.capacites[{code}]", "capacité inconnue de la structure")

    def manquantes(bloc: BlocStructure) -> tuple[str, ...]:
        return tuple(c for c in bloc.capacites if resultats.capacites.get(c) is not EtatCapacite.ACQUIS)

    def liste_manquantes(codes: tuple[str, ...]) -> str:
        return ", ".join(f"{c} ({_LIBELLE_ETAT[resultats.capacites.get(c)]})" for c in codes)

    if resultats.fraude:
        details = tuple(
            DetailBloc(
                code=b.code,
                valide=False,
                capacites_non_acquises=manquantes(b),
                motif="fraude constatée : session invalidée",
            )
            for b in structure.blocs
        )
        raisons = [_RAISON_FRAUDE]
        if resultats.blocs_acquis_anterieurs:
            anciens = ", ".join(a.bloc for a in resultats.blocs_acquis_anterieurs)
            raisons.append(
                f"Blocs acquis antérieurement ({anciens}) : non repris, la session étant invalidée"
            )
        return Proposition(
            decision=Decision.AJOURNE, blocs_valides=frozenset(), blocs=details, raisons=raisons
        )

    if isinstance(regle, RegleToutesCapacites):
        toutes = structure.codes_capacites()
        non_acquises = tuple(c for c in toutes if resultats.capacites.get(c) is not EtatCapacite.ACQUIS)
        raisons = [f"Capacité {c} : {_LIBELLE_ETAT[resultats.capacites.get(c)]}" for c in non_acquises]
        details = tuple(
            DetailBloc(
                code=b.code,
                valide=not non_acquises,
                capacites_non_acquises=manquantes(b),
                motif=(
                    "toutes les capacités sont acquises"
                    if not manquantes(b)
                    else f"capacités non acquises : {liste_manquantes(manquantes(b))}"
                ),
            )
            for b in structure.blocs
        )
        acquises = len(toutes) - len(non_acquises)
        if not non_acquises:
            raisons.append(f"Toutes les capacités sont acquises ({acquises}/{len(toutes)}) : certification")
            return Proposition(
                decision=Decision.CERTIFIE,
                blocs_valides=frozenset(structure.codes_blocs()),
                blocs=details,
                raisons=raisons,
            )
        raisons.append(
            f"{acquises}/{len(toutes)} capacités acquises : toutes sont exigées, pas de certification partielle"
            " : ajourné"
        )
        return Proposition(
            decision=Decision.AJOURNE, blocs_valides=frozenset(), blocs=details, raisons=raisons
        )

    # tous_blocs
    anterieurs = {a.bloc: a for a in resultats.blocs_acquis_anterieurs}
    raisons = []
    details_list: list[DetailBloc] = []
    valides: list[str] = []
    for bloc in structure.blocs:
        anterieur = anterieurs.get(bloc.code)
        if anterieur is not None:
            motif = f"acquis le {_fmt_date(anterieur.date_validation)} (acquis antérieur reporté)"
            if any(c in resultats.capacites for c in bloc.capacites):
                motif += ", résultats de cette session ignorés"
            details_list.append(
                DetailBloc(code=bloc.code, valide=True, reporte=True, presente=False, motif=motif)
            )
            valides.append(bloc.code)
        else:
            absentes = manquantes(bloc)
            n = len(bloc.capacites)
            if absentes:
                motif = f"non acquis ({n - len(absentes)}/{n} compétences) : {liste_manquantes(absentes)}"
            else:
                motif = f"acquis ({n}/{n} compétences)"
                valides.append(bloc.code)
            details_list.append(
                DetailBloc(code=bloc.code, valide=not absentes, capacites_non_acquises=absentes, motif=motif)
            )
        raisons.append(f"Bloc {bloc.code} : {motif}")
    if len(valides) == len(structure.blocs):
        decision = Decision.CERTIFIE
        raisons.append(f"Tous les blocs sont acquis ({len(valides)}/{len(valides)}) : certification")
    elif valides:
        decision = Decision.PARTIEL
        raisons.append(f"Certification partielle : blocs validés {', '.join(valides)}")
    else:
        decision = Decision.AJOURNE
        raisons.append("Aucun bloc acquis : ajourné")
    return Proposition(
        decision=decision, blocs_valides=frozenset(valides), blocs=tuple(details_list), raisons=raisons
    )


@dataclass(frozen=True, kw_only=True)
class _Faits:
    """Internal: what was established about one bloc of a points grid, before the decision."""

    ligne: BlocGrille
    plancher: Decimal
    reporte: BlocAcquisAnterieur | None
    expire: BlocAcquisAnterieur | None
    fin_validite: date | None
    resultats_ignores: bool
    controle_continu: Decimal | None
    epreuves: Decimal | None
    absence_non_justifiee: bool
    complet: bool
    points: Decimal | None
    eliminatoire: bool
    conserve: bool
    tentative: int

    @property
    def presente(self) -> bool:
        return self.complet and not self.absence_non_justifiee

    @property
    def validable(self) -> bool:
        """Validated whatever the total: carried, or presented with ≥ note de conservation."""
        return self.reporte is not None or (self.presente and self.conserve)


def _propose_grille(
    regle: RegleGrillePoints, structure: Structure, resultats: ResultatsCandidat, date_decision: date
) -> Proposition:
    codes_regle = [b.bloc for b in regle.blocs]
    codes_structure = structure.codes_blocs()
    if set(codes_structure) != set(codes_regle):
        manquants = [c for c in codes_regle if c not in codes_structure]
        en_trop = [c for c in codes_structure if c not in codes_regle]
        raise EntreeInvalide(
            "structure.blocs",
            "ne correspond pas aux blocs de la règle"
            f" (manquants : {', '.join(manquants) or '—'} ; en trop : {', '.join(en_trop) or '—'})",
        )
    if resultats.capacites:
        raise EntreeInvalide(
            "resultats.capacites", "sans objet pour une règle « grille_points » (décision aux points)"
        )
    for code, resultat in resultats.blocs.items():
        p = f"resultats.blocs[{code}]"
        if code not in codes_regle:
            raise EntreeInvalide(p, "bloc inconnu de la règle")
        ligne = regle.bloc(code)
        for nom, valeur, maximum in (
            ("controle_continu", resultat.controle_continu, ligne.controle_continu),
            ("epreuves", resultat.epreuves, ligne.epreuves),
        ):
            if valeur is not None and valeur > maximum:
                raise EntreeInvalide(f"{p}.{nom}", f"{_fmt(valeur)} > maximum {maximum}")
        if resultat.tentative > 1 + regle.rattrapages_par_bloc:
            raise EntreeInvalide(
                f"{p}.tentative",
                f"{resultat.tentative} > 1 + rattrapages_par_bloc ({regle.rattrapages_par_bloc})",
            )
    for anterieur in resultats.blocs_acquis_anterieurs:
        maximum = regle.bloc(anterieur.bloc).points
        if anterieur.points is not None and anterieur.points > maximum:
            raise EntreeInvalide(
                f"resultats.blocs_acquis_anterieurs[{anterieur.bloc}].points",
                f"{_fmt(anterieur.points)} > maximum {maximum}",
            )
    composantes_regle = regle.evaluation_professionnelle.composantes
    if resultats.evaluation_professionnelle is not None:
        par_code = {c.code: c for c in composantes_regle}
        for code, valeur in resultats.evaluation_professionnelle.composantes.items():
            p = f"resultats.evaluation_professionnelle.composantes[{code}]"
            if code not in par_code:
                raise EntreeInvalide(p, f"composante inconnue de la règle (attendu : {', '.join(par_code)})")
            if valeur is not None and valeur > par_code[code].points:
                raise EntreeInvalide(p, f"{_fmt(valeur)} > maximum {par_code[code].points}")

    faits = [_faits_bloc(regle, ligne, resultats, date_decision) for ligne in regle.blocs]
    evaluation = _evaluation_professionnelle(regle, resultats.evaluation_professionnelle)
    total = sum((f.points for f in faits if f.points is not None), Decimal(0)) + evaluation.points
    total_atteint = total >= regle.seuil_points

    if resultats.fraude:
        decision = Decision.AJOURNE
        valides: list[str] = []
    else:
        certifie = (
            all(f.reporte is not None or f.presente for f in faits)
            and not any(f.eliminatoire for f in faits)
            and evaluation.atteinte
            and total_atteint
        )
        if certifie:
            decision = Decision.CERTIFIE
            valides = list(codes_regle)
        else:
            valides = [f.ligne.bloc for f in faits if f.validable]
            decision = Decision.PARTIEL if valides else Decision.AJOURNE

    details: list[DetailBloc] = []
    raisons_blocs: list[str] = []
    for f in faits:
        detail, lignes = _rendu_bloc(regle, f, decision, fraude=resultats.fraude)
        details.append(detail)
        raisons_blocs.extend(lignes)

    raisons: list[str] = []
    if resultats.fraude:
        raisons.append(_RAISON_FRAUDE)
        anciens = [f.ligne.bloc for f in faits if f.reporte is not None]
        if anciens:
            raisons.append(
                f"Blocs acquis antérieurement ({', '.join(anciens)}) : non repris, la session étant invalidée"
            )
    else:
        raisons.extend(raisons_blocs)
        if evaluation.calcul_tuteur:
            raisons.append(evaluation.calcul_tuteur)
        raisons.append(_raison_evaluation(evaluation))
        comparaison = "≥" if total_atteint else "<"
        raisons.append(f"Total {_fmt(total)}/{regle.total_points} {comparaison} {regle.seuil_points}")
        if decision is Decision.CERTIFIE:
            raisons.append("Certification totale")
        elif decision is Decision.PARTIEL:
            raisons.append(f"Certification partielle : blocs validés {', '.join(valides)}")
        else:
            raisons.append("Ajourné : aucun bloc validé")
    return Proposition(
        decision=decision,
        blocs_valides=frozenset(valides),
        blocs=tuple(details),
        raisons=raisons,
        total_points=total,
        total_max=regle.total_points,
        seuil_points=regle.seuil_points,
        evaluation_professionnelle=evaluation,
    )


def _faits_bloc(
    regle: RegleGrillePoints, ligne: BlocGrille, resultats: ResultatsCandidat, date_decision: date
) -> _Faits:
    plancher = regle.note_conservation_sur_20 * ligne.points / _VINGT
    anterieur = next((a for a in resultats.blocs_acquis_anterieurs if a.bloc == ligne.bloc), None)
    reporte = expire = None
    fin_validite = None
    if anterieur is not None:
        fin_validite = _ajouter_annees(anterieur.date_validation, regle.validite_blocs_annees)
        if date_decision <= fin_validite:
            reporte = anterieur
        else:
            expire = anterieur
    resultat = resultats.blocs.get(ligne.bloc)
    if reporte is not None:
        points = reporte.points if reporte.points is not None else plancher
        return _Faits(
            ligne=ligne,
            plancher=plancher,
            reporte=reporte,
            expire=None,
            fin_validite=fin_validite,
            resultats_ignores=resultat is not None,
            controle_continu=None,
            epreuves=None,
            absence_non_justifiee=False,
            complet=False,
            points=points,
            eliminatoire=False,
            conserve=True,
            tentative=1,
        )
    if resultat is None:
        resultat = ResultatBloc()
    controle_continu = resultat.controle_continu
    epreuves = Decimal(0) if resultat.absence_non_justifiee else resultat.epreuves
    complet = controle_continu is not None and epreuves is not None
    connus = [v for v in (controle_continu, epreuves) if v is not None]
    points_bloc: Decimal | None = sum(connus, Decimal(0)) if connus else None
    eliminatoire = complet and points_bloc is not None and points_bloc < ligne.minimum_points
    conserve = (
        complet
        and points_bloc is not None
        and points_bloc * _VINGT >= regle.note_conservation_sur_20 * ligne.points
    )
    return _Faits(
        ligne=ligne,
        plancher=plancher,
        reporte=None,
        expire=expire,
        fin_validite=fin_validite,
        resultats_ignores=False,
        controle_continu=controle_continu,
        epreuves=epreuves,
        absence_non_justifiee=resultat.absence_non_justifiee,
        complet=complet,
        points=points_bloc,
        eliminatoire=eliminatoire,
        conserve=conserve,
        tentative=resultat.tentative,
    )


def _rendu_bloc(
    regle: RegleGrillePoints, f: _Faits, decision: Decision, *, fraude: bool
) -> tuple[DetailBloc, list[str]]:
    """The DetailBloc of one bloc and its reason lines, once the decision is known."""
    ligne = f.ligne
    code = ligne.bloc
    cons = _fmt(regle.note_conservation_sur_20)
    lignes: list[str] = []
    if f.expire is not None and f.fin_validite is not None:
        lignes.append(
            f"Bloc {code} : validé le {_fmt_date(f.expire.date_validation)}, validité de"
            f" {regle.validite_blocs_annees} ans expirée le {_fmt_date(f.fin_validite)} : non reporté"
        )
    note = _note_sur_20(f.points, ligne.points) if f.points is not None else None
    marque = (
        f"{_fmt(f.points)}/{ligne.points} ({_fmt2(note)}/20)"
        if f.points is not None and note is not None
        else ""
    )

    rattrapage: bool | None = None
    if f.reporte is not None:
        assert f.fin_validite is not None
        motif = (
            f"validé le {_fmt_date(f.reporte.date_validation)}, reporté (valable jusqu'au"
            f" {_fmt_date(f.fin_validite)})"
        )
        if f.reporte.points is not None:
            motif += f" : {marque}"
        else:
            motif += (
                f" : points non communiqués, comptés au plancher de conservation"
                f" {_fmt(f.plancher)}/{ligne.points} ({cons}/20)"
            )
        if f.resultats_ignores:
            motif += " ; résultats de cette session ignorés"
        valide = True
    else:
        valide = f.validable or decision is Decision.CERTIFIE
        if not f.complet:
            manque = []
            if f.controle_continu is None and f.epreuves is None:
                manque.append("non présenté (aucun résultat)")
            else:
                if f.controle_continu is None:
                    manque.append("contrôle continu non renseigné")
                if f.epreuves is None:
                    manque.append("épreuves de validation non présentées")
            if f.absence_non_justifiee:
                manque.append(
                    f"absence non justifiée à l'épreuve de validation (épreuves notées 0/{ligne.epreuves})"
                )
            motif = " ; ".join(manque) + " : bloc non validé"
            if f.points is not None:
                motif = f"{motif} (points connus : {_fmt(f.points)}/{ligne.points})"
        else:
            prefixe = ""
            if f.absence_non_justifiee:
                prefixe = (
                    f"absence non justifiée à l'épreuve de validation, épreuves notées 0/{ligne.epreuves} ; "
                )
            if f.eliminatoire:
                motif = (
                    f"{marque}, minimum {ligne.minimum_points} non atteint (note éliminatoire"
                    f" {_fmt(regle.note_eliminatoire_sur_20)}/20) : bloc non validé"
                )
            elif f.absence_non_justifiee:
                motif = f"{marque} : bloc non validé (non-présentation à l'épreuve)"
            elif f.conserve:
                motif = f"{marque} ≥ {_fmt(f.plancher)} ({cons}/20) : bloc validé"
            elif decision is Decision.CERTIFIE:
                motif = (
                    f"{marque}, minimum {ligne.minimum_points} atteint, < {_fmt(f.plancher)} ({cons}/20) :"
                    " compensé par la certification totale"
                )
            else:
                motif = f"{marque} < {_fmt(f.plancher)} ({cons}/20) : bloc non validé"
            motif = prefixe + motif
        if not valide:
            rattrapage = f.tentative <= regle.rattrapages_par_bloc
            if rattrapage:
                motif += " ; rattrapage possible"
            else:
                motif += f" ; plus de rattrapage possible ({regle.rattrapages_par_bloc} par bloc)"
    if fraude:
        valide = False
        rattrapage = None
        motif = "fraude constatée : session invalidée"
    lignes.append(f"Bloc {code} : {motif}")
    detail = DetailBloc(
        code=code,
        valide=valide,
        reporte=f.reporte is not None,
        presente=f.reporte is None and f.presente,
        controle_continu=f.controle_continu,
        epreuves=f.epreuves,
        points=f.points,
        points_max=ligne.points,
        note_sur_20=note,
        eliminatoire=f.eliminatoire,
        rattrapage_possible=rattrapage,
        motif=motif,
    )
    return detail, lignes


def _evaluation_professionnelle(
    regle: RegleGrillePoints, resultat: ResultatEvaluationProfessionnelle | None
) -> DetailEvaluationProfessionnelle:
    e = regle.evaluation_professionnelle
    saisies: Mapping[str, Decimal | None] = resultat.composantes if resultat is not None else {}
    taux = resultat.taux_absence if resultat is not None else None
    tuteur_avant = tuteur_apres = None
    penalite = Decimal(0)
    calcul = ""
    composantes: list[DetailComposante] = []
    for c in e.composantes:
        points = saisies.get(c.code)
        if c.code == CODE_TUTEUR:
            tuteur_avant = points
            if points is None:
                calcul = "Note tuteur non communiquée"
            else:
                penalite, calcul, points = _penalite_tuteur(regle, points, c.points, taux)
            tuteur_apres = points
        composantes.append(
            DetailComposante(code=c.code, libelle=c.libelle, points=points, points_max=c.points)
        )
    # A grid without composantes needs no result; otherwise every composante must be presented.
    complete = (resultat is not None or not composantes) and all(c.points is not None for c in composantes)
    total = sum((c.points for c in composantes if c.points is not None), Decimal(0))
    return DetailEvaluationProfessionnelle(
        composantes=tuple(composantes),
        complete=complete,
        tuteur_avant_penalite=tuteur_avant,
        taux_absence=taux,
        penalite_pourcent=penalite,
        tuteur_apres_penalite=tuteur_apres,
        calcul_tuteur=calcul,
        points=total,
        points_max=e.points,
        minimum_points=e.minimum_points,
        note_sur_20=_note_sur_20(total, e.points),
        atteinte=complete and total >= e.minimum_points,
    )


def _penalite_tuteur(
    regle: RegleGrillePoints, note: Decimal, maximum: int, taux: Decimal | None
) -> tuple[Decimal, str, Decimal]:
    """(penalty %, computation shown, grade after penalty rounded to 0.01 ROUND_HALF_UP)."""
    debut = f"Note tuteur {_fmt(note)}/{maximum}"
    if taux is None:
        return Decimal(0), f"{debut}, aucune absence non justifiée → {_fmt(note)}/{maximum}", note
    tranche = next((t for t in regle.penalites_absence if t.contient(taux)), None)
    au_dela = False
    if tranche is None and regle.penalites_absence and taux > regle.penalites_absence[-1].taux_max:
        tranche = regle.penalites_absence[-1]
        au_dela = True
    if tranche is None:
        return (
            Decimal(0),
            f"{debut}, taux d'absence {_fmt(taux)} % → aucune pénalité → {_fmt(note)}/{maximum}",
            note,
        )
    penalite = tranche.penalite_pourcent
    apres = (note * (_CENT - penalite) / _CENT).quantize(_CENTIEME, rounding=ROUND_HALF_UP)
    calcul = f"{debut}, taux d'absence {_fmt(taux)} %"
    if au_dela:
        calcul += f" (au-delà de {_fmt(tranche.taux_max)} %)"
    calcul += f" → pénalité {_fmt(penalite)} % → {_fmt(apres)}/{maximum}"
    if au_dela:
        calcul += " ; au-delà du barème, sanctions selon le règlement intérieur de l'établissement"
    return penalite, calcul, apres


def _raison_evaluation(e: DetailEvaluationProfessionnelle) -> str:
    if not e.complete:
        manquantes = [c.code for c in e.composantes if c.points is None]
        if len(manquantes) == len(e.composantes):
            return "Évaluation professionnelle non présentée : pas de certification totale"
        return f"Évaluation professionnelle incomplète ({', '.join(manquantes)} non présenté) : pas de certification totale"
    detail = ", ".join(
        f"{c.code} {_fmt(c.points)}/{c.points_max}" for c in e.composantes if c.points is not None
    )
    note = f" ({_fmt2(e.note_sur_20)}/20)" if e.note_sur_20 is not None else ""
    comparaison = "≥" if e.atteinte else "< minimum"
    texte = (
        f"Évaluation professionnelle {_fmt(e.points)}/{e.points_max}{note} {comparaison} {e.minimum_points}"
    )
    if detail:
        texte += f" ({detail})"
    return texte
