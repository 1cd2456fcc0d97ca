"""Idempotency under retries and twin deliveries: CDC declarations, e-mails, the stuck-documents sweep.

Twin deliveries are run for real, in two threads with their own database connections, paused
at the worst moment (after the selection / inside the send) so that the second one starts
before the first commits.
"""

import datetime as dt
import threading
import time

import pytest
from django.core import mail
from django.db import connection

from certificateur import accrochage, cdc
from certificateur.models import CdcFlux, CdcPassage
from core.errors import ApplicationError
from documents.models import IssuedDocument
from organisations.models import Invitation
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.documents.conftest import issue

pytestmark = [pytest.mark.django_db(transaction=True)]


def _twins(target, n=2):
    """Run ``target`` in ``n`` threads at once; return what each returned or raised."""
    results: list = [None] * n

    def run(i):
        try:
            results[i] = target()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_cdc_declaration_twice_never_sends_a_passage_twice(world, cci_user, monkeypatch):
    certificateur = world["cci"]
    with tenant_context(certificateur):
        accrochage.cdc_compte_save(
            certificateur=certificateur, by=cci_user, id_client="CCIFR001", id_contrat="C-1"
        )
        accrochage.cdc_passages_sync(certificateur=certificateur)
        selectable = CdcPassage.objects.filter(etat__in=accrochage.SELECTABLE).count()
    assert selectable >= 2

    # Two declarations at once (double click, two staff members): both select, then build.
    barrier = threading.Barrier(2, timeout=20)
    build = cdc.build_flux

    def build_after_both_selected(*args, **kwargs):
        barrier.wait()
        return build(*args, **kwargs)

    monkeypatch.setattr(cdc, "build_flux", build_after_both_selected)

    def declare():
        with tenant_context(certificateur):
            return accrochage.cdc_flux_create(certificateur=certificateur, by=cci_user)

    results = _twins(declare)
    fluxes = [r for r in results if isinstance(r, tuple)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(fluxes) == 1 and len(errors) == 1, results
    assert isinstance(errors[0], ApplicationError) and "autre envoi" in errors[0].message
    monkeypatch.setattr(cdc, "build_flux", build)

    with tenant_context(certificateur):
        assert CdcFlux.objects.count() == 1
        flux = CdcFlux.objects.get()
        passages = list(CdcPassage.objects.filter(flux__isnull=False))
        assert len(passages) == flux.nb_passages
        assert all(p.nb_envois == 1 and p.etat == "declare" for p in passages)
        # The same declaration once more: nothing left to send, nothing duplicated.
        with pytest.raises(ApplicationError, match="Aucun passage déclarable"):
            accrochage.cdc_flux_create(certificateur=certificateur, by=cci_user)
        # Sync again: no duplicate passage for the same holders.
        assert accrochage.cdc_passages_sync(certificateur=certificateur)["created"] == 0
        assert CdcPassage.objects.count() == len({p.dossier_public_id for p in CdcPassage.objects.all()})
        # Accepted by the CDC → never selected again.
        first = passages[0]
        CdcPassage.objects.filter(pk=first.pk).update(etat="accepte")
        CdcPassage.objects.filter(flux=flux).exclude(pk=first.pk).update(etat="rejete")
        again, _ = accrochage.cdc_flux_create(certificateur=certificateur, by=cci_user)
        assert first.pk not in set(again.passages.values_list("pk", flat=True))
        assert CdcPassage.objects.get(pk=first.pk).nb_envois == 1


def test_invitation_task_run_twice_or_retried_sends_one_email(org_a, member_factory, monkeypatch):
    from organisations import tasks
    from organisations.services import invitation_create

    admin_a = member_factory(org_a, Role.ADMIN, "admin@test.local")
    with tenant_context(org_a):
        invitation = invitation_create(email="nouvelle@test.local", role=Role.GESTIONNAIRE, by=admin_a)
    assert len(mail.outbox) == 1  # sent on commit (eager)
    with tenant_context(org_a):
        assert Invitation.objects.get(pk=invitation.pk).sent_at is not None
    kwargs = {"organisation_id": org_a.pk, "invitation_id": invitation.pk, "url": "https://x/i"}

    # Delivered again (late ack after a lost worker, a retry): nothing more.
    tasks.invitation_send.apply(kwargs=kwargs)
    assert len(mail.outbox) == 1

    # Two deliveries at once, the first one slow to send: the row lock makes the second wait.
    with tenant_context(org_a):
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)
    mail.outbox.clear()
    send = tasks.send_mail

    def slow_send(*args, **kw):
        time.sleep(0.5)
        return send(*args, **kw)

    monkeypatch.setattr(tasks, "send_mail", slow_send)
    results = _twins(lambda: tasks.invitation_send.apply(kwargs=kwargs).get())
    assert results == [None, None]
    assert len(mail.outbox) == 1

    # A failed send (SMTP down) is not marked: the retry sends it, once.
    with tenant_context(org_a):
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)
    mail.outbox.clear()
    failures = iter([OSError("SMTP indisponible")])

    def flaky_send(*args, **kw):
        for exc in failures:
            raise exc
        return send(*args, **kw)

    monkeypatch.setattr(tasks, "send_mail", flaky_send)
    monkeypatch.setattr(tasks.invitation_send, "retry_backoff", False)
    tasks.invitation_send.apply(kwargs=kwargs, throw=False)
    tasks.invitation_send.apply(kwargs=kwargs)
    assert len(mail.outbox) == 1


