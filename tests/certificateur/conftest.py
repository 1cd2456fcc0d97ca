"""The certificateur's world: two centres, two certificateurs, dossiers of both in both centres.

CCI France owns RNCP36390 (registered at the RNCP), UIMM a CQPM (not registered); centre A and centre B are habilitated for both. The
dossiers are written straight through the ORM in each centre's tenant context (the jury flow
that normally decides them is another app's business).
"""

import datetime as dt

import pytest

from candidates.models import Candidate, Dossier, DossierBloc
from organisations.models import Organisation
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.demo import DEMO_REGISTRATIONS, load_seed
from referentiels.services import enregistrement_set, habilitation_grant
from tests.conftest import make_member
from tests.juries.conftest import panel  # noqa: F401 - fixture (the jury tests' signing panel)

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


def make_dossier(
    org,
    referentiel,
    *,
    nom,
    decision="certifie",
    voie=Dossier.VoieAcces.APPRENTISSAGE,
    deliberation=dt.date(2025, 6, 20),
    blocs_acquis=None,
    **identity,
) -> Dossier:
    """A dossier in ``org`` (call inside its tenant_context); decision "" leaves it en_evaluation."""
    candidate = Candidate.objects.create(organisation=org, **(IDENTITY | {"nom_naissance": nom} | identity))
    dossier = Dossier.objects.create(
        organisation=org,
        candidate=candidate,
        referentiel=referentiel,
        voie_acces=voie,
        status=Dossier.Status.DELIBERE if decision else Dossier.Status.EN_EVALUATION,
        decision=decision,
        date_inscription=dt.date(2024, 9, 1),
        date_deliberation=deliberation if decision else None,
    )
    acquis = set(
        blocs_acquis
        if blocs_acquis is not None
        else ([b.code for b in referentiel.blocs.all()] if decision == "certifie" else [])
    )
    for bloc in referentiel.blocs.all():
        DossierBloc.objects.create(organisation=org, dossier=dossier, bloc=bloc, acquis=bloc.code in acquis)
    return dossier


@pytest.fixture
def world(org_a, org_b):
    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    uimm = Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")
    rncp = load_seed("rncp36390.json", cci)
    cqpm = load_seed("cqpm-attache-gestion.json", uimm)
    # RNCP36390's registration, as its certificateur enters it (the CQPM is not registered)
    enregistrement_set(referentiel=rncp, by=cci, **DEMO_REGISTRATIONS["RNCP36390"])
    for centre in (org_a, org_b):
        habilitation_grant(certificateur=cci, centre=centre, code=rncp.code, date_debut=dt.date(2024, 1, 1))
        habilitation_grant(certificateur=uimm, centre=centre, code=cqpm.code, date_debut=dt.date(2024, 1, 1))
    blocs = [b.code for b in rncp.blocs.all()]
    with tenant_context(org_a):
        a1 = make_dossier(org_a, rncp, nom="Alpha")
        a2 = make_dossier(org_a, rncp, nom="Bravo", voie=Dossier.VoieAcces.VAE)
        a3 = make_dossier(org_a, rncp, nom="Charlie", decision="partiel", blocs_acquis=blocs[:1])
        a4 = make_dossier(org_a, cqpm, nom="Delta")
    with tenant_context(org_b):
        b1 = make_dossier(org_b, rncp, nom="Echo", deliberation=dt.date(2024, 12, 5))
        b2 = make_dossier(org_b, rncp, nom="Foxtrot", decision="ajourne", deliberation=dt.date(2024, 12, 5))
        b3 = make_dossier(org_b, rncp, nom="Golf", decision="")
        b4 = make_dossier(org_b, cqpm, nom="Hotel")
    return {
        "cci": cci,
        "uimm": uimm,
        "rncp": rncp,
        "cqpm": cqpm,
        "cci_dossiers": [a1, a2, a3, b1, b2, b3],
        "uimm_dossiers": [a4, b4],
        "a1": a1,
        "b1": b1,
        "a4": a4,
    }


@pytest.fixture
def cci_user(world):
    return make_member(world["cci"], Role.CERTIFICATEUR, "staff@cci-france.test")


@pytest.fixture
def uimm_user(world):
    return make_member(world["uimm"], Role.CERTIFICATEUR, "staff@uimm.test")


# --- who issues and who signs (issue 13, point 1): RNCP36390 of CCI France, its staff ----------


@pytest.fixture
def rncp(org_a):
    """RNCP36390 of CCI France with its registration, centre A habilitated."""
    from referentiels.demo import DEMO_REGISTRATIONS, load_seed
    from referentiels.services import enregistrement_set, habilitation_grant

    cci = Organisation.objects.create(
        kind="certificateur", slug="cci-france", name="CCI France", ville="Paris"
    )
    ref = load_seed("rncp36390.json", cci)
    enregistrement_set(referentiel=ref, by=cci, **DEMO_REGISTRATIONS["RNCP36390"])
    habilitation_grant(certificateur=cci, centre=org_a, code="RNCP36390", date_debut=dt.date(2024, 1, 1))
    return ref


@pytest.fixture
def cci(rncp):
    return rncp.certificateur


@pytest.fixture
def staff(cci):
    return make_member(cci, Role.CERTIFICATEUR, "staff@cci-france.test")
