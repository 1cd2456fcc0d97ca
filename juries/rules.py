"""Jury rules per référentiel / certificateur: composition, eligibility, publication.

Data, not code per certification: ``JuryRules`` describes what a jury must look like, and
:func:`composition_failures` checks a jury against it and lists every failure in French.
Rules are looked up by référentiel code first, then by kind (``CQPM``…), then the default.

Sources: seed 004 (RNCP36390 règlement d'examen, §7 « le jury de certification » and « la
procédure d'habilitation du jury », §8 « divulgation des résultats »); the CQPM jury de
délibération is paritaire (collège employeurs / collège salariés, présidence employeur).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class JuryRules:
    libelle: str
    # exact count of voting members per role (None: any number, at least ``minimum``)
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


RNCP36390 = JuryRules(
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

CQPM = JuryRules(
    libelle="Jury de délibération paritaire (CQPM)",
    roles={"president": 1},
    minimum_votants=2,
    paritaire=True,
    texte=(
        "Jury paritaire : autant de membres du collège employeurs que du collège salariés "
        "(au moins un de chaque), présidé par un membre du collège employeurs."
    ),
)

DEFAULT = JuryRules(
    libelle="Jury de délibération",
    roles={"president": 1},
    minimum_votants=2,
    texte="Un président et au moins un autre membre votant.",
)

BY_CODE: dict[str, JuryRules] = {"RNCP36390": RNCP36390}
BY_KIND: dict[str, JuryRules] = {"CQPM": CQPM}

ROLE_LABELS = {
    "president": ("président", "présidents"),
    "professionnel": ("professionnel du métier", "professionnels du métier"),
    "representant": ("représentant de l'établissement", "représentants de l'établissement"),
}


def rules_for(referentiel) -> JuryRules:
    return BY_CODE.get(referentiel.code) or BY_KIND.get(referentiel.kind) or DEFAULT


def _count(n: int, role: str) -> str:
    singular, plural = ROLE_LABELS[role]
    return f"{n} {singular if n <= 1 else plural}"


def composition_failures(
    rules: JuryRules, members: Iterable, *, tuteur_emails: Iterable[str] = ()
) -> list[str]:
    """Every reason why these members cannot sit as a jury under ``rules`` (empty: it can sit).

    ``members`` are ``JuryMember``-like objects; ``tuteur_emails`` are the e-mails of the
    candidates' tuteurs (a tuteur cannot judge their own apprentice: conflict of interest).
    """
    members = list(members)
    failures: list[str] = []
    voting = [m for m in members if m.role != "observateur"]
    if not rules.observateurs_admis and len(voting) != len(members):
        failures.append("Ce jury n'admet pas d'observateur.")
    for role, expected in rules.roles.items():
        n = sum(1 for m in voting if m.role == role)
        if n != expected:
            failures.append(f"Il faut {_count(expected, role)} ; le jury en compte {n}.")
    if len(voting) < rules.minimum_votants:
        failures.append(
            f"Il faut au moins {rules.minimum_votants} membres votants ; le jury en compte {len(voting)}."
        )
    president = next((m for m in voting if m.role == "president"), None)
    if rules.president_personnalite_qualifiee and president and not president.personnalite_qualifiee:
        failures.append(
            f"Le président ({president.prenom} {president.nom}) doit être une personnalité qualifiée du monde économique."
        )
    if rules.representant_sans_formation:
        for m in voting:
            if m.role == "representant" and m.a_forme_candidats:
                failures.append(
                    f"Le représentant de l'établissement ({m.prenom} {m.nom}) a formé des candidats de ce jury : il ne peut pas siéger."
                )
    if rules.paritaire:
        employeurs = [m for m in voting if m.college == "employeur"]
        salaries = [m for m in voting if m.college == "salarie"]
        sans = [m for m in voting if m.college not in ("employeur", "salarie")]
        for m in sans:
            failures.append(
                f"{m.prenom} {m.nom} : indiquez son collège (employeurs ou salariés) — jury paritaire."
            )
        if not employeurs or not salaries or len(employeurs) != len(salaries):
            failures.append(
                f"Jury paritaire : {len(employeurs)} membre(s) du collège employeurs et {len(salaries)} du collège "
                "salariés ; il en faut autant de chaque côté, au moins un."
            )
        if president and president.college != "employeur":
            failures.append(
                f"Le président ({president.prenom} {president.nom}) doit appartenir au collège employeurs."
            )
    for m in voting:
        # Seed 004: « pendant une durée minimale d'un an » — exactly 1 year is enough.
        if rules.annees_metier_min is not None and Decimal(m.annees_metier) < rules.annees_metier_min:
            failures.append(
                f"{m.prenom} {m.nom} : {_years(m.annees_metier)} d'exercice du métier cible, "
                f"au moins {_years(rules.annees_metier_min)} exigé."
            )
        # Seed 004: « ne pas être en inactivité depuis plus de 3 ans » — exactly 3 years still sits.
        if (
            rules.inactivite_max_annees is not None
            and Decimal(m.annees_inactivite) > rules.inactivite_max_annees
        ):
            failures.append(
                f"{m.prenom} {m.nom} : inactif depuis {_years(m.annees_inactivite)}, "
                f"au plus {_years(rules.inactivite_max_annees)} admis."
            )
    tuteurs = {e.strip().lower() for e in tuteur_emails if e}
    for m in members:
        if m.conflit_interets.strip():
            failures.append(
                f"{m.prenom} {m.nom} : conflit d'intérêts déclaré ({m.conflit_interets.strip()})."
            )
        if m.email.lower() in tuteurs:
            failures.append(
                f"{m.prenom} {m.nom} est le tuteur d'un candidat de ce jury : conflit d'intérêts."
            )
    return failures


def _years(value) -> str:
    value = Decimal(value)
    text = (
        str(int(value))
        if value == value.to_integral_value()
        else format(value.normalize(), "f").replace(".", ",")
    )
    return f"{text} an{'s' if value >= 2 else ''}"
