"""``make bench``: seed a fresh bench database, run every benchmark, print one table, write JSON.

Environment: DATABASE_URL (a PostgreSQL server and the application role; the bench uses its
own database ``<name>_bench``, recreated each run), DATABASE_MIGRATE_URL (the owner role, which
recreates and migrates it; default ``certif_owner``), REDIS_URL, BENCH_SCALE (multiplies run counts),
BENCH_ONLY (comma-separated benchmark names), BENCH_JURY_DOCS (documents of the jury-day bench,
default 5,000), BENCH_RNCP_SMALL / BENCH_RNCP_BIG (fiches of the RNCP import bench), BENCH_REUSE=1 (keep the bench database when it
already holds the requested world: its COMMENT, written once seeded, names it; only pending
migrations run — a 1,000,000-dossier seed takes minutes).
"""

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://certif:certif@127.0.0.1:5432/certif")
    base, _, name = url.rpartition("/")
    return f"{base}/{name}_bench"


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


def world_comment(url: str) -> str:
    """The bench database's COMMENT (``bench world: dossiers=N[, jury=M]``), '' when absent."""
    import psycopg

    base, _, name = _owner_url(url).rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
    except psycopg.OperationalError:
        return ""
    return (row[0] or "") if row else ""


def set_world_comment(text: str) -> None:
    """Name the world the bench database now holds (BENCH_REUSE reads it)."""
    import psycopg

    url = os.environ["DATABASE_URL"]
    base, _, name = _owner_url(url).rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'COMMENT ON DATABASE "{name}" IS ' + "'" + text.replace("'", "''") + "'")


def _reusable(url: str) -> bool:
    """BENCH_REUSE=1 and the database holds a world of BENCH_DOSSIERS dossiers."""
    if not os.environ.get("BENCH_REUSE"):
        return False
    dossiers = int(os.environ.get("BENCH_DOSSIERS", 10_000))
    return world_comment(url).startswith(f"bench world: dossiers={dossiers}")


def _load() -> str:
    """The machine's load average (1, 5, 15 min), to read the timings of a shared machine."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return ""


def main() -> int:
    url = _bench_database_url()
    os.environ["DATABASE_URL"] = url  # the application role: seeding, benchmarks, gunicorn
    os.environ["DATABASE_MIGRATE_URL"] = _owner_url(url)  # the owner: `migrate` below only
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    # The test settings name the cache's key prefix (and the Celery queue) after TEST_DB_NAME:
    # the bench database's name keeps two benches on one machine from sharing cached entries
    # (a list's count estimate is keyed by its SQL, which names the centre by its id).
    os.environ["TEST_DB_NAME"] = url.rpartition("/")[2]
    reuse = _reusable(url)
    if reuse:
        os.environ["BENCH_REUSED_WORLD"] = world_comment(url)
        print(f"reusing {url.rpartition('/')[2]} ({world_comment(url)})", file=sys.stderr, flush=True)
    else:
        os.environ.pop("BENCH_REUSED_WORLD", None)
        _recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # as the owner, then grants the application role its rows

    from bench.core import Line, table
    from bench.rendering import bench_parchemin, bench_pv
    from bench.rncp import bench_rncp_import

    env = dict(os.environ)
    benches = {
        "parchemin": bench_parchemin,
        "pv": bench_pv,
        "rncp": lambda: bench_rncp_import(env),
    }
    try:
        from bench.app import BENCHES as APP_BENCHES  # list/detail/engine benches, once the apps exist

        benches.update(APP_BENCHES)
    except ImportError:
        pass
    from bench.jury_day import BENCHES as JURY_DAY_BENCHES  # Celery workers, 1 vs 2 processes

    benches.update(JURY_DAY_BENCHES)
    only = [b for b in os.environ.get("BENCH_ONLY", "").split(",") if b]
    load_start_run = _load()
    loads = {}
    lines = []
    for name, fn in benches.items():
        if only and name not in only:
            continue
        print(f"… {name}", file=sys.stderr, flush=True)
        try:
            lines.extend(fn())
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            import traceback

            traceback.print_exc()
            lines.append(
                Line(name, "ms", [0.0], passed=False, note=f"error: {exc.__class__.__name__}: {exc}"[:200])
            )
        loads[name] = _load()
    load_start = _load()
    report = table(lines) + (
        f"\n{os.environ.get('BENCH_DOSSIERS', '10000')} dossiers, {os.cpu_count()} CPU, "
        f"load average at start {load_start_run}, at end {load_start}"
    )
    print(report)
    out = ROOT / "bench" / "results" / f"{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "when": dt.datetime.now().isoformat(timespec="seconds"),
                "cpu_count": os.cpu_count(),
                "dossiers": int(os.environ.get("BENCH_DOSSIERS", 10_000)),
                "load": {"start": load_start_run, "after each benchmark": loads},
                "python": platform.python_version(),
                "lines": [line.as_dict() for line in lines],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    out.with_suffix(".txt").write_text(report + "\n")
    print(f"JSON: {out.relative_to(ROOT)}")
    return 0 if all(line.passed is not False for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
