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


def test_pv_prints_the_signing_accounts_own_names(sitting, panel):  # noqa: F811
    """Issue 13, point 6: the name on the PV is the account holder's own, not the name the
    gestionnaire typed when composing the jury."""
    from juries.documents import pv_context
    from tests.juries.conftest import sign_all

    jury = sitting
    pro1 = panel["pro1@test.local"][0].user
    pro1.first_name, pro1.last_name = "Marc-Antoine", "Lambert-Roy"  # the person's own account
    pro1.save(update_fields=["first_name", "last_name"])
    for d in Decision.objects.filter(jury=jury):
        services.decision_record(decision=d, by=panel["pro1@test.local"][0], accept=True)
    pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    assert "Marc-Antoine Lambert-Roy" in pv.contenu and "Marc Lambert" not in pv.contenu
    sign_all(pv, panel)
    jury.refresh_from_db()
    decisions = list(jury.decisions.select_related("dossier__candidate"))
    context = pv_context(jury, pv, decisions)
    signatures = {s["nom"] for s in context["signatures"]}
    accounts = {f"{m.user.first_name} {m.user.last_name}" for m, _ in panel.values()}
    assert signatures == accounts
    assert {m["nom"] for m in context["membres"]} == accounts


def test_a_jury_dated_next_month_cannot_deliberate_nor_sign_today(in_a, alice, referentiels, panel):
    """Issue 13, point 4: « a jury dated next month can deliberate, sign and issue today » no more."""
    import datetime as dt

    from django.utils import timezone

    from juries.models import Jury
    from tests.juries.conftest import compose_rncp, ready_dossier

    rncp = referentiels["rncp"]
    later = timezone.localdate() + dt.timedelta(days=30)
    jury = services.jury_create(by=alice, referentiel=rncp, intitule="Jury futur", date=later, lieu="Lyon")
    compose_rncp(jury)
    services.jury_dossiers_add(
        jury=jury, by=alice, dossiers=[ready_dossier(alice, rncp, nom_naissance="Futur")]
    )
    with pytest.raises(ApplicationError, match="impossible d'ouvrir la délibération avant cette date"):
        services.jury_open(jury=jury, by=alice)
    assert Jury.objects.get(pk=jury.pk).status == Jury.Status.COMPOSITION


def test_pv_and_documents_are_dated_by_the_last_signature(sitting, panel):  # noqa: F811
    from django.utils import timezone

    from documents.models import DocumentKind, IssuedDocument
    from juries.documents import jury_documents_issue
    from tests.juries.conftest import sign_all

    jury = sitting
    for d in Decision.objects.filter(jury=jury):
        services.decision_record(decision=d, by=panel["pro1@test.local"][0], accept=True)
    pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    sign_all(pv, panel)
    jury.refresh_from_db()
    jury_documents_issue(jury=jury)
    today = timezone.localdate()
    assert jury.date < today
    for doc in IssuedDocument.objects.filter(kind__in=[DocumentKind.PROCES_VERBAL, DocumentKind.PARCHEMIN]):
        assert doc.issued_on == today, doc  # the day of the last signature, never the planned date
