"""Shared fixtures: two centres (alice in A, bob in B), an outsider (charlie), a certificateur.

Tests run on PostgreSQL as the application role ``certif`` (not superuser, no BYPASSRLS,
owner of nothing), so row-level security and the immutability triggers are exercised for real.
The owner role (``DATABASE_MIGRATE_URL``, ``certif_owner``) creates, migrates and drops the test
database, and flushes it after transactional tests (``core.db_roles``); nothing else uses it.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from rest_framework.test import APIClient

from organisations.models import Organisation
from organisations.roles import Role
from organisations.services import api_token_create, membership_add
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent

_APP_CREDENTIALS: dict = {}


# --- the test database: created by the owner role, used by the application role ------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """Connect as the owner while pytest-django creates and migrates the test database.

    Under pytest-xdist the database name already carries the worker id (``TEST_DB_NAME`` in
    ``config.settings.test``, which also names the Celery queue, the cache prefix and the file
    storage after it): pytest-django's own ``_gw0`` suffix (``…_parallel_suffix``) is not applied.
    """
    from django.db import DEFAULT_DB_ALIAS

    from core.db_roles import owner_credentials, use_credentials

    credentials = owner_credentials()
    assert credentials, "DATABASE_MIGRATE_URL (le rôle propriétaire) est obligatoire pour les tests."
    _APP_CREDENTIALS.update(use_credentials(DEFAULT_DB_ALIAS, credentials))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then every test, the worker and the live server run as the application role.

    ``migrate`` granted the application role its rows (``core.db_roles.grant_application_role``);
    the owner comes back at the end to drop the database.
    """
    from django.db import DEFAULT_DB_ALIAS, connection

    from core.db_roles import use_credentials

    owner = use_credentials(DEFAULT_DB_ALIAS, _APP_CREDENTIALS)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == settings.DATABASE_APP_USER
    connection.close()
    yield
    use_credentials(DEFAULT_DB_ALIAS, owner)


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Rate-limit counters live in the cache (Redis db 1): start every test clean.

    Only this suite's keys (its KEY_PREFIX) are removed: other suites may share the database.
    A test of pure code (marked ``pure``, :data:`PURE_MODULES`) uses no cache: it runs without Redis.
    """
    if request.node.get_closest_marker("pure"):
        return
    from django.conf import settings
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def org_a(db):
    return Organisation.objects.create(kind="centre", slug="centre-a", name="Centre A", ville="Lyon")


@pytest.fixture
def org_b(db):
    return Organisation.objects.create(kind="centre", slug="centre-b", name="Centre B", ville="Nantes")


@pytest.fixture
def certificateur_org(db):
    return Organisation.objects.create(
        kind="certificateur", slug="certif-x", name="Certificateur X", ville="Paris"
    )


def make_member(org, role, email=None):
    user = UserFactory(email=email or f"{role}-{org.slug}@test.local")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return membership_add(user=user, organisation=org, role=role)


@pytest.fixture
def member_factory(db):
    return make_member


@pytest.fixture
def alice(org_a):
    return make_member(org_a, Role.GESTIONNAIRE, "alice@test.local")


@pytest.fixture
def bob(org_b):
    return make_member(org_b, Role.GESTIONNAIRE, "bob@test.local")


@pytest.fixture
def charlie(db):
    user = UserFactory(email="charlie@test.local")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def client_for(client):
    """A test client logged in as a membership's user (or a user)."""

    def _login(who):
        user = getattr(who, "user", who)
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_for():
    """An API client authenticated with a token bound to ``membership``."""

    def _client(membership):
        _token, key = api_token_create(membership=membership, name="tests")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    return _client


