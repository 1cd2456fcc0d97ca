"""The règle d'obtention as typed data, the inputs of a decision and the proposition (pure Python)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

TYPES_REGLE: tuple[str, ...] = ("toutes_capacites", "tous_blocs", "grille_points")
ABSENCE_NON_JUSTIFIEE_VALEURS: tuple[str, ...] = ("zero",)
FRAUDE_VALEURS: tuple[str, ...] = ("aucun_bloc",)
CODE_TUTEUR = "tuteur"
# Seed 004, « En cas d'échec » : a retake is a rattrapage (« le candidat repasse uniquement les
# évaluations de blocs et conserve le bénéfice de sa note de tuteur ») or a redoublement (« le
# candidat suit les modules du ou des blocs non-validés et repasse toutes les évaluations de modules
# suivis et les évaluations de blocs de l'année concernée »); "" for a first presentation.
REPRISES: tuple[str, ...] = ("", "rattrapage", "redoublement")
# Seed 004, « Motifs recevables de non-présentation aux évaluations de bloc et à l'évaluation
# professionnelle » — the only reasons that make an absence justified.
MOTIFS_RECEVABLES: dict[str, str] = {
    "certificat_medical": "certificat médical",
    "arret_travail": "arrêt de travail",
    "force_majeure": "cas de force majeure justifié",
}

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


class _RegleSansGrille:
    """What a règle without a points grid says of grids, retakes and the tuteur: nothing. The
    typed règle answers these for every family, so no caller tests ``type``."""

    #: Marked in points per bloc (a grid) rather than by capacité.
    par_points: ClassVar[bool] = False
    #: The retake window (years after the first deliberation) and count per bloc: none.
    validite_blocs_annees: ClassVar[int | None] = None
    rattrapages_par_bloc: ClassVar[int | None] = None

    def composante_tuteur(self) -> None:
        """No évaluation professionnelle, so no tuteur composante."""
        return None


@dataclass(frozen=True, kw_only=True)
class RegleToutesCapacites(_RegleSansGrille):
    """CQPM: certified iff every capacité is acquired; no partial certification."""

    type: ClassVar[str] = "toutes_capacites"


@dataclass(frozen=True, kw_only=True)
class RegleTousBlocs(_RegleSansGrille):
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
    par_points: ClassVar[bool] = True  # see _RegleSansGrille
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
    absence_justifiee: str = ""
    cc_absence_non_justifiee: bool = False
    cc_absence_justifiee: str = ""
    tentative: int = 1
    portefeuille: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "controle_continu", _points_entree(self.controle_continu, "ResultatBloc.controle_continu")
        )
        object.__setattr__(self, "epreuves", _points_entree(self.epreuves, "ResultatBloc.epreuves"))
        for nom in ("absence_non_justifiee", "cc_absence_non_justifiee"):
            if not isinstance(getattr(self, nom), bool):
                raise EntreeInvalide(f"ResultatBloc.{nom}", "doit être un booléen")
        for nom in ("absence_justifiee", "cc_absence_justifiee"):
            if getattr(self, nom) not in ("", *MOTIFS_RECEVABLES):
                raise EntreeInvalide(
                    f"ResultatBloc.{nom}", f"motif recevable attendu ({', '.join(MOTIFS_RECEVABLES)})"
                )
        if self.absence_non_justifiee and self.epreuves not in (None, Decimal(0)):
            raise EntreeInvalide(
                "ResultatBloc.epreuves", "doit être vide (ou 0) quand absence_non_justifiee est vrai"
            )
        if self.absence_justifiee and (self.epreuves is not None or self.absence_non_justifiee):
            raise EntreeInvalide(
                "ResultatBloc.epreuves",
                "une absence justifiée n'a ni note ni absence non justifiée (une absence n'est pas un 0)",
            )
        if self.cc_absence_non_justifiee and self.controle_continu not in (None, Decimal(0)):
            raise EntreeInvalide(
                "ResultatBloc.controle_continu",
                "doit être vide (ou 0) quand cc_absence_non_justifiee est vrai",
            )
        if self.cc_absence_justifiee and (self.controle_continu is not None or self.cc_absence_non_justifiee):
            raise EntreeInvalide(
                "ResultatBloc.controle_continu",
                "une absence justifiée n'a ni note ni absence non justifiée (une absence n'est pas un 0)",
            )
        if isinstance(self.tentative, bool) or not isinstance(self.tentative, int) or self.tentative < 1:
            raise EntreeInvalide("ResultatBloc.tentative", "doit être un entier ≥ 1")
        if not isinstance(self.portefeuille, bool):
            raise EntreeInvalide("ResultatBloc.portefeuille", "doit être un booléen")


@dataclass(frozen=True, kw_only=True)
class ResultatEvaluationProfessionnelle(_CopiableMixin):
    """This attempt's évaluation professionnelle: points per composante code (``ecrit``,
    ``oral``, ``tuteur``…; ``None`` or missing = not presented), and ``taux_absence``, the
    unjustified absence rate in % of training time (0–100, any precision; ``None`` = none
    recorded) which triggers the penalty on the tuteur grade. ``absences``: the composantes the
    candidate did not present without a receivable reason (rapport not handed in, soutenance not
    attended, no period in company) — facts, whose points are ``None``, never a 0."""

    composantes: Mapping[str, Decimal | None]
    taux_absence: Decimal | None = None
    absences: frozenset[str] = frozenset()
    absences_justifiees: Mapping[str, str] = field(default_factory=dict)

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
        absences = frozenset(self.absences)
        for code in absences:
            if composantes.get(code) is not None:
                raise EntreeInvalide(
                    f"ResultatEvaluationProfessionnelle.absences[{code}]",
                    "une composante non présentée n'a pas de points (une absence n'est pas un 0)",
                )
        object.__setattr__(self, "absences", absences)
        justifiees = dict(self.absences_justifiees)
        for code, motif in justifiees.items():
            chemin = f"ResultatEvaluationProfessionnelle.absences_justifiees[{code}]"
            if motif not in MOTIFS_RECEVABLES:
                raise EntreeInvalide(chemin, f"motif recevable attendu ({', '.join(MOTIFS_RECEVABLES)})")
            if composantes.get(code) is not None or code in absences:
                raise EntreeInvalide(
                    chemin, "une composante absente (justifié) n'a ni points ni absence non justifiée"
                )
        object.__setattr__(self, "absences_justifiees", MappingProxyType(justifiees))
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
    fraude_suspectee: bool = False
    blocs_acquis_anterieurs: tuple[BlocAcquisAnterieur, ...] = ()
    reprise: str = ""
    exemption_epreuve_professionnelle: bool = False
    periode_entreprise_absente: bool = False
    periode_entreprise_justifiee: str = ""

    def __post_init__(self) -> None:
        if self.reprise not in REPRISES:
            raise EntreeInvalide("resultats.reprise", f"attendu : {', '.join(r or '« »' for r in REPRISES)}")
        for nom in ("exemption_epreuve_professionnelle", "periode_entreprise_absente"):
            if not isinstance(getattr(self, nom), bool):
                raise EntreeInvalide(f"resultats.{nom}", "doit être un booléen")
        if self.periode_entreprise_justifiee not in ("", *MOTIFS_RECEVABLES):
            raise EntreeInvalide(
                "resultats.periode_entreprise_justifiee",
                f"motif recevable attendu ({', '.join(MOTIFS_RECEVABLES)})",
            )
        if self.periode_entreprise_justifiee and self.periode_entreprise_absente:
            raise EntreeInvalide(
                "resultats.periode_entreprise_justifiee",
                "une absence justifiée n'est pas aussi une absence non justifiée",
            )
        if self.exemption_epreuve_professionnelle and self.evaluation_professionnelle is not None:
            raise EntreeInvalide(
                "resultats.evaluation_professionnelle",
                "sans objet pour un candidat exempté d'épreuve professionnelle",
            )
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
        if not isinstance(self.fraude_suspectee, bool):
            raise EntreeInvalide("resultats.fraude_suspectee", "doit être un booléen")
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
    portefeuille: bool = False


@dataclass(frozen=True, kw_only=True)
class DetailComposante:
    """A composante of the évaluation professionnelle: points retained (after the penalty for
    the tuteur), ``None`` when not presented."""

    code: str
    libelle: str
    points: Decimal | None
    points_max: int
    absent: bool = False
    absence_justifiee: str = ""


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
    exemptee: bool = False


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
    seuil_points: int | Decimal | None = None
    evaluation_professionnelle: DetailEvaluationProfessionnelle | None = None
    incident_en_attente: bool = False
