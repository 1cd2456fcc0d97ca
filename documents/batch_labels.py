"""Human labels for document batches (the « Lot » filter), instead of their internal keys such as
``evaluations:epreuve:<uuid>:convocations``.

Documents sits below the apps that issue batches (evaluations, juries), so it cannot read their
models: each of them registers a *labeller* for the first segment of its keys, from its
``AppConfig.ready()``::

    from documents.batch_labels import register_batch_labeller

    register_batch_labeller("jury", jury_batch_labels)

A labeller receives the keys that start with its prefix and returns ``{key: label}`` for those it
knows (one query for any number of keys); any other key reads « Autre lot ».
"""

import uuid
from collections.abc import Callable, Iterable

BatchLabeller = Callable[[list[str]], dict[str, str]]

_LABELLERS: dict[str, BatchLabeller] = {}


def register_batch_labeller(prefix: str, labeller: BatchLabeller) -> BatchLabeller:
    _LABELLERS[prefix] = labeller
    return labeller


def key_uuid(text: str) -> uuid.UUID | None:
    """The UUID inside a batch key's segment, or None (a malformed key is « Autre lot »)."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def batch_labels(keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    by_prefix: dict[str, list[str]] = {}
    for key in keys:
        by_prefix.setdefault(key.split(":", 1)[0], []).append(key)
    labels: dict[str, str] = {}
    for prefix, group in by_prefix.items():
        if prefix in _LABELLERS:
            labels.update(_LABELLERS[prefix](group))
    return {key: labels.get(key, "Autre lot") for key in keys}
