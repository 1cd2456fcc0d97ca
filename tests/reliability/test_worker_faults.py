"""Faults during a jury's document batch: a worker SIGKILLed, Redis restarted without persistence.

Both end the same way: every document exists once, ready, numbers unique and gap-free, one
stored file per document, seals valid. A killed pool child's task comes back through
``reject_on_worker_lost``; tasks lost with a whole worker (their messages sit unacknowledged
until the visibility timeout) or with Redis come back through the stuck-documents sweep.
"""

import hashlib
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection

from documents.models import IssuedDocument, private_storage
from documents.sealing import verify_seal
from documents.selectors import batch_progress
from documents.services import documents_render_batch
from documents.tasks import documents_stale_dispatch
from juries import services
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from tests.conftest import wait_for
from tests.documents.conftest import issue
from tests.juries.conftest import JURY_DATE, compose_rncp, ready_dossier, sign_all
from tests.reliability.conftest import redis_start_command, redis_up

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

N = 30  # documents of the Redis batch
N_JURY = 16  # parchemins of the jury (each dossier is graded through the services: ~3 s each here)


def _progress(org, group_key):
    with tenant_context(org):
        return batch_progress(group_key=group_key)


def _ready_count(org, group_key):
    return _progress(org, group_key)["ready"]


def _check_batch(org, group_key, expected: int):
    """Once each, ready, gap-free unique numbers, one distinct stored file each, seals valid."""
    with tenant_context(org):
        docs = list(IssuedDocument.objects.filter(group_key=group_key))
    assert len(docs) == expected
    assert {d.status for d in docs} == {"ready"}, [
        (d.pk, d.status, d.last_error) for d in docs if d.status != "ready"
    ]
    assert len({d.idempotency_key for d in docs}) == expected
    numbered = [d for d in docs if d.number]
    seq = sorted(int(d.number.rsplit("-", 1)[1]) for d in numbered)
    assert len(set(seq)) == len(seq) and seq == list(range(seq[0], seq[0] + len(seq)))
    names = [d.file.name for d in docs]
    assert len(set(names)) == expected
    storage = private_storage()
    digests = set()
    for d in docs:
        with storage.open(d.file.name, "rb") as fh:
            pdf = fh.read()
        assert hashlib.sha256(pdf).hexdigest() == d.sha256
        digests.add(d.sha256)
        if d.number:
            assert verify_seal(pdf, trust_cert_path=settings.SIGNING_CERT_PATH).valid, d.number
    assert len(digests) == expected  # no file stored twice under two rows
    return docs


def test_worker_sigkilled_mid_jury_batch_then_restarted(org_a, alice, referentiels, panel, fault_worker):
    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury panne", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        dossiers = [
            ready_dossier(alice, rncp, nom_naissance=f"Panne{i:02d}", prenom1="Léa") for i in range(N_JURY)
        ]
        services.jury_dossiers_add(jury=jury, by=alice, dossiers=dossiers)
        services.jury_open(jury=jury, by=alice)
        services.decisions_accept_all(jury=jury, by=panel["pro1@test.local"][0])
        pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    with tenant_context(org_a):
        sign_all(pv, panel)  # the last signature enqueues the issue task (→ 1 PV + N parchemins)
    group, total = jury.group_key, N_JURY + 1

    # 1. a pool process SIGKILLed while the batch renders: reject_on_worker_lost re-delivers.
    wait_for(lambda: _ready_count(org_a, group) >= 3, timeout=120, interval=0.05)
    fault_worker.kill_pool_child()
    # 2. the whole worker (main process and pool) SIGKILLed a little later.
    ready_before = wait_for(lambda: (n := _ready_count(org_a, group)) >= 8 and n, timeout=120, interval=0.05)
    fault_worker.kill_all()
    killed_at = time.monotonic()
    at_kill = _progress(org_a, group)
    assert at_kill["ready"] < total, "the batch ended before the kill: nothing was tested"

    # 3. a new worker; the sweep (beat, every 5 min in production) re-sends what the dead worker held.
    startup = fault_worker.start()
    documents_stale_dispatch.delay(stale_after_seconds=0)
    wait_for(
        lambda: _progress(org_a, group)["done"] and _ready_count(org_a, group) == total,
        timeout=180,
        interval=0.1,
    )
    recovery = time.monotonic() - killed_at

    docs = _check_batch(org_a, group, total)
    retried = sum(1 for d in docs if d.attempts > 1)
    print(
        f"\nworker SIGKILL: {ready_before}/{total} ready at the kill ({at_kill}); "
        f"new worker up in {startup:.1f}s; batch complete {recovery:.1f}s after the kill; "
        f"{retried} document(s) rendered more than once (attempts), 0 duplicates"
    )
    connection.close()


def test_redis_restarted_during_a_batch(org_a, fault_worker):
    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    group = "jury:redis"
    for i in range(N):
        issue(org_a, cci, key=f"redis:{i}", holder=f"Titulaire{i:02d} Redis", group=group)
    with tenant_context(org_a):
        documents_render_batch(group_key=group)
    wait_for(lambda: _ready_count(org_a, group) >= 3, timeout=120, interval=0.05)
    port = fault_worker.redis_port  # the fault tests' own Redis, not the one other suites share
    down_at = time.monotonic()
    try:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=10)
        wait_for(lambda: not redis_up(port), timeout=10, interval=0.05)
    finally:
        if not redis_up(port):
            subprocess.run(redis_start_command(port), check=False, timeout=20)
        wait_for(lambda: redis_up(port), timeout=20, interval=0.05)
    outage = time.monotonic() - down_at
    at_restart = _progress(org_a, group)
    # The broker unreachable is retryable (organisations.tasks.BROKER_ERRORS): whatever the timing
    # of the shutdown against the renders in flight, no document is failed for good by it.
    assert at_restart["failed"] == 0, at_restart

    fault_worker.wait_ready(timeout=60)  # the worker reconnects to the empty broker on its own
    reconnected = time.monotonic() - down_at
    # The queued and unacknowledged messages died with Redis: the sweep re-sends them.
    documents_stale_dispatch.delay(stale_after_seconds=0)
    wait_for(lambda: _ready_count(org_a, group) == N, timeout=180, interval=0.1)
    assert _progress(org_a, group)["failed"] == 0
    recovery = time.monotonic() - down_at
    _check_batch(org_a, group, N)
    print(
        f"\nRedis restart: down {outage:.2f}s with {at_restart['ready']}/{N} ready; worker back after "
        f"{reconnected:.1f}s; batch complete {recovery:.1f}s after the shutdown"
    )
    connection.close()
