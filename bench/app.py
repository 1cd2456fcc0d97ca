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


def reused_world() -> dict:
    """BENCH_REUSE: the world a previous run seeded in this database, found again (new API tokens)."""
    from candidates.models import Dossier
    from organisations.models import Membership, Organisation
    from organisations.services import api_token_create
    from organisations.tenancy import tenant_context
    from referentiels.models import Referentiel

    big = Organisation.objects.get(slug="grand-centre")
    membership = Membership.objects.select_related("user").get(
        organisation=big, user__email="bench@grand-centre.test"
    )
    _token, key = api_token_create(membership=membership, name="bench")
    with tenant_context(big):
        first = Dossier.objects.order_by("pk").first()
        ref = first.referentiel
    ref = Referentiel.objects.get(pk=ref.pk)
    out = {"user": membership.user, "key": key, "dossier": first, "org": big, "ref": ref, "medium": None}
    m_membership = (
        Membership.objects.filter(user=membership.user, organisation__slug__startswith="centre-")
        .select_related("organisation")
        .first()
    )
    if m_membership is not None:
        medium = m_membership.organisation
        _t, m_key = api_token_create(membership=m_membership, name="bench")
        with tenant_context(medium):
            m_first = Dossier.objects.order_by("pk").first()
        out["medium"] = {"org": medium, "key": m_key, "dossier": m_first}
    return out


def reused_jury() -> dict | None:
    """BENCH_REUSE: the jury and épreuve of a previous run (``bench.jury.seed_jury``), or None."""
    if "jury=" not in os.environ.get("BENCH_REUSED_WORLD", ""):
        return None
    import bench.jury
    from evaluations.models import Epreuve
    from juries.models import Jury
    from organisations.models import Membership
    from organisations.tenancy import tenant_context
    from tests.factories import UserFactory

    w = world()
    org = w["org"]
    with tenant_context(org):
        jury = Jury.objects.select_related("organisation", "referentiel").get(intitule="Jury bench")
        epreuve = Epreuve.objects.get(intitule="Écrit bloc 1")
        dossier_ids = list(jury.decisions.values_list("dossier_id", flat=True))
    evaluateur = UserFactory._meta.model.objects.get(email="evaluateur@grand-centre.test")
    bench.jury._JURY = {
        "jury": jury,
        "dossier_ids": dossier_ids,
        "epreuve": epreuve,
        "evaluateur": evaluateur,
        "by": Membership.objects.get(organisation=org, user=w["user"]),
    }
    return bench.jury._JURY


def jury_world() -> dict:
    """The jury of 500 and its épreuve: found again (BENCH_REUSE) or seeded (bench/jury.py)."""
    from bench.__main__ import set_world_comment
    from bench.jury import seed_jury

    found = reused_jury()
    if found is not None:
        return found
    jury = seed_jury()
    _analyze()
    set_world_comment(f"bench world: dossiers={N_DOSSIERS}, jury={len(jury['dossier_ids'])}")
    return jury


def _analyze() -> None:
    """Statistics for the rows the jury seed added (inscriptions, results, decisions), as
    autovacuum would gather them on a live platform: the owner's ANALYZE of the database."""
    import psycopg

    url = os.environ["DATABASE_MIGRATE_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


_WORLD: dict | None = None


def world() -> dict:
    """The big centre, seeded once per run and shared by every benchmark that needs it."""
    global _WORLD
    if _WORLD is None:
        if os.environ.get("BENCH_REUSED_WORLD"):
            _WORLD = reused_world()
        else:
            from bench.__main__ import set_world_comment

            _WORLD = seed_big_centre()
            set_world_comment(f"bench world: dossiers={N_DOSSIERS}")
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
        deadline = time.monotonic() + 180  # a loaded machine boots Django slowly
        while time.monotonic() < deadline:
            try:
                self.get("/ping", {})
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
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
    """Queries one request runs once warm (after one request: per-process caches, a list's
    cached count estimate), counted by an execute wrapper (``connection.queries`` is reset by
    the request_started signal; the wrapper list outlives a reconnection)."""
    from django.db import connection

    request()
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
    # The same requests by CPU time (cProfile on process_time): on a shared machine the wall-clock
    # profile above also counts the time this process waited for a core or for PostgreSQL.
    import cProfile
    import io
    import pstats

    cpu = cProfile.Profile(time.process_time)
    cpu.enable()
    for _ in range(20):
        request()
    cpu.disable()
    text = io.StringIO()
    stats = pstats.Stats(cpu, stream=text)
    stats.sort_stats("cumulative").print_stats(80)
    stats.sort_stats("tottime").print_stats(40)
    (out / f"{slug}.cpu.txt").write_text(text.getvalue().replace(str(ROOT) + "/", ""))


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
    from importlib import import_module

    from django.conf import settings
    from django.test import Client

    w = world()
    jury = jury_world()
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
    session = import_module(settings.SESSION_ENGINE).SessionStore()
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
    try:
        server = Gunicorn(env)
    except RuntimeError as exc:  # the test-client lines above still count
        lines.append(Line("gunicorn -w 2", "ms", [0.0], passed=False, note=f"error: {exc}"))
        return lines
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
    if os.environ.get("BENCH_REUSED_WORLD"):
        return [Line("seed: reused (BENCH_REUSE)", "ms", [0.0], note=os.environ["BENCH_REUSED_WORLD"])]
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
