"""A jury day (issue 19, point 5): ``BENCH_JURY_DOCS`` (default 5,000) parchemins and certificats de
bloc for one certificateur, issued and rendered by real Celery workers — 1 worker process, then 2.

Each run starts ``celery worker --pool=prefork --concurrency=N`` on a queue of its own (other runs
share the broker), with this module included (``-I``) for :func:`issue_batch`. The bench process
sends batches of requests; a worker process issues them through ``documents.services.
document_request`` (numbering under the certificateur's counter lock: two processes contend for
it) and each request enqueues, on commit, the platform's own ``document_render_task`` (render,
seal, private storage), which the same pool runs. The clock stops when every document is ready.

Reported: documents/s for 1 and 2 processes and the speed-up (target ≥ 1.8 ×); the worker
processes' CPU per document; each pool process's resident memory after its first 10 % of the
documents and at the end (target ±10 %); the numbering of each run, checked gap-free (1 … N,
no duplicate, counter = N) — the bench fails if it is not.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from celery import shared_task

from bench.core import Line
from organisations.tasks import TenantTask

ROOT = Path(__file__).resolve().parent.parent
N_DOCS = int(os.environ.get("BENCH_JURY_DOCS", 5000))
BATCH = 20  # requests per issuing task
WARMUP = 4  # documents per worker process before the clock starts (fonts, CSS, templates loaded)
CLK = os.sysconf("SC_CLK_TCK")


def _context(i: int, kind: str, code: str) -> dict:
    from bench.rendering import sample_document
    from documents.models import DocumentKind

    context = dict(sample_document().context)
    context["titulaire"] = f"Candidat {i:05d} Nom-de-famille"
    context["code_certification"] = code
    if kind == DocumentKind.CERTIFICAT_BLOC:
        context |= {
            "nature": "Certificat de bloc de compétences",
            "bloc_code": f"{code}BC02",
            "bloc_intitule": "Gérer les relations avec les clients et les fournisseurs",
        }
    return context


def _referentiel(certificateur, code: str) -> None:
    """The certification the documents name, with its bloc BC02 (a certificat de bloc must name a
    real bloc: the database refuses it otherwise)."""
    from referentiels.models import Bloc, Referentiel

    ref = Referentiel.objects.create(
        certificateur=certificateur,
        kind="RNCP",
        code=code,
        intitule="Assistant(e) de gestion (jour de jury)",
        certificateur_nom=certificateur.name,
        regle={"type": "tous_blocs"},
    )
    for n in (1, 2):
        Bloc.objects.create(referentiel=ref, code=f"{code}BC0{n}", intitule=f"Bloc {n}", order=n)


@shared_task(base=TenantTask, bind=True, name="bench.jury_day.issue_batch")
def issue_batch(
    self, *, organisation_id: int, certificateur_id: int, code: str, run: str, start: int, count: int
) -> int:
    """Issue ``count`` documents (3 parchemins for 1 certificat de bloc), each in its own
    transaction; their rendering is enqueued on commit (``document_render_task``)."""
    from django.db import transaction

    from documents.models import DocumentKind
    from documents.services import document_request
    from organisations.models import Organisation
    from organisations.tenancy import current_organisation

    organisation = current_organisation()
    certificateur = Organisation.objects.get(pk=certificateur_id)
    for i in range(start, start + count):
        kind = DocumentKind.CERTIFICAT_BLOC if i % 4 == 3 else DocumentKind.PARCHEMIN
        context = _context(i, kind, code)
        with transaction.atomic():
            document_request(
                organisation=organisation,
                kind=kind,
                certificateur=certificateur,
                idempotency_key=f"{run}:{i}",
                group_key=run,
                holder_name=context["titulaire"],
                title=context["intitule"],
                context=context,
            )
    return count


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except OSError:
        return 0.0


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _start_worker(processes: int, queue: str, files: str) -> subprocess.Popen:
    from config.celery import app

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.worker_test",  # real broker, not eager
        TEST_DATABASE_NAME=os.environ["DATABASE_URL"].rpartition("/")[2],
        TEST_DB_NAME=files,  # cache prefix and private file storage of this run
        TEST_CELERY_QUEUE=queue,  # the render tasks the worker enqueues land on its own queue
        PYTHONPATH=str(ROOT),
    )
    node = f"{queue}@{os.uname().nodename}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={processes}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-I",
            "bench.jury_day",
            "-Q",
            queue,
            "-n",
            node,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(ROOT / "var" / f"{queue}.log", "w") if (ROOT / "var").is_dir() else subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker stopped at start (var/{queue}.log)")
        if app.control.ping(destination=[node], timeout=1):
            return proc
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("celery worker did not answer")


def _send(
    queue: str, organisation_id: int, certificateur_id: int, code: str, run: str, first: int, count: int
) -> None:
    from config.celery import app

    for start in range(first, first + count, BATCH):
        app.send_task(
            "bench.jury_day.issue_batch",
            kwargs={
                "organisation_id": organisation_id,
                "certificateur_id": certificateur_id,
                "code": code,
                "run": run,
                "start": start,
                "count": min(BATCH, first + count - start),
            },
            queue=queue,
        )


def _ready(organisation, run: str) -> tuple[int, int]:
    from documents.models import IssuedDocument
    from organisations.tenancy import tenant_context

    with tenant_context(organisation):
        rows = IssuedDocument.objects.filter(group_key=run)
        return rows.filter(status=IssuedDocument.Status.READY).count(), rows.filter(
            status=IssuedDocument.Status.FAILED
        ).count()


def _wait(
    organisation, run: str, total: int, pool: list[int], timeout: float
) -> dict[int, list[tuple[int, float]]]:
    """Poll until ``total`` documents of ``run`` are ready; sample each pool process's RSS."""
    rss: dict[int, list[tuple[int, float]]] = {pid: [] for pid in pool}
    deadline = time.monotonic() + timeout
    while True:
        ready, failed = _ready(organisation, run)
        for pid in pool:
            rss[pid].append((ready, _rss_mib(pid)))
        if ready + failed >= total:
            if failed:
                raise RuntimeError(f"{failed} document(s) failed to render")
            return rss
        if time.monotonic() > deadline:
            raise RuntimeError(f"{ready}/{total} documents ready after {timeout:.0f} s")
        time.sleep(0.5)


