"""RNCP import: time (wall and CPU), queries and peak memory at 2,500 and 25,000 synthetic fiches
(memory must stay flat), and the re-import of the unchanged 25,000-fiche export (near a no-op)."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.core import Line

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, time, tracemalloc, django
django.setup()
from django.db import connection
queries = []
def count(execute, sql, params, many, context):
    queries.append(sql.lstrip().split(" ", 1)[0].upper())
    return execute(sql, params, many, context)
from organisations.models import Organisation
from referentiels.rncp_import import rncp_import
org, _ = Organisation.objects.get_or_create(slug="bench-certificateur", defaults={"kind": "certificateur", "name": "Bench Certificateur"})
if sys.argv[3] == "1":
    tracemalloc.start()
def pg_cpu():
    # The server process's CPU (same machine): the import's time is Python's and PostgreSQL's.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")
pg = pg_cpu()
start, cpu = time.perf_counter(), time.process_time()
with connection.execute_wrapper(count):
    report = rncp_import(source=sys.argv[1], filename="synthetic.xml", certificateur=org, dry_run=sys.argv[2] == "dry")
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
pg = pg_cpu() - pg
peak = tracemalloc.get_traced_memory()[1] if sys.argv[3] == "1" else 0
assert report.total and not report.skipped, ("fiches skipped", report.skipped_total)
writes = sum(q in {"INSERT", "UPDATE", "DELETE", "COPY"} for q in queries)
print(json.dumps({"seconds": elapsed, "cpu": cpu, "pg_cpu": pg, "peak": peak, "total": report.total, "queries": len(queries), "writes": writes}))
"""


def _run(path: str, mode: str, env: dict, traced: bool = True) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, path, mode, "1" if traced else "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_rncp_import(env: dict) -> list[Line]:
    from referentiels.rncp_synth import write_synthetic_export

    lines = []
    small_n, big_n = (
        int(os.environ.get("BENCH_RNCP_SMALL", 2500)),
        int(os.environ.get("BENCH_RNCP_BIG", 25000)),
    )
    with tempfile.TemporaryDirectory() as tmp:
        peaks = {}
        for n in (small_n, big_n):
            path = os.path.join(tmp, f"rncp-{n}.xml")
            write_synthetic_export(path, n, certificateur="Bench Certificateur")
            size = os.path.getsize(path) / 1e6
            # Speed untraced (tracemalloc costs the parser 3 to 4 × its CPU); for the big export
            # its first 2,500 fiches are the small run's, unchanged, so left as they are.
            run = _run(path, "write", env, traced=False)
            # CPU = the importer's + its PostgreSQL backend's: on an idle machine the wall time
            # (one connection, synchronous queries); on a loaded one the wall time mostly waits.
            both = run["cpu"] + run["pg_cpu"]
            line = Line(
                f"RNCP import {n} fiches (validate + write)",
                "s",
                [run["seconds"]],
                target="≥ 300 fiches/s (CPU)" + (", < 90 s" if n >= 25000 else ""),
                note=f"{size:.0f} Mo, {n / run['seconds']:.0f} fiches/s wall, {n / both:.0f} fiches/s CPU "
                f"(Python {run['cpu']:.1f} s + PostgreSQL {run['pg_cpu']:.1f} s), {run['queries']} queries",
                extra={"cpu_seconds": run["cpu"], "pg_cpu_seconds": run["pg_cpu"], "queries": run["queries"]},
            )
            line.passed = n / both >= 300 and (n < 25000 or run["seconds"] < 90)
            lines.append(line)
            if n == big_n:  # the same export again: drafts unchanged, nothing written
                again = _run(path, "write", env, traced=False)
                line = Line(
                    f"RNCP re-import of the unchanged {n}-fiche export",
                    "s",
                    [again["seconds"]],
                    target="no row written",
                    note=f"{n / (again['cpu'] + again['pg_cpu']):.0f} fiches/s CPU (Python {again['cpu']:.1f} s "
                    f"+ PostgreSQL {again['pg_cpu']:.1f} s), "
                    f"{again['queries']} queries, {again['writes']} writes",
                    extra={
                        "cpu_seconds": again["cpu"],
                        "queries": again["queries"],
                        "writes": again["writes"],
                    },
                )
                line.passed = again["writes"] == 0
                lines.append(line)
            # Memory under tracemalloc on the heaviest path: another export of the same fiches
            # (other texts), so every draft's content is replaced.
            other = os.path.join(tmp, f"rncp-{n}-b.xml")
            write_synthetic_export(other, n, seed=1, certificateur="Bench Certificateur")
            peaks[n] = _run(other, "write", env)["peak"]
            os.remove(other)
        small, big = peaks[small_n], peaks[big_n]
        mem = Line(
            f"RNCP import peak memory {big_n} vs {small_n}",
            "ratio",
            [big / small],
            target="within 20 %",
            note=f"{small / 2**20:.1f} MiB vs {big / 2**20:.1f} MiB (tracemalloc, drafts replaced)",
        )
        mem.passed = big / small <= 1.2
        lines.append(mem)
    return lines
