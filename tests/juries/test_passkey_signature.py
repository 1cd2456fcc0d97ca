"""Signing with a passkey: an assertion that does not answer this session's challenge with one of
the member's passkeys is refused with a French message and signs nothing (the happy path runs in
Chromium with a virtual authenticator: tests/browser/test_passkeys.py)."""

import pytest
from allauth.core import context
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from core.errors import ApplicationError
from juries import services
from juries.models import Decision, Signature
from juries.passkeys import REFUSED
from tests.juries.conftest import JURY_DATE, compose_rncp, ready_dossier

FORGED = [
    "pas du json",
    "{}",
    '{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}',
    '{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": "e30", '
    '"authenticatorData": "AAAA", "signature": "AAAA"}}',
]


@pytest.fixture
def pv(in_a, alice, referentiels, panel):
    rncp = referentiels["rncp"]
    jury = services.jury_create(by=alice, referentiel=rncp, intitule="Jury", date=JURY_DATE, lieu="Lyon")
    compose_rncp(jury)
    services.jury_dossiers_add(
        jury=jury, by=alice, dossiers=[ready_dossier(alice, rncp, nom_naissance="Martin")]
    )
    services.jury_open(jury=jury, by=alice)
    for decision in Decision.objects.filter(jury=jury):
        services.decision_record(decision=decision, by=panel["pro1@test.local"][0], accept=True)
    return services.jury_close(jury=jury, by=panel["presidente@test.local"][0])


@pytest.mark.parametrize("credential", FORGED)
def test_a_forged_assertion_signs_nothing(pv, panel, credential):
    pro = panel["pro1@test.local"][0]
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request.user = pro.user
    with context.request_context(request), pytest.raises(ApplicationError) as exc:
        services.proces_verbal_sign(proces_verbal=pv, by=pro, code="", ip="203.0.113.7", passkey=credential)
    assert exc.value.message.startswith(REFUSED)
    assert not Signature.objects.filter(proces_verbal=pv).exists()
