"""Fault injection: a Celery worker of our own that a test may SIGKILL and start again.

The suite-wide worker (``tests/conftest.py``) is shared and must survive; the worker here
listens on its own queue (``celery-<TEST_DB_NAME>-faults``), so killing it leaves every other
test alone and no other worker can pick up its tasks behind the test's back.
"""

import os
import signal
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

REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
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

    @property
    def nodename(self) -> str:
        return f"faults{self.generation}-{os.getpid()}@{os.uname().nodename}"

    def start(self, timeout: float = 60.0) -> float:
        self.generation += 1
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.worker_test",
            TEST_DATABASE_NAME=settings.DATABASES["default"]["NAME"],
            TEST_DB_NAME=self.test_db_name,  # → CELERY_TASK_DEFAULT_QUEUE of the worker's own sends
            PYTHONPATH=str(ROOT),
        )
        log = open(ROOT / "var" / f"test-fault-worker-{self.generation}.log", "w")  # noqa: SIM115
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


@pytest.fixture
def fault_worker(settings, transactional_db):
    """A killable worker; tasks sent by the test go to its private queue while the test runs."""
    from config.celery import app

    test_db_name = f"{settings.TEST_DB_NAME}-faults"
    queue = f"celery-{test_db_name}"
    previous = app.conf.task_default_queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    worker = FaultWorker(app, queue, test_db_name)
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        app.conf.task_default_queue = previous
        app.conf.task_always_eager = True
        _purge(app, queue)


def _purge(app, queue: str) -> None:
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
    except Exception:  # noqa: BLE001, S110 - best effort: the queue is private to these tests
        pass
