"""Tasks carry their organisation and re-enter its scope; a real worker proves RLS holds there too."""

import json

import pytest

from organisations.models import AuditEvent
from organisations.services import audit_record
from organisations.tasks import isolation_probe
from organisations.tenancy import TenantError, tenant_context
from tests.conftest import wait_for


def test_task_without_organisation_refuses_to_run(db):
    # Refused when enqueued (signature check) …
    with pytest.raises(TypeError, match="organisation_id"):
        isolation_probe.delay(model="organisations.AuditEvent")
    # … and by the base task when run anyway (eager mode goes through the same __call__).
    with pytest.raises(TenantError, match="exige organisation_id"):
        isolation_probe.apply(kwargs={"organisation_id": None, "model": "organisations.AuditEvent"})


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
    # Sent by name, as a foreign client would: the worker refuses it and writes nothing.
    real_celery.send_task("organisations.tasks.isolation_probe", kwargs={"model": "organisations.AuditEvent"})
    isolation_probe.delay(organisation_id=org_a.pk, model="organisations.AuditEvent")  # a marker sent after it

    def probes():
        with tenant_context(org_a):
            return AuditEvent.objects.filter(action="isolation.probe").count()

    assert wait_for(probes, timeout=30) == 1
