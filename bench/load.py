"""``make load``: gunicorn (2 workers, loopback) under 50 concurrent clients for 60 s.

Seeds its own database ``<name>_load`` (recreated each run) with the security tests' world
(two centres, every role, a dossier before a jury, an épreuve marked by its évaluateur) plus
``LOAD_DOSSIERS`` bulk dossiers, starts gunicorn on a free port, then runs a bounded mix of
requests from ``LOAD_CLIENTS`` threads (keep-alive ``http.client`` connections) for
``LOAD_SECONDS``:

- list      GET  /api/v1/o/<centre>/dossiers/            (gestionnaire token)
- detail    GET  /api/v1/o/<centre>/dossiers/<id>/        (gestionnaire token)
- marking   POST /api/v1/o/<centre>/epreuves/<id>/marks/  (évaluateur token)
- verify    GET  /api/v1/verifier/<code>                   (anonymous, rate-limited per IP)

Prints requests, errors (5xx, transport errors, unexpected 4xx) and p50/p95/p99 per kind.
The public verification is throttled (``verification`` rate): its 429s are expected and
counted apart; a 429 anywhere else is an error. Exit status 1 when any error occurred.
"""

import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENTS = int(os.environ.get("LOAD_CLIENTS", 50))
SECONDS = float(os.environ.get("LOAD_SECONDS", 60))
N_DOSSIERS = int(os.environ.get("LOAD_DOSSIERS", 2000))
MIX = [("list", 3), ("detail", 4), ("marking", 2), ("verify", 1)]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://certif:certif@127.0.0.1:5432/certif")
    base, _, name = url.rpartition("/")
    return f"{base}/{name}_load"


def _owner_url(url: str) -> str:
    """The owner role's URL (DATABASE_MIGRATE_URL's credentials) for the database of ``url``."""
    owner = os.environ.get(
        "DATABASE_MIGRATE_URL", "postgres://certif_owner:certif_owner@127.0.0.1:5432/certif"
    )
    return f"{owner.rpartition('/')[0]}/{url.rpartition('/')[2]}"


