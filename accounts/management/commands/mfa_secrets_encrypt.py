"""Encrypt every second-factor secret with the first key of MFA_SECRET_KEYS (rotation, or secrets
stored before encryption). Idempotent; see docs/secrets-at-rest.md."""

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.mfa import encrypt_all


class Command(BaseCommand):
    help = "Chiffre (ou rechiffre avec la première clé de MFA_SECRET_KEYS) tous les secrets TOTP."

    def handle(self, *args, **options):
        with transaction.atomic():
            written = encrypt_all(Authenticator)
        self.stdout.write(f"{written} secret(s) chiffré(s) avec la clé courante.")
