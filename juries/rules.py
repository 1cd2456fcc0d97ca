"""Jury rules per référentiel: a jury's members checked against the référentiel's composition.

The rules are data carried by the référentiel version (``Referentiel.composition_jury``, typed by
:mod:`referentiels.jury_composition`, edited by the certificateur beside the règle, defaults per
family when absent); :func:`composition_failures` checks a jury against them and lists every
failure in French.

Sources: seed 004 (RNCP36390 règlement d'examen, §7 « le jury de certification » and « la
procédure d'habilitation du jury », §8 « divulgation des résultats »); the CQPM jury de
délibération is paritaire (collège employeurs / collège salariés, présidence employeur).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from referentiels.jury_composition import (
    CQPM,
    DEFAULT,
    RNCP36390,
    ROLE_LABELS,
    JuryComposition,
    composition_of,
)

#: The typed rules (the name the juries app has always used).
JuryRules = JuryComposition

__all__ = ["CQPM", "DEFAULT", "RNCP36390", "JuryRules", "composition_failures", "rules_for"]


def rules_for(referentiel) -> JuryRules:
    """The référentiel version's jury composition (its own data over its family's default)."""
    return composition_of(referentiel)


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
