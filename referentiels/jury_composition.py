"""The jury's composition rules, as data carried by the référentiel version (like the règle).

``Referentiel.composition_jury`` is a JSON object; :func:`composition_parse` reads it into a typed
:class:`JuryComposition` and refuses, in French, what it cannot be (nothing is written on bad
input: :func:`composition_check` raises before any save). A key that is absent — or the whole
object, ``{}`` — takes the default of the référentiel's family: RNCP36390 its règlement d'examen's
jury (seed 004, §7), a CQPM the paritaire jury de délibération, any other the plain one. So a
référentiel that never had rules of its own behaves as it did when the rules were code.

The juries app checks a jury's members against it (``juries.rules.composition_failures``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import ApplicationError

#: The voting roles a composition may count (``juries.models.JuryMember.Role`` without the
#: observateur, who has no vote), with their French labels (singular, plural).
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "president": ("président", "présidents"),
    "professionnel": ("professionnel du métier", "professionnels du métier"),
    "representant": ("représentant de l'établissement", "représentants de l'établissement"),
}


@dataclass(frozen=True)
class JuryComposition:
    libelle: str
    # exact count of voting members per role (a role not named: any number)
    roles: dict[str, int] = field(default_factory=dict)
    minimum_votants: int = 2
    president_personnalite_qualifiee: bool = False
    representant_sans_formation: bool = False
    paritaire: bool = False
    annees_metier_min: Decimal | None = None
    inactivite_max_annees: Decimal | None = None
    observateurs_admis: bool = True
    # publication
    delai_publication_semaines: int | None = None
    notes_epreuves_confidentielles: bool = False
    texte: str = ""

    def as_data(self) -> dict[str, Any]:
        """The JSON object stored on the référentiel (decimals as numbers)."""
        data = dataclasses.asdict(self)
        for key in ("annees_metier_min", "inactivite_max_annees"):
            if data[key] is not None:
                value = data[key]
                data[key] = int(value) if value == value.to_integral_value() else float(value)
        return data


# --- the defaults per family (what the code held before the rules became data) ------------------

RNCP36390 = JuryComposition(
    libelle="Jury de certification CCI France (RNCP36390)",
    roles={"president": 1, "professionnel": 2, "representant": 1},
    minimum_votants=4,
    president_personnalite_qualifiee=True,
    representant_sans_formation=True,
    annees_metier_min=Decimal(1),
    inactivite_max_annees=Decimal(3),
    delai_publication_semaines=6,
    notes_epreuves_confidentielles=True,
    texte=(
        "4 personnes : 1 président, personnalité qualifiée du monde économique ; 2 professionnels "
        "qualifiés représentatifs du métier cible ; 1 représentant de l'établissement n'ayant pas "
        "formé les apprenants. Observateur admis. Chaque membre a exercé ou encadré le métier cible "
        "au moins 1 an et n'est pas inactif depuis plus de 3 ans."
    ),
)

CQPM = JuryComposition(
    libelle="Jury de délibération paritaire (CQPM)",
    roles={"president": 1},
    minimum_votants=2,
    paritaire=True,
    texte=(
        "Jury paritaire : autant de membres du collège employeurs que du collège salariés "
        "(au moins un de chaque), présidé par un membre du collège employeurs."
    ),
)

DEFAULT = JuryComposition(
    libelle="Jury de délibération",
    roles={"president": 1},
    minimum_votants=2,
    texte="Un président et au moins un autre membre votant.",
)

BY_CODE: dict[str, JuryComposition] = {"RNCP36390": RNCP36390}
BY_KIND: dict[str, JuryComposition] = {"CQPM": CQPM}


def family_default(*, code: str, kind: str) -> JuryComposition:
    """The composition a référentiel of this code and kind has when it states none."""
    return BY_CODE.get(code) or BY_KIND.get(kind) or DEFAULT


# --- parsing -----------------------------------------------------------------------------------

_BOOLS = (
    "president_personnalite_qualifiee",
    "representant_sans_formation",
    "paritaire",
    "observateurs_admis",
    "notes_epreuves_confidentielles",
)
_YEARS = ("annees_metier_min", "inactivite_max_annees")
_TEXTS = {"libelle": 200, "texte": 2000}
KEYS = frozenset(f.name for f in dataclasses.fields(JuryComposition))


def _error(message: str, where: str) -> ApplicationError:
    return ApplicationError(f"{where} : {message}", field="composition_jury", extra={"path": where})


def _int(value: Any, where: str, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(f"un nombre entier est attendu, pas « {value} ».", where)
    if not minimum <= value <= maximum:
        raise _error(f"entre {minimum} et {maximum} ({value} donné).", where)
    return value


def _years(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _error(f"un nombre d'années est attendu (ou null), pas « {value} ».", where)
    try:
        years = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise _error(f"un nombre d'années est attendu (ou null), pas « {value} ».", where) from None
    if not years.is_finite() or years < 0 or years > 50:
        raise _error(f"entre 0 et 50 ans ({value} donné).", where)
    return years


def composition_parse(data: Any, *, code: str, kind: str) -> JuryComposition:
    """``data`` (the stored JSON, or what the certificateur typed) over the family's default.

    Raises ``ApplicationError`` (field ``composition_jury``, French message naming the key) for an
    unknown key, a value of the wrong type or out of range, or rules no jury could meet."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _error("un objet est attendu (par exemple « minimum_votants: 4 »).", "composition_jury")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise _error(
            f"clé inconnue « {unknown[0]} » (clés admises : {', '.join(sorted(KEYS))}).", "composition_jury"
        )
    base = family_default(code=code, kind=kind)
    values: dict[str, Any] = {}
    for key, maximum in _TEXTS.items():
        if key in data:
            if not isinstance(data[key], str):
                raise _error("un texte est attendu.", key)
            if len(data[key]) > maximum:
                raise _error(f"{maximum} caractères au plus ({len(data[key])} donnés).", key)
            values[key] = data[key].strip()
    for key in _BOOLS:
        if key in data:
            if not isinstance(data[key], bool):
                raise _error(f"oui ou non (true / false) est attendu, pas « {data[key]} ».", key)
            values[key] = data[key]
    for key in _YEARS:
        if key in data:
            values[key] = _years(data[key], key)
    if "minimum_votants" in data:
        values["minimum_votants"] = _int(data["minimum_votants"], "minimum_votants", minimum=1, maximum=30)
    if "delai_publication_semaines" in data:
        value = data["delai_publication_semaines"]
        values["delai_publication_semaines"] = (
            None if value is None else _int(value, "delai_publication_semaines", minimum=1, maximum=52)
        )
    if "roles" in data:
        roles = data["roles"]
        if not isinstance(roles, dict):
            raise _error("un objet rôle → nombre est attendu (par exemple « president: 1 »).", "roles")
        for role in roles:
            if role not in ROLE_LABELS:
                raise _error(
                    f"rôle inconnu « {role} » (rôles votants : {', '.join(ROLE_LABELS)}).", f"roles.{role}"
                )
        values["roles"] = {role: _int(n, f"roles.{role}", minimum=0, maximum=30) for role, n in roles.items()}
    composition = dataclasses.replace(base, **values)
    if composition.roles.get("president") != 1:
        raise _error(
            "un jury a exactement 1 président (il signe le procès-verbal en dernier).", "roles.president"
        )
    counted = sum(composition.roles.values())
    if composition.paritaire and composition.minimum_votants < 2:
        raise _error("un jury paritaire compte au moins 2 votants (un par collège).", "minimum_votants")
    if set(composition.roles) == set(ROLE_LABELS) and counted < composition.minimum_votants:
        raise _error(
            f"les rôles comptent {counted} votant(s), moins que le minimum de {composition.minimum_votants} : "
            "aucun jury ne pourrait siéger.",
            "minimum_votants",
        )
    return composition