# --- real Celery worker --------------------------------------------------------------------


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real ``celery worker`` against the test database and Redis, for tests marked ``worker``.

    Tests using it must be ``transactional_db`` so that their rows are committed and visible
    to the worker's own connections.
    """
    db = settings.DATABASES["default"]
    # A queue of this run's own: a worker left behind by an interrupted run of the same suite
    # (same TEST_DB_NAME) would otherwise take tasks meant for this one.
    queue = f"celery-{settings.TEST_DB_NAME}-{os.getpid()}"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.worker_test",
        TEST_DATABASE_NAME=db["NAME"],
        # This suite's names (cache prefix, file storage), the xdist worker id included.
        TEST_DB_NAME=settings.TEST_DB_NAME,
        TEST_CELERY_QUEUE=queue,  # the worker's own sends (CELERY_TASK_DEFAULT_QUEUE)
        PYTHONPATH=str(ROOT),
    )
    log_path = ROOT / "var" / f"test-worker-{settings.TEST_DB_NAME}.log"
    log = open(log_path, "w") if log_path.parent.is_dir() else subprocess.DEVNULL
    # Other test runs share the broker: only this worker's answer to the ping says it is ready.
    nodename = f"test-{os.getpid()}@{os.uname().nodename}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "-n",
            nodename,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Le worker Celery de test s'est arrêté au démarrage (voir {log_path}).")
        if app.control.ping(destination=[nodename], timeout=0.5):
            break
    else:
        raise RuntimeError("Le worker Celery de test ne répond pas.")
    proc.queue = queue  # type: ignore[attr-defined]
    yield proc
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def real_celery(settings, celery_worker_process):
    """Dispatch tasks to the real worker instead of running them in-process."""
    from config.celery import app

    previous_queue = app.conf.task_default_queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.task_default_queue = celery_worker_process.queue
    yield app
    app.conf.task_always_eager = True
    app.conf.task_default_queue = previous_queue


def wait_for(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("Condition non atteinte dans le délai imparti.")


# --- the slow tests ------------------------------------------------------------------------------

#: Modules whose tests are slow by nature (a browser, a real worker, a fresh demo, scale runs).
SLOW_MODULES = ("tests/browser/", "tests/demo/", "tests/reliability/", "test_scale.py", "test_benchmark.py")


#: Modules whose tests share one costly module-scoped resource (a Chromium, a client generated from
#: the schema): under pytest-xdist each runs whole on one worker rather than building it twice. A
#: browser module also keeps its journeys one after the other: two seed journeys rendering and
#: sealing their PVs at once on a loaded 2-core machine took the signing request past its timeout.
WHOLE_MODULES = ("tests/browser/", "tests/api/test_generated_client")

#: Modules of pure code (the règle engine, the kernel's dates and numbers, parsers): they need
#: neither PostgreSQL nor Redis (``make test-pure`` runs them with neither); marked ``pure``.
PURE_MODULES = (
    "tests/referentiels/test_regles.py",
    "tests/referentiels/test_regles_parcours_seed004.py",
    "tests/referentiels/test_rncp_parser.py",
    "tests/juries/test_rules.py",
    "tests/juries/test_natural_order.py",
    "tests/candidates/test_validators.py",
    "tests/certificateur/test_cdc.py",
    "tests/core/",
    "tests/test_architecture.py",
)

#: Under pytest-xdist the longest modules are handed out first (whole modules, in this order, the
#: others after them in their usual order), so that they never form the tail of a run while the
#: other worker is idle: each seed journey takes minutes.
LONG_FIRST = ("tests/browser/test_seed_journeys.py", "tests/browser/", "tests/reliability/", "tests/demo/")


def long_first_rank(path: str) -> int:
    """The rank of a test's module in the order of a pytest-xdist run (0 first)."""
    return next((i for i, prefix in enumerate(LONG_FIRST) if path.startswith(prefix)), len(LONG_FIRST))


def xdist_group_of(path: str, item) -> str | None:
    """The pytest-xdist group of a test (``--dist loadgroup``, set in pyproject.toml): tests of one
    group run on one worker, one after the other; the others are spread one by one.

    - a browser or generated-client module: its module-scoped resource is built once;
    - the tests on the real Celery worker: one worker process starts per run, not one per pytest
      worker (each would be correct — its own queue — but they cost two processes and a start-up);
    - the fault-injection tests: they start and kill Celery workers and Redis servers of their own
      and time the recovery: one at a time.
    """
    if path.startswith(WHOLE_MODULES):
        return path
    if path.startswith("tests/reliability/"):
        return "reliability"
    if item.get_closest_marker("worker"):
        return "celery-worker"
    return None


def pytest_itemcollected(item):
    """``slow``: browser journeys, tests with the real Celery worker and the modules above;
    ``make test-fast`` leaves them out. ``xdist_group``: see :func:`xdist_group_of` (set as each
    test is collected: pytest-xdist reads the groups in its ``pytest_collection_modifyitems``)."""
    path = item.path.relative_to(ROOT).as_posix()
    if path.startswith(SLOW_MODULES) or path.endswith(SLOW_MODULES) or item.get_closest_marker("worker"):
        item.add_marker(pytest.mark.slow)
    if path.startswith(PURE_MODULES):
        item.add_marker(pytest.mark.pure)
    group = xdist_group_of(path, item)
    if group and not item.get_closest_marker("xdist_group"):
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """pytest-xdist (3.8) tells the scheduler a test's group by suffixing its node id with
    ``@group`` — through ``item._nodeid``, which pytest 9's node ids (``item._id``) no longer read,
    so the groups were silently ignored. Apply the same suffix here when xdist's did not take.

    Schemathesis (4.32) names each operation's test ``test_x[GET /api/…]`` but its node id stays
    ``…::test_x`` under pytest 9: every operation of a fuzz test shares one node id, and xdist, which
    schedules by node id, ran one operation per test (3 items instead of 447). Each such item gets
    its name back in its node id first.

    Under pytest-xdist the longest modules come first (:data:`LONG_FIRST`); the scheduler hands out
    the groups first anyway (largest first), then the other tests in this order."""
    from _pytest.nodeid import coerce_node_id

    for item in items:
        if "[" in item.name and not item.nodeid.endswith(item.name):
            item._id = coerce_node_id(f"{item.nodeid.rsplit('::', 1)[0]}::{item.name}")
    if not hasattr(config, "workerinput"):
        return
    # Stable: each module stays whole and in its order; every worker sorts its (same) collection alike.
    items.sort(key=lambda item: long_first_rank(item.path.relative_to(ROOT).as_posix()))
    if not config.getvalue("loadgroup"):
        return

    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if marker and "@" not in item.nodeid:
            item._id = coerce_node_id(f"{item.nodeid}@{marker.args[0]}")
