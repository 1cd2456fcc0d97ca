"""Lists and pages with a big centre's data: latency through the test client and through
gunicorn (2 workers on loopback), each next to the ``/ping`` JSON view on the same server,
plus the query count of each request (it must not depend on the data volume)."""

import datetime as dt
import gc
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.core import Line, runs, timed

ROOT = Path(__file__).resolve().parent.parent
N_DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", 10_000))


SEED: dict = {}


def seed_big_centre():
    """The big centre and the national world around it (bench/national.py, set-based SQL)."""
    from candidates.models import Dossier
    from organisations.models import Organisation
    from organisations.roles import Role
    from organisations.services import api_token_create, membership_add
    from organisations.tenancy import tenant_context
    from referentiels.demo import load_seed
    from referentiels.services import habilitation_grant
    from tests.factories import UserFactory

    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    big = Organisation.objects.create(kind="centre", slug="grand-centre", name="Grand centre")
    Organisation.objects.create(kind="centre", slug="petit-centre", name="Petit centre")
    ref = load_seed("rncp36390.json", cci)
    habilitation_grant(certificateur=cci, centre=big, code="RNCP36390", date_debut=dt.date(2020, 1, 1))
    user = UserFactory(email="bench@grand-centre.test")
    membership = membership_add(user=user, organisation=big, role=Role.GESTIONNAIRE)
    _token, key = api_token_create(membership=membership, name="bench")
    from bench.national import seed_national

    seed = seed_national(big_id=big.pk, referentiel_id=ref.pk, total=N_DOSSIERS, user_id=user.pk)
    with tenant_context(big):
        first = Dossier.objects.order_by("pk").first()
    SEED.update(seed)
    out = {"user": user, "key": key, "dossier": first, "org": big, "ref": ref, "medium": None}
    if seed.get("medium_id"):
        # A centre of 10,000 dossiers in the same database: each page line runs in both.
        medium = Organisation.objects.get(pk=seed["medium_id"])
        habilitation_grant(certificateur=cci, centre=medium, code="RNCP36390", date_debut=dt.date(2020, 1, 1))
        m_membership = membership_add(user=user, organisation=medium, role=Role.GESTIONNAIRE)
        _t, m_key = api_token_create(membership=m_membership, name="bench")
        with tenant_context(medium):
            m_first = Dossier.objects.order_by("pk").first()
        out["medium"] = {"org": medium, "key": m_key, "dossier": m_first}
    return out


_WORLD: dict | None = None


def world() -> dict:
    """The big centre, seeded once per run and shared by every benchmark that needs it."""
    global _WORLD
    if _WORLD is None:
        _WORLD = seed_big_centre()
        # Statistics: the seed ends with VACUUM (ANALYZE) as the owner (bench/national.py).
        # The seeded objects stay referenced by this process; a server process would not hold
        # them: keep the cyclic GC from rescanning them during the timed requests.
        gc.collect()
        gc.freeze()
    return _WORLD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict):
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.get("/ping", {})
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def get(self, path: str, headers: dict) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=20)


def _count_queries(request) -> int:
    """Queries one request runs, counted by an execute wrapper (``connection.queries`` is reset
    by the request_started signal; the wrapper list outlives a reconnection)."""
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        response = request()
    assert response.status_code == 200, response.status_code
    return count


