"""A published jury in centre A: « Admis » certified, « Partiel » partly validated, both with an
e-mail on their dossier; the jury's documents requested and the parchemin rendered."""

import pytest

from candidates import services as cs
from juries import services as js
from juries.models import Decision
from organisations.tenancy import tenant_context
from tests.juries.conftest import (  # noqa: F401 - fixtures
    JURY_DATE,
    compose_rncp,
    grade_rncp,
    in_a,
    panel,
    ready_dossier,
    referentiels,
    sign_all,
)

PARTIAL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (20, 40),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}


def build_jury(alice, rncp, panel, *, publish=True):  # noqa: F811
    jury = js.jury_create(by=alice, referentiel=rncp, intitule="Jury juin 2026", date=JURY_DATE, lieu="Lyon")
    compose_rncp(jury)
    admis = ready_dossier(alice, rncp, nom_naissance="Admis", prenom1="Léa", email="lea.admis@test.local")
    partiel = ready_dossier(
        alice,
        rncp,
        nom_naissance="Partiel",
        prenom1="Paul",
        civilite="M",
        sexe="M",
        email="paul.partiel@test.local",
        grade=lambda d, by: grade_rncp(d, by, blocs=PARTIAL, ecrit=40),
    )
    js.jury_dossiers_add(jury=jury, by=alice, dossiers=[admis, partiel])
    js.jury_open(jury=jury, by=alice)
    pro = panel["pro1@test.local"][0]
    for d in Decision.objects.filter(jury=jury):
        js.decision_record(decision=d, by=pro, accept=True)
    pv = js.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    sign_all(pv, panel)
    jury.refresh_from_db()
    if publish:
        js.jury_results_publish(jury=jury, by=alice)
    admis.refresh_from_db()
    partiel.refresh_from_db()
    return jury, admis, partiel


@pytest.fixture
def sitting(in_a, alice, referentiels, panel):  # noqa: F811
    return build_jury(alice, referentiels["rncp"], panel, publish=False)


def invite(org, candidate, by):
    from espace_candidat.services import candidate_invite

    with tenant_context(org):
        return candidate_invite(candidate=candidate, by=by)


__all__ = ["cs"]
