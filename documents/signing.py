"""The platform's seal identity, from settings (``SIGNING_KEY_PATH`` / ``SIGNING_CERT_PATH``).

Production provides both files (its settings refuse to start without the variables). In the
demo and the tests, a self-signed identity is generated at those paths on first use.
"""

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from documents.sealing import ensure_dev_signing_identity


def _dev_identity_allowed() -> bool:
    explicit = getattr(settings, "SIGNING_DEV_IDENTITY", None)
    if explicit is not None:
        return bool(explicit)
    return not str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".production")


def signing_identity() -> tuple[Path, Path]:
    """``(key_path, cert_path)`` of the seal; creates the demo identity when allowed and missing."""
    key, cert = Path(settings.SIGNING_KEY_PATH), Path(settings.SIGNING_CERT_PATH)
    if key.is_file() and cert.is_file():
        return key, cert
    if not _dev_identity_allowed():
        raise ImproperlyConfigured(f"Clé ou certificat de scellement introuvable : {key}, {cert}.")
    dev_key, dev_cert = ensure_dev_signing_identity(key.parent)
    for source, target, mode in ((dev_key, key, 0o600), (dev_cert, cert, 0o644)):
        if source == target or target.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy then rename: a concurrent first use never reads a half-written file.
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(source, tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    return key, cert
