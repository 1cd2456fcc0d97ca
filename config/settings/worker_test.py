"""Settings of the Celery worker started by the test suite: the test database, real broker."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
CELERY_TASK_ALWAYS_EAGER = False
# Probe tasks of the test suite (tests/organisations/celery_probes.py) run on this worker too.
CELERY_IMPORTS = ["tests.organisations.celery_probes"]
