"""The platform's storages: private files (pièces, imports, issued documents) never live under a
public URL; they are served by permission-checked views."""

from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    """The private storage (``STORAGES["private"]``), resolved at call time so tests can swap it."""
    return storages["private"]
