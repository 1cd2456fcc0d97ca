"""Fixtures of the candidates tests: seed référentiels, habilitations, a candidate and dossiers."""

import datetime as dt

import pytest

from candidates import services
from candidates.models import Candidate, Dossier
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.services import habilitation_grant


@pytest.fixture(autouse=True)
def _candidates_guards_only(monkeypatch):
    """These tests exercise the candidates state machine alone: guards that later apps register
    through ``candidates.hooks`` (the evaluations readiness check) are set aside here; those
    apps' own tests cover them."""
    from candidates import hooks

    monkeypatch.setattr(hooks, "_GUARDS", {})


@pytest.fixture
def certificateurs(db):
    return {
        "cci": Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France"),
        "uimm": Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM"),
    }


@pytest.fixture
def rncp(certificateurs):
    return load_seed("rncp36390.json", certificateurs["cci"])


@pytest.fixture
def cqpm(certificateurs):
    return load_seed("cqpm-attache-gestion.json", certificateurs["uimm"])


@pytest.fixture
def habilitated(org_a, rncp, cqpm, certificateurs):
    """Centre A holds habilitations for RNCP36390 and the CQPM since 2024."""
    habilitation_grant(
        certificateur=certificateurs["cci"], centre=org_a, code="RNCP36390", date_debut=dt.date(2024, 1, 1)
    )
    habilitation_grant(
        certificateur=certificateurs["uimm"], centre=org_a, code=cqpm.code, date_debut=dt.date(2024, 1, 1)
    )
    return org_a


IDENTITY = {
    "civilite": "MME",
    "sexe": "F",
    "nom_naissance": "Durand",
    "prenom1": "Léa",
    "naissance_annee": 1998,
    "naissance_mois": 3,
    "naissance_jour": 14,
    "naissance_commune": "Ajaccio",
    "naissance_code_insee": "2A004",
    "naissance_pays_code": "FRA",
    "naissance_pays": "France",
    "email": "lea.durand@example.org",
}


def make_candidate(alice, **overrides) -> Candidate:
    return services.candidate_create(by=alice, **(IDENTITY | overrides))


def make_dossier(alice, referentiel, candidate=None, *, plan=True, **fields) -> Dossier:
    """A brouillon dossier; with ``plan`` every capacité gets its first allowed modalité."""
    candidate = candidate or make_candidate(alice)
    fields.setdefault("voie_acces", Dossier.VoieAcces.APPRENTISSAGE)
    fields.setdefault("date_inscription", dt.date(2025, 9, 1))
    dossier = services.dossier_create(by=alice, candidate=candidate, referentiel=referentiel, **fields)
    if plan:
        from candidates.selectors import dossier_grid

        grid = [row for row in dossier_grid(dossier=dossier) if row.vise]
        choices = {cr.capacite.pk: cr.allowed[0].pk for row in grid for cr in row.capacites}
        services.dossier_plan_update(
            dossier=dossier, by=alice, blocs=[row.bloc for row in grid], modalites=choices
        )
    return dossier


@pytest.fixture
def in_a(habilitated):
    with tenant_context(habilitated):
        yield habilitated
