"""Composition rules at their boundaries (seed 004 §7, CQPM jury paritaire): pure functions, no database."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from juries.rules import CQPM, RNCP36390, composition_failures


def member(nom, role, **extra):
    fields = {
        "prenom": "Alex",
        "nom": nom,
        "email": f"{nom.lower()}@test.local",
        "role": role,
        "college": "",
        "personnalite_qualifiee": False,
        "a_forme_candidats": False,
        "annees_metier": Decimal(5),
        "annees_inactivite": Decimal(0),
        "conflit_interets": "",
    }
    return SimpleNamespace(**(fields | extra))


def rncp_panel(**pro2):
    return [
        member("Garnier", "president", personnalite_qualifiee=True),
        member("Lambert", "professionnel"),
        member("Haddad", "professionnel", **pro2),
        member("Petit", "representant"),
    ]


@pytest.mark.parametrize(
    ("inactivite", "sits"),
    [("0", True), ("2.9", True), ("3", True), ("3.1", False), ("4", False)],
)
def test_inactivity_of_exactly_three_years_still_sits(inactivite, sits):
    """« ne pas être en inactivité depuis plus de 3 ans »: 3 years allowed, beyond refused."""
    failures = composition_failures(RNCP36390, rncp_panel(annees_inactivite=Decimal(inactivite)))
    assert (failures == []) is sits, failures
    if not sits:
        assert any("Haddad" in f and "inactif" in f and "au plus 3 ans" in f for f in failures)


@pytest.mark.parametrize(("annees", "sits"), [("0.9", False), ("1", True), ("1.5", True)])
def test_one_year_in_the_job_is_the_minimum(annees, sits):
    """« exercé ou encadré les métiers cibles pendant une durée minimale d'un an »: exactly 1 year sits."""
    failures = composition_failures(RNCP36390, rncp_panel(annees_metier=Decimal(annees)))
    assert (failures == []) is sits, failures
    if not sits:
        assert any("0,9 an d'exercice" in f and "au moins 1 an" in f for f in failures)


def cqpm_panel(*colleges, president="employeur"):
    return [member("Pres", "president", college=president)] + [
        member(f"M{i}", "professionnel", college=c) for i, c in enumerate(colleges)
    ]


def test_cqpm_jury_paritaire_balanced_and_chaired_by_an_employer_sits():
    assert composition_failures(CQPM, cqpm_panel("salarie")) == []
    assert composition_failures(CQPM, cqpm_panel("employeur", "salarie", "salarie")) == []
    # an observer has no voice: not counted in the balance
    panel = cqpm_panel("salarie") + [member("Obs", "observateur", college="employeur")]
    assert composition_failures(CQPM, panel) == []


@pytest.mark.parametrize(
    ("panel", "expected"),
    [
        (cqpm_panel("employeur"), "2 membre(s) du collège employeurs et 0 du collège salariés"),
        (cqpm_panel("salarie", "salarie"), "1 membre(s) du collège employeurs et 2 du collège salariés"),
        (cqpm_panel("employeur", president="salarie"), "doit appartenir au collège employeurs"),
        (cqpm_panel("salarie", ""), "indiquez son collège"),
    ],
)
def test_cqpm_jury_paritaire_refusals(panel, expected):
    failures = composition_failures(CQPM, panel)
    assert any(expected in f for f in failures), failures
