"""Tasks carry their organisation and re-enter its scope; a real worker proves RLS holds there too."""

import json
import uuid

import pytest
from django.core.cache import cache

from organisations.models import AuditEvent
from organisations.services import audit_record
from organisations.tasks import isolation_probe
from organisations.tenancy import TenantError, tenant_context
from tests.conftest import wait_for
from tests.organisations.celery_probes import report_key, tenant_probe

REFUSED = {
    "error": "TenantError",
    "message": "La tâche tests.organisations.tenant_probe exige organisation_id : refusée.",
}


@pytest.mark.parametrize("kwargs", [{}, {"organisation_id": None}, {"organisation_id": 0}])
def test_tenant_task_refuses_to_run_without_organisation(db, kwargs):
    # The probe's own signature accepts anything: only TenantTask can refuse it.
    token = uuid.uuid4().hex
    with pytest.raises(TenantError, match="exige organisation_id"):
        tenant_probe.apply(kwargs={**kwargs, "token": token})
    with pytest.raises(TenantError, match="exige organisation_id"):
        tenant_probe.delay(**kwargs, token=token)  # eager, as in the unit tests: same refusal
    assert not (cache.get(report_key(token)) or {}).get("ran")  # the body never ran


def test_tenant_task_runs_in_the_scope_of_its_organisation(org_a):
    token = uuid.uuid4().hex
    tenant_probe.apply(kwargs={"organisation_id": org_a.pk, "token": token})
    assert cache.get(report_key(token)) == {
        "ran": True,
        "scope": org_a.pk,
        "db": str(org_a.pk),
        "role": "certif",
    }


def test_eager_task_runs_in_its_organisation(org_a, org_b):
    with tenant_context(org_b):
        audit_record(actor=None, action="b.secret")
    isolation_probe.delay(organisation_id=org_a.pk, model="organisations.AuditEvent")
    with tenant_context(org_a):
        probe = AuditEvent.objects.get(action="isolation.probe")
    assert json.loads(probe.message) == {"orm": [], "sql": []}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_sees_only_its_organisation(real_celery, org_a, org_b):
    with tenant_context(org_a):
        audit_record(actor=None, action="a.row")
    with tenant_context(org_b):
        audit_record(actor=None, action="b.row")
    isolation_probe.delay(organisation_id=org_a.pk, model="organisations.AuditEvent")

    def probe():
        with tenant_context(org_a):
            return AuditEvent.objects.filter(action="isolation.probe").first()

    found = wait_for(probe, timeout=30)
    assert json.loads(found.message) == {"orm": [org_a.pk], "sql": [org_a.pk]}
    with tenant_context(org_b):
        assert not AuditEvent.objects.filter(action="isolation.probe").exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_refuses_task_without_organisation(real_celery, org_a):
    # Sent by name without organisation_id, as a foreign client would: the worker's TenantTask
    # refuses it (the probe's signature would accept the call) and the probe body never runs.
    refused, accepted = uuid.uuid4().hex, uuid.uuid4().hex
    real_celery.send_task("tests.organisations.tenant_probe", kwargs={"token": refused})
    real_celery.send_task(
        "tests.organisations.tenant_probe", kwargs={"token": accepted, "organisation_id": org_a.pk}
    )

    assert wait_for(lambda: cache.get(report_key(refused)), timeout=30) == REFUSED
    assert wait_for(lambda: cache.get(report_key(accepted)), timeout=30) == {
        "ran": True,
        "scope": org_a.pk,
        "db": str(org_a.pk),
        "role": "certif",
    }


def test_wait_for_waits_for_the_state_and_fails_when_it_never_comes():
    calls = iter([None, 0, [], {"state": "done"}])
    assert wait_for(lambda: next(calls), timeout=5, interval=0.01) == {"state": "done"}
    with pytest.raises(AssertionError, match="Condition non atteinte"):
        wait_for(lambda: None, timeout=0.2, interval=0.01)
