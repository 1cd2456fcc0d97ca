"""Second-factor secrets encrypted at rest (allauth's MFA adapter ``encrypt``/``decrypt`` hooks).

allauth stores each TOTP secret and each recovery-code seed in ``mfa_authenticator.data``; this
adapter stores them as ``fernet:<token>``, encrypted with the first key of ``MFA_SECRET_KEYS``
(environment, comma-separated Fernet keys). Every listed key decrypts, so a key is rotated by
putting the new one first, running ``manage.py mfa_secrets_encrypt`` (re-encrypts every secret with
the first key) and then removing the old one — docs/secrets-at-rest.md.

A value without the prefix is a secret written before encryption existed: it is still read, and
the migration ``accounts.0002_encrypt_mfa_secrets`` (or the command) encrypts it.
"""

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fernet:"
#: Secret fields of ``Authenticator.data`` (TOTP secret, recovery-code seed, migrated codes).
SECRET_FIELDS = ("secret", "seed")
SECRET_LISTS = ("migrated_codes",)


def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "MFA_SECRET_KEYS", []) or [])
    if not keys:
        raise ImproperlyConfigured("MFA_SECRET_KEYS est vide : aucune clé pour chiffrer les secrets TOTP.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "MFA_SECRET_KEYS : chaque clé doit être une clé Fernet (32 octets en base64 URL)."
        ) from exc


def encrypt(text: str) -> str:
    return PREFIX + _fernet().encrypt(text.encode()).decode("ascii")


def decrypt(value: str) -> str:
    if not value.startswith(PREFIX):
        return value  # written before encryption: read, and encrypted by the migration/command
    try:
        return _fernet().decrypt(value[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "Secret TOTP illisible avec les clés de MFA_SECRET_KEYS (clé retirée trop tôt ?)."
        ) from exc


def encrypt_data(data: dict) -> tuple[dict, bool]:
    """``data`` with every secret encrypted with the first key (plain ones encrypted, encrypted
    ones re-encrypted: rotation); returns (new data, changed)."""
    fernet = _fernet()

    def one(value: str) -> str:
        if value.startswith(PREFIX):
            return PREFIX + fernet.rotate(value[len(PREFIX) :].encode("ascii")).decode("ascii")
        return encrypt(value)

    new = dict(data)
    for field in SECRET_FIELDS:
        if isinstance(new.get(field), str):
            new[field] = one(new[field])
    for field in SECRET_LISTS:
        if isinstance(new.get(field), list):
            new[field] = [one(v) if isinstance(v, str) else v for v in new[field]]
    return new, new != data


def encrypt_all(authenticator_model) -> int:
    """Encrypt (or re-encrypt with the first key) every stored secret; returns the rows written."""
    written = 0
    for authenticator in authenticator_model.objects.all().only("pk", "data").iterator():
        data, changed = encrypt_data(authenticator.data or {})
        if changed:
            authenticator_model.objects.filter(pk=authenticator.pk).update(data=data)
            written += 1
    return written


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt(encrypted_text)
