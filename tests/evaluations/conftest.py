"""Fixtures of the evaluations tests: centre A habilitated for RNCP36390 and a CQPM, dossiers in it."""

import datetime as dt

import pytest

from candidates import services as candidates_services
from candidates.models import Dossier
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.services import habilitation_grant

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
}


@pytest.fixture
def referentiels(org_a):
    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    uimm = Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")
    rncp = load_seed("rncp36390.json", cci)
    cqpm = load_seed("cqpm-attache-gestion.json", uimm)
    habilitation_grant(certificateur=cci, centre=org_a, code="RNCP36390", date_debut=dt.date(2024, 1, 1))
    habilitation_grant(certificateur=uimm, centre=org_a, code=cqpm.code, date_debut=dt.date(2024, 1, 1))
    return {"rncp": rncp, "cqpm": cqpm}


def inscribed_dossier(by, referentiel, **identity) -> Dossier:
    """A dossier moved to ``inscrit`` with every capacité planned on its first allowed modalité."""
    from candidates.selectors import dossier_grid

    candidate = candidates_services.candidate_create(by=by, **(IDENTITY | identity))
    dossier = candidates_services.dossier_create(
        by=by,
        candidate=candidate,
        referentiel=referentiel,
        voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
        date_inscription=dt.date(2025, 9, 1),
    )
    choices = {
        cr.capacite.pk: cr.allowed[0].pk
        for row in dossier_grid(dossier=dossier)
        if row.vise
        for cr in row.capacites
    }
    candidates_services.dossier_plan_update(dossier=dossier, by=by, blocs=None, modalites=choices)
    return candidates_services.dossier_transition(
        dossier=dossier, to=Dossier.Status.INSCRIT, by=by, reason="test"
    )


@pytest.fixture
def in_a(org_a, referentiels):
    with tenant_context(org_a):
        yield org_a
