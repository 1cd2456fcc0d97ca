"""Issue 20: « confirm or correct their identity data before the jury (a correction request goes
to the centre, never edits a signed document) ». Once the jury has signed for the candidate's
dossier, the pre-jury path is closed: the request is refused with the reason (a correction of a
signed document goes through the centre's re-issue — civil-status correction), the page shows the
data read-only and explains it, and requests still pending when the jury signs are closed with
that reason."""

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import ApplicationError
from espace_candidat import services
from espace_candidat.models import CandidateAccess, IdentityCorrection
from juries import services as js
from juries.models import Decision
from tests.espace_candidat.conftest import invite
from tests.juries.conftest import JURY_DATE, compose_rncp, ready_dossier, sign_all


def _closed_deliberation(alice, rncp, panel, nom):
    """A jury whose deliberation is closed (its PV awaits the signatures), one candidate."""
    jury = js.jury_create(by=alice, referentiel=rncp, intitule=f"Jury {nom}", date=JURY_DATE, lieu="Lyon")
    compose_rncp(jury)
    dossier = ready_dossier(alice, rncp, nom_naissance=nom, prenom1="Léa", email=f"{nom.lower()}@test.local")
    js.jury_dossiers_add(jury=jury, by=alice, dossiers=[dossier])
    js.jury_open(jury=jury, by=alice)
    for d in Decision.objects.filter(jury=jury):
        js.decision_record(decision=d, by=panel["pro1@test.local"][0], accept=True)
    pv = js.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    return jury, dossier, pv


def _client_of(org, candidate, alice):
    invite(org, candidate, alice)
    client = Client()
    client.force_login(CandidateAccess.objects.get(candidate=candidate).user)
    return client


def test_pending_request_is_closed_with_its_reason_when_the_jury_signs(in_a, alice, referentiels, panel):
    jury, dossier, pv = _closed_deliberation(alice, referentiels["rncp"], panel, "Martin")
    candidate = dossier.candidate
    correction = services.identity_request(
        candidate=candidate, by=alice, changes={"naissance_commune": "Ajaccio (Corse-du-Sud)"}
    )
    assert correction.status == IdentityCorrection.Status.EN_ATTENTE
    sign_all(pv, panel)
    correction.refresh_from_db()
    assert correction.status == IdentityCorrection.Status.CLOSE and correction.decided_at
    assert "a signé la délibération" in correction.reponse
    assert "ré-édition" in correction.reponse and "correction d'état civil" in correction.reponse
    candidate.refresh_from_db()
    assert candidate.naissance_commune == "Ajaccio"  # nothing applied
    with pytest.raises(ApplicationError, match="déjà été traitée"):
        services.identity_decide(correction=correction, by=alice, apply=True)


def test_after_the_signature_the_request_is_refused_and_nothing_is_written(
    in_a, alice, referentiels, panel, org_a
):
    jury, dossier, pv = _closed_deliberation(alice, referentiels["rncp"], panel, "Martin")
    sign_all(pv, panel)
    candidate = dossier.candidate
    with pytest.raises(ApplicationError, match="correction d'état civil"):
        services.identity_request(candidate=candidate, by=alice, changes={"prenom1": "Lea"})
    with pytest.raises(ApplicationError, match="a signé la délibération"):
        services.identity_request(candidate=candidate, by=alice, changes={})  # nor a confirmation
    assert not IdentityCorrection.objects.exists()

    client = _client_of(org_a, candidate, alice)
    url = reverse("espace_identity", kwargs={"org_slug": org_a.slug})
    page = client.get(url).content.decode()
    assert f"Le jury « Jury Martin » du {JURY_DATE:%d/%m/%Y} a signé la délibération" in page
    assert "ré-édition que votre centre demande (correction d&#x27;état civil)" in page
    assert "Confirmer ou envoyer ma correction" not in page  # no form: the data read-only
    assert "MARTIN" in page.upper() and "Léa" in page
    form = client.get(url).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    response = client.post(url, data | {"prenom1": "Lea"})
    assert response.status_code == 400 and "a signé la délibération" in response.content.decode()
    assert not IdentityCorrection.objects.exists()
    dossier_page = client.get(
        reverse("espace_dossier", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    ).content.decode()
    assert "Le jury a signé" in dossier_page and "Voir mon identité" in dossier_page


def test_another_jurys_candidate_keeps_the_pre_jury_path(in_a, alice, referentiels, panel, org_a):
    jury, dossier, pv = _closed_deliberation(alice, referentiels["rncp"], panel, "Martin")
    other = ready_dossier(alice, referentiels["rncp"], nom_naissance="Durand", email="durand@test.local")
    pending = services.identity_request(candidate=other.candidate, by=alice, changes={"prenom1": "Zoé"})
    sign_all(pv, panel)
    pending.refresh_from_db()
    assert pending.status == IdentityCorrection.Status.EN_ATTENTE  # not a candidate of that jury
    client = _client_of(org_a, other.candidate, alice)
    page = client.get(reverse("espace_identity", kwargs={"org_slug": org_a.slug})).content.decode()
    assert "Confirmer ou envoyer ma correction" in page
