"""Lists and pages with a big centre's data: latency through the test client and through
gunicorn (2 workers on loopback), each next to the ``/ping`` JSON view on the same server,
plus the query count of each request (it must not depend on the data volume)."""

import datetime as dt
import gc
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.core import Line, runs, timed

ROOT = Path(__file__).resolve().parent.parent
N_DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", 10_000))


def seed_big_centre():
    """Two centres; 10,000 candidates with a dossier each in the first (bulk inserts)."""
    from candidates.models import Candidate, Dossier, DossierBloc
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
    blocs = list(ref.blocs.all())
    with tenant_context(big):
        candidates = Candidate.objects.bulk_create(
            [
                Candidate(
                    organisation=big,
                    civilite="MME",
                    sexe="F",
                    nom_naissance=f"Nom{i:05d}",
                    prenom1="Prénom",
                    naissance_annee=1990 + i % 15,
                )
                for i in range(N_DOSSIERS)
            ],
            batch_size=2000,
        )
        statuses = ["brouillon", "inscrit", "en_evaluation", "pret_pour_jury"]
        dossiers = Dossier.objects.bulk_create(
            [
                Dossier(
                    organisation=big,
                    candidate=c,
                    referentiel=ref,
                    voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
                    status=statuses[i % 4],
                )
                for i, c in enumerate(candidates)
            ],
            batch_size=2000,
        )
        DossierBloc.objects.bulk_create(
            [DossierBloc(organisation=big, dossier=d, bloc=b) for d in dossiers for b in blocs],
            batch_size=5000,
        )
    return {"user": user, "key": key, "dossier": dossiers[0], "org": big, "ref": ref}


_WORLD: dict | None = None


def world() -> dict:
    """The big centre, seeded once per run and shared by every benchmark that needs it."""
    global _WORLD
    if _WORLD is None:
        from django.db import connection

        _WORLD = seed_big_centre()
        from core.db_roles import as_owner

        # Fresh bulk-loaded tables: gather statistics as autovacuum would. ANALYZE is the
        # owner's (the application role's ANALYZE skips every table with a warning).
        with as_owner(), connection.cursor() as cursor:
            cursor.execute("ANALYZE")
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


def bench_pages() -> list[Line]:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from bench.jury import seed_jury

    w = world()
    jury = seed_jury()
    slug = w["org"].slug
    dossier_id = w["dossier"].public_id
    targets = {
        "candidate list page": f"/o/{slug}/candidats/",
        "dossier list API": f"/api/v1/o/{slug}/dossiers/",
        "candidate list API": f"/api/v1/o/{slug}/candidates/",
        "dossier detail page": f"/o/{slug}/candidats/dossiers/{dossier_id}/",
        "deliberation page (500)": f"/o/{slug}/jurys/{jury['jury'].public_id}/",
        "evaluator grid (500)": f"/o/{slug}/evaluations/epreuves/{jury['epreuve'].public_id}/grille/",
    }
    client = Client()
    client.force_login(w["user"])
    client.get(f"/o/{slug}/")
    api_headers = {"HTTP_AUTHORIZATION": f"Token {w['key']}"}
    lines = []
    cpu0 = time.process_time()
    floor = timed(lambda: client.get("/ping"), runs(30))
    floor_cpu = (time.process_time() - cpu0) * 1000 / (len(floor) + 1)
    for name, url in targets.items():
        kwargs = api_headers if "/api/" in url else {}
        queries = _count_queries(lambda url=url, kwargs=kwargs: client.get(url, **kwargs))
        cpu0 = time.process_time()
        samples = timed(lambda url=url, kwargs=kwargs: client.get(url, **kwargs), runs(15))
        # CPU per request (warm-up included): on a shared machine, steadier than wall clock.
        cpu = (time.process_time() - cpu0) * 1000 / (len(samples) + 1)
        line = Line(
            f"{name} (test client, {N_DOSSIERS} dossiers)",
            "ms",
            samples,
            floor,
            target="≤ 3 × /ping",
            note=f"{queries} queries, CPU {cpu:.1f} ms vs /ping {floor_cpu:.1f} ms",
        )
        line.passed = line.ratio <= 3
        lines.append(line)
        if os.environ.get("BENCH_PROFILE"):
            _profile(name, lambda url=url, kwargs=kwargs: client.get(url, **kwargs))
    # Through gunicorn: a session cookie for pages, the token for the API.
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
    env = dict(os.environ, DJANGO_ALLOWED_HOSTS="127.0.0.1")
    server = Gunicorn(env)
    try:
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}
        floor = timed(lambda: server.get("/ping", {}), runs(30))
        for name, url in targets.items():
            headers = {"Authorization": f"Token {w['key']}"} if "/api/" in url else cookie
            assert server.get(url, headers) == 200, url
            samples = timed(lambda url=url, headers=headers: server.get(url, headers), runs(15))
            line = Line(f"{name} (gunicorn -w 2)", "ms", samples, floor, target="≤ 3 × /ping")
            line.passed = line.ratio <= 3
            lines.append(line)
    finally:
        server.stop()
    return lines


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
    "engine": _bench_engine,
    "pages": bench_pages,
    "import": _bench_import,
    "parchemins": _bench_parchemins,
}
