"""Load the demo world: organisations and users, then each app's demo data. Idempotent."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

# Apps contributing demo data, in dependency order; each has ``<app>.demo.seed(stdout)``.
DEMO_MODULES = [
    "organisations",
    "referentiels",
    "candidates",
    "evaluations",
    "juries",
    "certificateur",
    "espace_candidat",
]


class Command(BaseCommand):
    help = "Charge le monde de démonstration (organisations, utilisateurs, référentiels, dossiers)."

    def handle(self, *args, **options):
        from organisations.demo import DEMO_PASSWORD, USERS

        with transaction.atomic():
            for name in DEMO_MODULES:
                try:
                    module = importlib.import_module(f"{name}.demo")
                except ModuleNotFoundError:
                    continue
                module.seed(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Monde de démonstration prêt. Connexions (mot de passe : {DEMO_PASSWORD}) :")
        )
        for email, _first, _last, roles in USERS:
            self.stdout.write(f"  {email:32} " + ", ".join(f"{role.label} @ {slug}" for slug, role in roles))
        self.stdout.write("  superadmin@demo.demo             superutilisateur (/admin/)")
        self.stdout.write(
            "  candidat@cci-lyon.demo           candidat @ cci-campus-lyon (code de connexion par e-mail, affiché dans la console)"
        )
