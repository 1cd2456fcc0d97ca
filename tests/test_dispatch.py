"""core.dispatch: services name the task they hand to a worker; it is sent once the transaction commits."""

import pytest
from django.db import connection

from core.dispatch import UnknownTask, enqueue_on_commit, task_by_name
from documents.tasks import documents_stale_dispatch


def test_a_task_is_found_by_its_dotted_path():
    task = task_by_name("documents.tasks.documents_stale_dispatch")
    assert task is documents_stale_dispatch._get_current_object()  # the module holds a proxy


@pytest.mark.parametrize("name", ["documents.tasks.no_such_task", "no_such_app.tasks.render"])
def test_a_misspelt_name_fails_in_the_service_not_after_the_commit(name):
    with pytest.raises(UnknownTask, match=f"Tâche inconnue : {name}"):
        enqueue_on_commit(name, organisation_id=1)


@pytest.mark.django_db
def test_the_task_is_sent_after_the_commit_only(django_capture_on_commit_callbacks, org_a):
    """Nothing is sent while the transaction may still roll back; on commit it runs (eager here)."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        pending = len(connection.run_on_commit)
        enqueue_on_commit("documents.tasks.documents_stale_dispatch", stale_after_seconds=3600)
        assert len(connection.run_on_commit) == pending + 1  # registered for the commit, not sent
    assert len(callbacks) == 1  # sent (run eagerly in the test settings) at the commit