def _profile(name: str, request) -> None:
    """BENCH_PROFILE=1: where one page's time goes (pyinstrument, 20 requests), under bench/results/profiles/."""
    from pyinstrument import Profiler

    out = ROOT / "bench" / "results" / "profiles"
    out.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(20):
        request()
    profiler.stop()
    slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
    (out / f"{slug}.txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False))


# Targets of issue 19, as ratios to /ping on the same server.
PAGE_TARGETS = {
    "candidate list page": 8,
    "dossier list API": 8,
    "candidate list API": 8,
    "dossier detail page": 12,
    "candidate search page": 8,
    "deliberation page (500)": 12,
    "evaluator grid (500)": 12,
}
GUNICORN_VS_CLIENT = 1.3  # a page through gunicorn -w 2: ≤ 1.3 × its test-client ratio
GROWTH = 1.25  # at 1,000,000 dossiers: ≤ 1.25 × the same line at 10,000, same query count


def _targets(slug: str, dossier_id, jury=None) -> dict[str, str]:
    targets = {
        "candidate list page": f"/o/{slug}/candidats/",
        "dossier list API": f"/api/v1/o/{slug}/dossiers/",
        "candidate list API": f"/api/v1/o/{slug}/candidates/",
        "dossier detail page": f"/o/{slug}/candidats/dossiers/{dossier_id}/",
        # A name (surname + two syllables) that a few candidates of every centre bear.
        "candidate search page": f"/o/{slug}/candidats/?q=martinbala",
    }
    if jury:
        targets["deliberation page (500)"] = f"/o/{slug}/jurys/{jury['jury'].public_id}/"
        targets["evaluator grid (500)"] = (
            f"/o/{slug}/evaluations/epreuves/{jury['epreuve'].public_id}/grille/"
        )
    return targets


def _cpu_ms(fn, n: int) -> tuple[list[float], float]:
    """Wall samples (ms) and the mean CPU time per call (ms, warm-up included)."""
    cpu0 = time.process_time()
    samples = timed(fn, n)
    return samples, (time.process_time() - cpu0) * 1000 / (n + 1)


def bench_pages() -> list[Line]:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from bench.jury import seed_jury

    w = world()
    jury = seed_jury()
    centres = [
        (
            "largest centre" if w["medium"] else f"{N_DOSSIERS} dossiers",
            w["org"],
            w["key"],
            w["dossier"],
            jury,
        )
    ]
    if w["medium"]:
        m = w["medium"]
        centres.append(("10,000-dossier centre", m["org"], m["key"], m["dossier"], None))
    client = Client()
    client.force_login(w["user"])
    client.get(f"/o/{w['org'].slug}/")
    lines = []
    floor, floor_cpu = _cpu_ms(lambda: client.get("/ping"), runs(30))
    ping = statistics.median(floor)
    by_centre: dict[str, dict[str, Line]] = {}
    for label, org, key, dossier, j in centres:
        api_headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
        for name, url in _targets(org.slug, dossier.public_id, j).items():
            kwargs = api_headers if "/api/" in url else {}

            def request(url=url, kwargs=kwargs):
                return client.get(url, **kwargs)

            queries = _count_queries(request)
            samples, cpu = _cpu_ms(request, runs(15))
            target = PAGE_TARGETS[name]
            line = Line(
                f"{name} (test client, {label})",
                "ms",
                samples,
                floor,
                target=f"≤ {target} × /ping",
                note=f"{queries} queries, CPU {cpu:.1f} ms vs /ping {floor_cpu:.1f} ms",
                extra={"queries": queries, "cpu_ms": cpu, "ping_ms": ping, "url": url},
            )
            line.passed = line.ratio <= target
            lines.append(line)
            by_centre.setdefault(label, {})[name] = line
            if os.environ.get("BENCH_PROFILE"):
                _profile(f"{name} {label}", request)
    if w["medium"]:
        # The same line in the largest centre (a fifth of a million dossiers) vs the 10,000 one.
        big, medium = by_centre[centres[0][0]], by_centre[centres[1][0]]
        for name, line in big.items():
            if name not in medium:
                continue
            ref = medium[name]
            ratio = line.median / ref.median
            cpu_ratio = line.extra["cpu_ms"] / ref.extra["cpu_ms"]
            growth = Line(
                f"{name}: largest centre vs 10,000",
                "ratio",
                [ratio],
                target=f"≤ {GROWTH} ×, same queries",
                note=f"CPU {cpu_ratio:.2f} ×, queries {line.extra['queries']} vs {ref.extra['queries']}",
            )
            growth.passed = ratio <= GROWTH and line.extra["queries"] == ref.extra["queries"]
            lines.append(growth)
    lines.extend(_against_reference(by_centre[centres[0][0]]))
    # Through gunicorn: a session cookie for pages, the token for the API (largest centre).
    session = SessionStore()
    session.update(
        {
            "_auth_user_id": str(w["user"].pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": w["user"].get_session_auth_hash(),
            "mfa_ok": True,
        }
    )
    session.create()
    # Persistent connections, as a deployment configures them (README: DB_CONN_MAX_AGE): the
    # tenant setting is transaction-local, nothing carries over between requests.
    env = dict(os.environ, DJANGO_ALLOWED_HOSTS="127.0.0.1", DB_CONN_MAX_AGE="60")
    server = Gunicorn(env)
    try:
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}
        floor = timed(lambda: server.get("/ping", {}), runs(30))
        label, org, key, dossier, j = centres[0]
        for name, url in _targets(org.slug, dossier.public_id, j).items():
            headers = {"Authorization": f"Token {key}"} if "/api/" in url else cookie
            assert server.get(url, headers) == 200, url
            samples = timed(lambda url=url, headers=headers: server.get(url, headers), runs(15))
            client_ratio = by_centre[label][name].ratio
            line = Line(
                f"{name} (gunicorn -w 2, {label})",
                "ms",
                samples,
                floor,
                target=f"≤ {GUNICORN_VS_CLIENT} × client ratio",
                note=f"test-client ratio {client_ratio:.1f}",
            )
            line.passed = line.ratio <= GUNICORN_VS_CLIENT * client_ratio
            lines.append(line)
    finally:
        server.stop()
    return lines


def _against_reference(lines: dict[str, Line]) -> list[Line]:
    """Above 10,000 dossiers: each page line vs the latest 10,000-dossier run of this machine
    (bench/results/*.json), CPU per request (steadier than wall time across runs), queries."""
    if N_DOSSIERS <= 10_000:
        return []
    import json

    reference = None
    for path in sorted((ROOT / "bench" / "results").glob("*.json"), reverse=True):
        data = json.loads(path.read_text())
        if data.get("dossiers") == 10_000:
            reference = (path.name, {ln["name"]: ln for ln in data["lines"]})
            break
    if reference is None:
        return []
    out = []
    for name, line in lines.items():
        ref = reference[1].get(f"{name} (test client, 10000 dossiers)")
        if not ref or not ref.get("extra", {}).get("cpu_ms"):
            continue
        ratio = line.extra["cpu_ms"] / ref["extra"]["cpu_ms"]
        wall = line.median / ref["median"]
        same = line.extra["queries"] == ref["extra"]["queries"]
        growth = Line(
            f"{name}: {N_DOSSIERS} vs 10,000-dossier world",
            "ratio",
            [ratio],
            target=f"≤ {GROWTH} × CPU, same queries",
            note=f"wall {wall:.2f} ×, queries {line.extra['queries']} vs {ref['extra']['queries']} ({reference[0]})",
        )
        growth.passed = ratio <= GROWTH and same
        out.append(growth)
    return out


def bench_seed() -> list[Line]:
    """Seeding the world (set-based SQL as the owner), timed once."""
    world()
    rows = SEED.get("rows", {})
    return [
        Line(
            f"seed: {N_DOSSIERS} dossiers over {SEED['centres']} centres (largest {SEED['big']})",
            "s",
            [SEED["seconds"] * 1000],
            target="reported (minutes)",
            note=", ".join(f"{k} {v:,}".replace(",", " ") for k, v in rows.items())[:180],
            extra={"steps": SEED.get("steps"), "rows": rows},
        )
    ]


def _bench_engine():
    from bench.jury import bench_engine

    return bench_engine()


def _bench_parchemins():
    from bench.jury import bench_parchemins

    return bench_parchemins()


def _bench_import():
    from bench.imports import bench_candidate_import

    return bench_candidate_import()


BENCHES = {
    "seed": bench_seed,
    "engine": _bench_engine,
    "pages": bench_pages,
    "import": _bench_import,
    "parchemins": _bench_parchemins,
}