def _gap_free(organisation, certificateur, expected: int) -> str:
    """Every number of the certificateur's counter given once, 1 … expected: else raise."""
    from documents.models import IssuedDocument, NumberSequence
    from organisations.tenancy import tenant_context

    with tenant_context(organisation):
        numbers = list(
            IssuedDocument.objects.filter(certificateur=certificateur).values_list("number", flat=True)
        )
    values = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    last = NumberSequence.objects.get(certificateur=certificateur).last_value
    assert values == list(range(1, expected + 1)) and last == expected, (
        f"numbering not gap-free: {len(values)} numbers, {len(set(values))} distinct, "
        f"range {values[:1]}…{values[-1:]}, counter {last}, expected 1…{expected}"
    )
    return f"{values[0]}…{values[-1]}"


def _run(processes: int, organisation, tag: str, code: str) -> dict:
    from organisations.models import Organisation

    certificateur = Organisation.objects.create(
        kind=Organisation.Kind.CERTIFICATEUR,
        slug=f"jury-day-{tag}-{processes}",
        name=f"Certificateur jour de jury {processes}",
    )
    queue = f"bench-jury-day-{os.getpid()}-{processes}"
    files = f"bench_jury_day_{os.getpid()}_{processes}"
    proc = _start_worker(processes, queue, files)
    try:
        pool = _children(proc.pid)
        warm = f"{queue}-warmup"
        _send(queue, organisation.pk, certificateur.pk, code, warm, 0, WARMUP * processes)
        _wait(organisation, warm, WARMUP * processes, pool, timeout=600)
        pool = _children(proc.pid)  # (a process replaced by max-memory-per-child shows here)
        cpu0 = sum(_cpu(pid) for pid in pool)
        run = f"{queue}-run"
        start = time.perf_counter()
        _send(queue, organisation.pk, certificateur.pk, code, run, WARMUP * processes, N_DOCS)
        rss = _wait(organisation, run, N_DOCS, pool, timeout=max(600, N_DOCS * 2.0))
        seconds = time.perf_counter() - start
        after = _children(proc.pid)
        cpu = sum(_cpu(pid) for pid in after) - cpu0
        numbering = _gap_free(organisation, certificateur, WARMUP * processes + N_DOCS)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(ROOT / "var" / "test-files" / files, ignore_errors=True)
    memory = {}
    for pid, samples in rss.items():
        live = [(done, mib) for done, mib in samples if mib]
        early = next((mib for done, mib in live if done >= N_DOCS // 10), None)
        if early and live:
            memory[pid] = (early, live[-1][1])
    return {
        "seconds": seconds,
        "cpu": cpu,
        "memory": memory,
        "replaced": sorted(set(after) - set(pool)),
        "numbering": numbering,
    }


def bench_jury_day() -> list[Line]:
    from organisations.models import Organisation

    tag = f"{os.getpid()}"
    organisation = Organisation.objects.create(
        kind=Organisation.Kind.CENTRE, slug=f"jury-day-centre-{tag}", name="Centre du jour de jury"
    )
    code = f"RNCP8{os.getpid() % 1_000_000:06d}"
    _referentiel(
        Organisation.objects.create(
            kind=Organisation.Kind.CERTIFICATEUR, slug=f"jury-day-ref-{tag}", name="Certificateur du titre"
        ),
        code,
    )
    one = _run(1, organisation, tag, code)
    two = _run(2, organisation, tag, code)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    speedup = one["seconds"] / two["seconds"]
    lines = []
    tput = Line(
        f"jury day: {N_DOCS} documents by Celery, 2 processes vs 1",
        "x",
        [speedup],
        target="≥ 1.8 ×",
        note=f"1 proc {N_DOCS / one['seconds']:.1f}/s ({one['cpu'] / N_DOCS * 1000:.0f} ms CPU/doc), "
        f"2 procs {N_DOCS / two['seconds']:.1f}/s ({two['cpu'] / N_DOCS * 1000:.0f} ms CPU/doc); "
        f"load avg {load} on {os.cpu_count()} cores",
        extra={"one": one["seconds"], "two": two["seconds"], "cpu_one": one["cpu"], "cpu_two": two["cpu"]},
    )
    tput.passed = speedup >= 1.8
    lines.append(tput)
    for label, result in (("1 process", one), ("2 processes", two)):
        ratios = [end / early for early, end in result["memory"].values()]
        worst = max(ratios, key=lambda r: abs(r - 1)) if ratios else float("nan")
        mem = Line(
            f"jury day: worker RSS end vs first 10 %, {label}",
            "ratio",
            [worst],
            target="within ±10 %",
            note=", ".join(f"{a:.0f} → {b:.0f} MiB" for a, b in result["memory"].values())
            + (f"; {len(result['replaced'])} process(es) replaced" if result["replaced"] else ""),
        )
        mem.passed = bool(ratios) and abs(worst - 1) <= 0.10 and not result["replaced"]
        lines.append(mem)
    lines.append(
        Line(
            f"jury day: numbering gap-free under 1 and 2 processes ({N_DOCS} + warm-up)",
            "s",
            [one["seconds"], two["seconds"]],
            target="1 … N, no gap, no twin",
            passed=True,  # _gap_free raised otherwise
            note=f"1 proc {one['numbering']}, 2 procs {two['numbering']}",
        )
    )
    return lines


BENCHES = {"jury_day": bench_jury_day}