def _recreate_database(url: str) -> None:
    """Drop and create the database of ``url`` as the owner role (the application role cannot)."""
    import psycopg

    base, _, name = _owner_url(url).rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.errors.InsufficientPrivilege:
            # Created before the role split, by the application role: it drops its own.
            with psycopg.connect(f"{url.rpartition('/')[0]}/postgres", autocommit=True) as legacy:
                legacy.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed() -> dict:
    from candidates.models import Candidate, Dossier
    from documents.models import IssuedDocument
    from evaluations.models import Epreuve
    from organisations.tenancy import tenant_context
    from tests.security.world import build_world

    world = build_world()
    org = world.a.org
    with tenant_context(org):
        ref = Dossier.objects.get(public_id=world.a.ids["dossier_id"]).referentiel
        candidates = Candidate.objects.bulk_create(
            [
                Candidate(
                    organisation=org,
                    civilite="M",
                    sexe="M",
                    nom_naissance=f"Charge{i:05d}",
                    prenom1="Jean",
                    naissance_annee=1990 + i % 15,
                )
                for i in range(N_DOSSIERS)
            ],
            batch_size=2000,
        )
        dossiers = Dossier.objects.bulk_create(
            [
                Dossier(
                    organisation=org,
                    candidate=c,
                    referentiel=ref,
                    voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
                    status="inscrit",
                )
                for c in candidates
            ],
            batch_size=2000,
        )
        epreuve = Epreuve.objects.get(public_id=world.a.ids["epreuve_id"])
        cqpm_dossier = epreuve.inscriptions.first().dossier
        cible = epreuve.capacites[0]
        code = (
            IssuedDocument.objects.exclude(verification_code=None)
            .values_list("verification_code", flat=True)
            .first()
        )
    return {
        "slug": org.slug,
        "gestionnaire": world.a.tokens["gestionnaire"],
        "evaluateur": world.a.tokens["evaluateur"],
        "dossiers": [str(d.public_id) for d in dossiers[:500]] + [world.a.ids["dossier_id"]],
        "epreuve": str(epreuve.public_id),
        "mark": {"dossier": str(cqpm_dossier.public_id), "cible": cible},
        "code": code or world.verification_code,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.statuses = defaultdict(lambda: defaultdict(int))
        self.errors = defaultdict(int)
        self.samples = []

    def add(self, kind, status, ms, error=None):
        with self.lock:
            self.latencies[kind].append(ms)
            self.statuses[kind][status] += 1
            if error:
                self.errors[kind] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{kind}: {error}")


def _request(conn, kind, data, port):
    slug = data["slug"]
    if kind == "list":
        return "GET", f"/api/v1/o/{slug}/dossiers/?page={random.randint(1, 10)}", data["gestionnaire"], None
    if kind == "detail":
        return (
            "GET",
            f"/api/v1/o/{slug}/dossiers/{random.choice(data['dossiers'])}/",
            data["gestionnaire"],
            None,
        )
    if kind == "marking":
        body = dict(data["mark"], valeur=random.choice(["acquis", "non_acquis"]))
        return "POST", f"/api/v1/o/{slug}/epreuves/{data['epreuve']}/marks/", data["evaluateur"], body
    return "GET", f"/api/v1/verifier/{data['code']}", None, None


def client(port, data, deadline, stats):
    kinds = [k for k, w in MIX for _ in range(w)]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < deadline:
        kind = random.choice(kinds)
        method, path, token, body = _request(conn, kind, data, port)
        headers = {"Host": "127.0.0.1", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            stats.add(kind, "transport", (time.perf_counter() - start) * 1000, error=repr(exc))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        ms = (time.perf_counter() - start) * 1000
        ok = status < 400 or (kind == "verify" and status in (404, 429))
        stats.add(kind, status, ms, error=None if ok else f"{method} {path} → {status}")
    conn.close()


def _pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    url = _database_url()
    os.environ["DATABASE_URL"] = url  # the application role: seeding, benchmarks, gunicorn
    os.environ["DATABASE_MIGRATE_URL"] = _owner_url(url)  # the owner: `migrate` below only
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    _recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # as the owner, then grants the application role its rows
    print(f"seeding {url.rpartition('/')[2]} ({N_DOSSIERS} bulk dossiers)…", flush=True)
    data = seed()

    port = _free_port()
    env = dict(os.environ, DJANGO_ALLOWED_HOSTS="127.0.0.1", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "256",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        from django.core.cache import cache

        cache.clear()  # fresh throttling counters
        stats = Stats()
        print(f"gunicorn -w 2 on 127.0.0.1:{port}: {CLIENTS} clients for {SECONDS:.0f} s…", flush=True)
        started = time.monotonic()
        deadline = started + SECONDS
        threads = [
            threading.Thread(target=client, args=(port, data, deadline, stats)) for _ in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        # the throttle itself, independent of the throughput reached: 40 verifications in a row
        cache.clear()
        probe = defaultdict(int)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(40):
            conn.request("GET", f"/api/v1/verifier/{data['code']}", headers={"Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            probe[response.status] += 1
        conn.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)

    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(stats.errors.values())
    every = [ms for v in stats.latencies.values() for ms in v]
    print(f"\n{dt.datetime.now():%Y-%m-%d %H:%M}  {CLIENTS} clients, {elapsed:.0f} s, {os.cpu_count()} CPU")
    print(f"{'kind':10} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for kind, _w in MIX:
        lat = stats.latencies[kind]
        statuses = ", ".join(f"{s}×{n}" for s, n in sorted(stats.statuses[kind].items(), key=str))
        print(
            f"{kind:10} {len(lat):9d} {stats.errors[kind]:7d} {_pct(lat, 50):8.0f} {_pct(lat, 95):8.0f} {_pct(lat, 99):8.0f}  {statuses}"
        )
    print(
        f"{'all':10} {total:9d} {errors:7d} {_pct(every, 50):8.0f} {_pct(every, 95):8.0f} {_pct(every, 99):8.0f}"
        f"  {total / elapsed:.0f} req/s (mean {statistics.mean(every) if every else 0:.0f} ms)"
    )
    throttled = stats.statuses["verify"].get(429, 0)
    print(
        f"verification rate limit: {throttled} × 429 on /api/v1/verifier/ (expected), "
        f"{sum(stats.statuses[k].get(429, 0) for k, _ in MIX if k != 'verify')} elsewhere"
    )
    print(
        "burst of 40 verifications from one address: "
        + ", ".join(f"{s}×{n}" for s, n in sorted(probe.items()))
    )
    for line in stats.samples:
        print("  e.g.", line)
    return 1 if errors or not probe.get(429) else 0


if __name__ == "__main__":
    raise SystemExit(main())
