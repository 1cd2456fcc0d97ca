"""Fault injection: a Celery worker of our own that a test may SIGKILL and start again.

The suite-wide worker (``tests/conftest.py``) is shared and must survive; the worker here
listens on its own queue (``celery-<TEST_DB_NAME>-faults``) of its own Redis (a free port), so
killing it, or shutting its Redis down, leaves every other test and every other suite running on
the machine alone, and no other worker can pick up its tasks behind the test's back.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.certificateur.conftest import cci_user, world  # noqa: F401 - fixtures
from tests.conftest import ROOT
from tests.evaluations.conftest import referentiels  # noqa: F401 - fixture
from tests.juries.conftest import panel  # noqa: F401 - fixture


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_start_command(port: int) -> list[str]:
    """A Redis without persistence on ``port``, for the fault tests only: shutting it down must not
    wipe the queues of the other suites that share the machine's Redis (6379)."""
    return [
        "redis-server",
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        "/tmp",
        "--logfile",
        f"/tmp/certif-fault-redis-{port}.log",
    ]


def children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (the prefork pool processes of a worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class FaultWorker:
    """Start, kill (whole process group or one pool child) and restart a worker on a private queue."""

    def __init__(self, app, queue: str, test_db_name: str):
        self.app, self.queue, self.test_db_name = app, queue, test_db_name
        self.proc: subprocess.Popen | None = None
        self.generation = 0
        self.redis_port = 0  # set by the fixture: the port of the fault tests' own Redis

    @property
    def nodename(self) -> str:
        return f"faults{self.generation}-{os.getpid()}@{os.uname().nodename}"

    def start(self, timeout: float = 60.0) -> float:
        self.generation += 1
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.worker_test",
            TEST_DATABASE_NAME=settings.DATABASES["default"]["NAME"],
            # The suite's database, cache prefix and file storage (under pytest-xdist too: the name
            # already carries the worker id) ...
            TEST_DB_NAME=settings.TEST_DB_NAME,
            # ... and the private queue for the worker's own sends (CELERY_TASK_DEFAULT_QUEUE).
            TEST_CELERY_QUEUE=self.queue,
            PYTHONPATH=str(ROOT),
        )
        log = open(ROOT / "var" / f"test-fault-worker-{settings.TEST_DB_NAME}-{self.generation}.log", "w")  # noqa: SIM115
        started = time.monotonic()
        self.proc = subprocess.Popen(
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
                "--without-heartbeat",
                "-Q",
                self.queue,
                "-n",
                self.nodename,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready(timeout)
        return time.monotonic() - started

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("Le worker de test (pannes) s'est arrêté au démarrage.")
            try:
                if self.app.control.ping(destination=[self.nodename], timeout=0.5):
                    return
            except Exception:  # noqa: BLE001 - the broker itself may be coming back
                time.sleep(0.2)
        raise RuntimeError("Le worker de test (pannes) ne répond pas.")

    def kill_pool_child(self) -> int:
        pids = children(self.proc.pid)
        assert pids, "no pool process"
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    def kill_all(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def redis_up(port: int) -> bool:
    ping = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)
    return ping.stdout.strip() == "PONG"


def _use_broker(app, url: str) -> None:
    """Point this process's Celery app at ``url`` (connection pools built for the old one dropped).

    kombu keeps its connection and producer pools in process-wide registries keyed by broker: the
    pool closed here must leave them too, or pointing back at the suite's broker would hand the
    closed pool out again (« Acquire on closed pool » on every later ``delay()`` of this process,
    eager ones included — seen once pytest-xdist ran these tests before others on a worker)."""
    import kombu.pools

    app.conf.broker_url = url
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def private_redis(monkeypatch):
    """A Redis of the fault tests' own (a free port): the test may shut it down at will."""
    from config.celery import app

    port = free_port()
    subprocess.run(redis_start_command(port), check=True, timeout=20)
    deadline = time.monotonic() + 20
    while not redis_up(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    url = f"redis://127.0.0.1:{port}/0"
    previous = app.conf.broker_url
    monkeypatch.setenv("REDIS_URL", url)  # → the fault worker's broker
    _use_broker(app, url)
    try:
        yield port
    finally:
        _use_broker(app, previous)
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=10)


@pytest.fixture
def fault_worker(settings, transactional_db, private_redis):
    """A killable worker on its own Redis; tasks sent by the test go to its private queue."""
    from config.celery import app

    test_db_name = f"{settings.TEST_DB_NAME}-faults"
    queue = f"celery-{test_db_name}"
    previous = app.conf.task_default_queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    worker = FaultWorker(app, queue, test_db_name)
    worker.redis_port = private_redis
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        _purge(app, queue)
        app.conf.task_default_queue = previous
        app.conf.task_always_eager = True


def _purge(app, queue: str) -> None:
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
    except Exception:  # noqa: BLE001, S110 - best effort: the queue is private to these tests
        pass
