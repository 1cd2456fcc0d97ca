"""Extension points of the juries app for the apps built on top of it (e.g. the candidate's space).

``register_publication_listener(fn)``: ``fn(jury=..., by=...)`` is called inside the publication's
transaction, once the results are published (« Publier les résultats »). A listener that must
reach the outside world (e-mails) defers it with ``transaction.on_commit``.
"""

from collections.abc import Callable

_PUBLICATION: list[Callable[..., None]] = []


def register_publication_listener(listener: Callable[..., None]) -> Callable[..., None]:
    if listener not in _PUBLICATION:
        _PUBLICATION.append(listener)
    return listener


def publication_listeners() -> list[Callable[..., None]]:
    return list(_PUBLICATION)
