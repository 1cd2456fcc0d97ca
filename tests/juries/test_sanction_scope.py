"""The fraud sanction's reach (seed 004) across centres, certifications and retakes.

« Tout candidat dont la fraude est avérée voit sa session d'examen invalidée, il ne valide aucun
bloc. Pour obtenir la validation totale ou partielle du titre il devra, après un délai de carence
de 6 mois, repasser l'ensemble des évaluations de blocs à la prochaine session. »
The sanction is the certificateur's: another centre (another tenant, under row-level security)
inscribing the same person to any of that certificateur's certifications is refused and learns
only « inscription impossible : sanction en cours »; another certificateur's are not concerned; a
retake or a new dossier inscribed before the 6 months are over (or dated within them) is refused.
"""

import datetime as dt
import json

import pytest
from django.utils import timezone

from candidates import services as cs
from candidates.models import Dossier
from core.dates import add_months
from core.errors import ApplicationError
from juries.models import Sanction
from juries.sanctions import REFUS, fraude_statuer
from organisations.tenancy import tenant_context
from referentiels.seeds import seed_path
from referentiels.services import habilitation_grant, referentiel_import, referentiel_publish
from tests.conftest import make_member
from tests.evaluations.conftest import IDENTITY
from tests.juries.test_sanctions import _suspected

S = Dossier.Status


def _brouillon(by, ref, **fields):
    """A new dossier of the same person (accents and case aside), still a brouillon."""
    candidate = cs.candidate_create(by=by, **(IDENTITY | {"nom_naissance": "DURAND", "prenom1": "Lea"}))
    return cs.dossier_create(
        by=by, candidate=candidate, referentiel=ref, voie_acces=Dossier.VoieAcces.APPRENTISSAGE, **fields
    )


def _blockers(dossier):
    return cs.dossier_transition_blockers(dossier=dossier, to=S.INSCRIT)


@pytest.fixture
def other_cci(referentiels):
    """A second certification of the same certificateur (CCI France)."""
    doc = json.loads(seed_path("rncp36390.json").read_text(encoding="utf-8"))
    doc["code"] = "RNCP36391"
    ref = referentiel_import(doc=doc, certificateur=referentiels["rncp"].certificateur)
    referentiel_publish(referentiel=ref, by=referentiels["rncp"].certificateur)
    return ref


def test_another_centre_is_refused_for_any_certification_of_the_certificateur(
    org_a, org_b, alice, referentiels, other_cci
):
    rncp, cqpm = referentiels["rncp"], referentiels["cqpm"]
    with tenant_context(org_a):
        dossier = _suspected(alice, rncp)
        fraude_statuer(dossier=dossier, by=alice, nature="fraude", motif="Avéré", day=timezone.localdate())
    for ref, certificateur in ((other_cci, rncp.certificateur), (cqpm, cqpm.certificateur)):
        habilitation_grant(
            certificateur=certificateur, centre=org_b, code=ref.code, date_debut=dt.date(2024, 1, 1)
        )
    bob = make_member(org_b, "gestionnaire")
    with tenant_context(org_b):
        # centre B sees no row of centre A (RLS) — the check reads the certificateur's sanction
        assert not Dossier.objects.filter(pk=dossier.pk).exists()
        other = _brouillon(bob, other_cci)
        assert REFUS in _blockers(other)
        with pytest.raises(ApplicationError) as exc:
            cs.dossier_transition(dossier=other, to=S.INSCRIT, by=bob)
        assert "Inscription impossible : sanction en cours" in exc.value.message
        assert "Avéré" not in exc.value.message and "Centre A" not in exc.value.message  # nothing else
        other.refresh_from_db()
        assert other.status == S.BROUILLON  # nothing written
        # another certificateur's certification is not concerned
        uimm = _brouillon(bob, cqpm)
        assert REFUS not in _blockers(uimm)


@pytest.mark.parametrize(
    ("months_ago", "days_more", "refused"),
    [
        (6, -1, True),  # the 6 months end tomorrow: still in the carence
        (6, 0, False),  # exactly 6 months: « après un délai de carence de 6 mois », over
        (7, 0, False),
    ],
)
def test_a_new_inscription_waits_for_the_end_of_the_carence(
    org_a, alice, referentiels, in_a, months_ago, days_more, refused
):
    rncp = referentiels["rncp"]
    today = timezone.localdate()
    day = add_months(today, -months_ago) + dt.timedelta(days=-days_more)
    dossier = _suspected(alice, rncp)
    sanction = fraude_statuer(dossier=dossier, by=alice, nature="fraude", motif="Avéré", day=day)
    assert sanction.fin == add_months(day, 6)
    again = _brouillon(alice, rncp, date_inscription=today)
    assert (REFUS in _blockers(again)) is refused


def test_an_inscription_dated_within_the_carence_is_refused_after_it(in_a, alice, referentiels):
    """Over today, the carence still covers an inscription back-dated into it."""
    rncp = referentiels["rncp"]
    today = timezone.localdate()
    day = add_months(today, -8)  # the carence ran from 8 to 2 months ago
    dossier = _suspected(alice, rncp)
    fraude_statuer(dossier=dossier, by=alice, nature="fraude", motif="Avéré", day=day)
    assert REFUS in _blockers(_brouillon(alice, rncp, date_inscription=add_months(today, -3)))
    assert REFUS not in _blockers(_brouillon(alice, rncp, date_inscription=add_months(today, -2)))


def test_a_retake_after_a_proven_fraud_waits_for_the_carence(in_a, alice, referentiels):
    """A redoublement of the person's dossier while the certificateur's sanction runs (the jury's,
    recorded as ``fraude_statuer`` does): opened as a brouillon, inscribed only once it is over."""
    from tests.evaluations.test_parcours_seed004 import _partiel

    first = _partiel(alice, referentiels["rncp"])
    today = timezone.localdate()
    from juries.sanctions import identite_hash

    sanction = Sanction.objects.create(
        certificateur_id=first.referentiel.certificateur_id,
        identite=identite_hash(first.candidate),
        nature=Sanction.Nature.FRAUDE,
        debut=today - dt.timedelta(days=30),
        fin=add_months(today - dt.timedelta(days=30), 6),
        centre_id=first.organisation_id,
        dossier_public_id=first.public_id,
    )
    retake = cs.dossier_rattrapage_open(dossier=first, by=alice, reprise="redoublement")
    assert retake.status == S.BROUILLON
    with pytest.raises(ApplicationError, match="Inscription impossible : sanction en cours"):
        cs.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    retake.refresh_from_db()
    assert retake.status == S.BROUILLON
    Sanction.objects.filter(pk=sanction.pk).update(debut=add_months(today, -6), fin=today)  # over
    assert REFUS not in _blockers(retake)