def composition_of(referentiel) -> JuryComposition:
    """The référentiel's jury composition (its stored rules over its family's default).

    Stored rules are checked on the way in; rules that no longer parse (edited by hand in the
    database) are an error of the référentiel, not a reason to sit a jury under other rules."""
    return composition_parse(referentiel.composition_jury, code=referentiel.code, kind=referentiel.kind)


def composition_describe(composition: JuryComposition) -> list[str]:
    """The rules in plain French, one line each (the référentiel page and the edit preview)."""
    lines = [composition.libelle]
    if composition.roles:
        parts = []
        for role, n in composition.roles.items():
            singular, plural = ROLE_LABELS[role]
            parts.append(f"{n} {singular if n <= 1 else plural}")
        lines.append("Membres votants par rôle : " + ", ".join(parts) + ".")
    lines.append(f"Au moins {composition.minimum_votants} membres votants.")
    if composition.president_personnalite_qualifiee:
        lines.append("Le président est une personnalité qualifiée du monde économique.")
    if composition.representant_sans_formation:
        lines.append("Le représentant de l'établissement n'a pas formé les candidats du jury.")
    if composition.paritaire:
        lines.append(
            "Jury paritaire : autant de membres du collège employeurs que du collège salariés, "
            "présidé par un membre du collège employeurs."
        )
    if composition.annees_metier_min is not None:
        lines.append(
            f"Chaque membre a exercé le métier cible au moins {_fmt(composition.annees_metier_min)} an(s)."
        )
    if composition.inactivite_max_annees is not None:
        lines.append(
            f"Aucun membre n'est inactif depuis plus de {_fmt(composition.inactivite_max_annees)} an(s)."
        )
    lines.append("Observateurs admis." if composition.observateurs_admis else "Pas d'observateur.")
    if composition.delai_publication_semaines is not None:
        lines.append(
            f"Résultats publiés au plus tard {composition.delai_publication_semaines} semaines après le dernier examen."
        )
    if composition.notes_epreuves_confidentielles:
        lines.append("Les notes d'épreuves de bloc ne sont pas divulguées.")
    return lines


def _fmt(value: Decimal) -> str:
    return (
        str(int(value))
        if value == value.to_integral_value()
        else format(value.normalize(), "f").replace(".", ",")
    )
