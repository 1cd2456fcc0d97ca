"""A tiny in-process event registry: a lower app tells the apps above it what happened.

Dependencies flow one way (DESIGN.md); ``documents`` or ``evaluations`` cannot import the apps
built on them, so they *publish* a named event and those apps *subscribe* from their
``AppConfig.ready()``. Listeners run synchronously, inside the publisher's transaction: one that
reaches the outside world (an e-mail) defers it with ``transaction.on_commit``.

Events: ``document.ready`` (``document``: an ``IssuedDocument`` just rendered — a first issue or a
re-issue, ``version`` says which), ``convocation.sent`` (``convocation``: an e-mailed one),
``jury.frozen`` (``jury``: its procès-verbal's last signature has just frozen the deliberation).
"""

from collections import defaultdict
from collections.abc import Callable

_LISTENERS: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(event: str, listener: Callable[..., None]) -> Callable[..., None]:
    if listener not in _LISTENERS[event]:
        _LISTENERS[event].append(listener)
    return listener


def publish(event: str, **payload) -> None:
    for listener in list(_LISTENERS.get(event, ())):
        listener(**payload)
