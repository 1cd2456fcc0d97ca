from django.core.management.base import BaseCommand, CommandError

from referentiels.exchange import document_dumps
from referentiels.models import Referentiel
from referentiels.services import referentiel_export


class Command(BaseCommand):
    help = "Exporte une version de référentiel au format certif-referentiel/1."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--version", type=int, dest="ref_version")
        parser.add_argument("--format", choices=["json", "yaml"], default="json")

    def handle(self, *args, **options):
        qs = Referentiel.objects.filter(code=options["code"]).order_by("-version")
        if options["ref_version"]:
            qs = qs.filter(version=options["ref_version"])
        referentiel = qs.first()
        if referentiel is None:
            raise CommandError(f"Référentiel introuvable : {options['code']}")
        self.stdout.write(
            document_dumps(referentiel_export(referentiel=referentiel), fmt=options["format"]), ending=""
        )
