"""Signers are who they say (issue 13, point 6): signing with a second factor has the same
attempt limit as login (ACCOUNT_RATE_LIMITS « login_failed »: 5 per 5 minutes); each failure
is audited; after the limit even the right code is refused until the lock expires."""

import pytest

from core.errors import ApplicationError
from juries import services
from juries.models import Decision, Signature
from organisations.models import AuditEvent
from tests.juries.conftest import totp_code
from tests.juries.test_deliberation import sitting  # noqa: F401 - fixture


def test_wrong_codes_lock_signing_and_every_failure_is_audited(sitting, panel):  # noqa: F811
    jury = sitting
    for d in Decision.objects.filter(jury=jury):
        services.decision_record(decision=d, by=panel["pro1@test.local"][0], accept=True)
    pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    membership, secret = panel["pro1@test.local"]
    right = totp_code(secret)
    wrong = "000000" if right != "000000" else "111111"
    for _attempt in range(services.SIGN_MAX_FAILURES):
        with pytest.raises(ApplicationError, match="Code de vérification invalide"):
            services.proces_verbal_sign(proces_verbal=pv, by=membership, code=wrong, ip="203.0.113.7")
    assert AuditEvent.objects.filter(action="jury.sign_failed", actor=membership.user).count() == 5
    with pytest.raises(ApplicationError, match="la signature est bloquée"):
        services.proces_verbal_sign(proces_verbal=pv, by=membership, code=right, ip="203.0.113.7")
    assert not Signature.objects.filter(proces_verbal=pv).exists()
    # Another member is not locked by someone else's failures.
    other, other_secret = panel["pro2@test.local"]
    services.proces_verbal_sign(proces_verbal=pv, by=other, code=totp_code(other_secret), ip="203.0.113.7")
    assert Signature.objects.filter(proces_verbal=pv).count() == 1
