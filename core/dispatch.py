"""Enqueue a Celery task by its name once the transaction commits: how services start work on a worker.

One direction only inside an app: ``tasks`` import ``services`` (a task is a thin entry point around
a service), services never import ``tasks``. A service that hands work to a worker names the task
(``"documents.tasks.document_render_task"``, its dotted path: Celery's default name) and
:func:`enqueue_on_commit` resolves it in Celery's registry — importing its module the first time,
at run time — then sends it after the commit, so the worker reads committed rows (nothing is sent
for a transaction that rolls back). The task object is resolved before the commit: a misspelt name
fails in the service, inside its transaction, not later in a commit hook.

Resolving through the registry (not ``send_task``) keeps the task's own options (queue, retries,
``acks_late``) and the embedded mode's eager run (``task_always_eager``).
"""

from importlib import import_module
from typing import Any

from celery import current_app
from django.db import transaction


class UnknownTask(LookupError):
    """A name given to :func:`enqueue_on_commit` that no ``tasks`` module defines."""


def task_by_name(name: str) -> Any:
    """The registered Celery task called ``name`` (its module is imported if it was not yet)."""
    tasks = current_app.tasks
    if name not in tasks:
        module, _, _ = name.rpartition(".")
        try:
            import_module(module)
        except ImportError as exc:
            raise UnknownTask(f"Tâche inconnue : {name}") from exc
    if name not in tasks:
        raise UnknownTask(f"Tâche inconnue : {name}")
    return tasks[name]


def enqueue_on_commit(name: str, **kwargs: Any) -> None:
    """Send the task ``name`` with ``kwargs`` once the current transaction commits (at once outside one)."""
    task = task_by_name(name)
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs))