def test_convocation_task_delivered_twice_sends_one_email(org_a, alice, referentiels, monkeypatch):
    from evaluations import services
    from evaluations.models import Convocation
    from evaluations.tasks import convocation_deliver
    from tests.evaluations.conftest import inscribed_dossier

    with tenant_context(org_a):
        ref = referentiels["cqpm"]
        session = services.session_create(by=alice, referentiel=ref, intitule="Idem", lieu="Paris")
        epreuve = services.epreuve_create(
            session=session,
            by=alice,
            intitule="Soutenance",
            date=dt.date.today() + dt.timedelta(days=40),
            heure_debut=dt.time(9),
            duree_minutes=60,
            capacites=[ref.capacites.first().code],
        )
        dossier = inscribed_dossier(alice, ref, email="lea@example.org")
        services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
        [convocation] = services.convocations_send(epreuve=epreuve, by=alice)
    assert len(mail.outbox) == 1
    kwargs = {"organisation_id": org_a.pk, "convocation_id": convocation.pk}
    convocation_deliver.apply(kwargs=kwargs)
    results = _twins(lambda: convocation_deliver.apply(kwargs=kwargs).get())
    assert results == ["sent", "sent"]
    assert len(mail.outbox) == 1
    with tenant_context(org_a):
        assert Convocation.objects.get(pk=convocation.pk).attempts == 1


def test_sweep_re_enqueues_only_documents_stuck_long_enough(org_a, org_b, monkeypatch):
    from django.utils import timezone

    from documents import tasks
    from organisations.models import Organisation

    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    stuck_pending = issue(org_a, cci, key="s1", holder="Stuck Pending", group="g")
    stuck_rendering = issue(org_a, cci, key="s2", holder="Stuck Rendering", group="g")
    fresh = issue(org_a, cci, key="s3", holder="Fresh Pending", group="g")
    other_org = issue(org_b, cci, key="s4", holder="Other Centre", group="g")
    old = timezone.now() - dt.timedelta(hours=1)
    with tenant_context(org_a):
        IssuedDocument.objects.filter(pk=stuck_pending.pk).update(updated_at=old)
        IssuedDocument.objects.filter(pk=stuck_rendering.pk).update(
            status="rendering", attempts=1, updated_at=old
        )
    with tenant_context(org_b):
        IssuedDocument.objects.filter(pk=other_org.pk).update(updated_at=old)

    sent = []
    monkeypatch.setattr(
        tasks.document_render_task,
        "apply_async",
        lambda kwargs, **_: sent.append((kwargs["organisation_id"], kwargs["document_id"])),
    )
    assert tasks.documents_stale_dispatch.delay().get() == Organisation.objects.filter(is_active=True).count()
    assert sorted(sent) == sorted(
        [(org_a.pk, stuck_pending.pk), (org_a.pk, stuck_rendering.pk), (org_b.pk, other_org.pk)]
    )
    # The sweep touched them: the next one, right after, leaves them alone (no duplicate flood).
    sent.clear()
    tasks.documents_stale_dispatch.delay()
    assert sent == []
    assert fresh.pk not in {pk for _, pk in sent}
