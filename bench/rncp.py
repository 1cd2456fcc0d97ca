"""RNCP import: time and peak memory at 2,500 and 25,000 synthetic fiches (memory must stay flat)."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.core import Line

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time, tracemalloc, django
django.setup()
from organisations.models import Organisation
from referentiels.rncp_import import rncp_import
org, _ = Organisation.objects.get_or_create(slug="bench-certificateur", defaults={"kind": "certificateur", "name": "Bench Certificateur"})
tracemalloc.start()
start = time.perf_counter()
report = rncp_import(source=sys.argv[1], filename="synthetic.xml", certificateur=org, dry_run=sys.argv[2] == "dry")
elapsed = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
assert report.total and not report.skipped, ("fiches skipped", report.skipped_total)
print(json.dumps({"seconds": elapsed, "peak": peak, "total": report.total}))
"""


def _run(path: str, mode: str, env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, path, mode],
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
        results = {}
        for n in (small_n, big_n):
            path = os.path.join(tmp, f"rncp-{n}.xml")
            write_synthetic_export(path, n, certificateur="Bench Certificateur")
            results[n] = {"dry": _run(path, "dry", env), "write": _run(path, "write", env)}
            size = os.path.getsize(path) / 1e6
            lines.append(
                Line(
                    f"RNCP import {n} fiches (validate + write)",
                    "s",
                    [results[n]["write"]["seconds"] * 1000],
                    note=f"{size:.0f} Mo, {n / results[n]['write']['seconds']:.0f} fiches/s",
                )
            )
        small, big = results[small_n]["write"]["peak"], results[big_n]["write"]["peak"]
        mem = Line(
            f"RNCP import peak memory {big_n} vs {small_n}",
            "ratio",
            [big / small],
            target="within 20 %",
            note=f"{small / 2**20:.1f} MiB vs {big / 2**20:.1f} MiB (tracemalloc)",
        )
        mem.passed = big / small <= 1.2
        lines.append(mem)
    return lines
