from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.exchange import FormatError, document_parse
from referentiels.services import referentiel_import, referentiel_publish


class Command(BaseCommand):
    help = "Importe un référentiel au format certif-referentiel/1 (JSON ou YAML) comme brouillon."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--certificateur", required=True, help="identifiant (slug) de l'organisation certificatrice"
        )
        parser.add_argument(
            "--replace", action="store_true", help="remplacer un brouillon existant de même version"
        )
        parser.add_argument("--publish", action="store_true", help="publier après import")

    def handle(self, *args, **options):
        try:
            certificateur = Organisation.objects.get(slug=options["certificateur"], kind="certificateur")
        except Organisation.DoesNotExist:
            raise CommandError(f"Certificateur inconnu : {options['certificateur']}") from None
        try:
            with open(options["file"], "rb") as fh:
                doc = document_parse(fh.read(), options["file"])
            referentiel = referentiel_import(
                doc=doc, certificateur=certificateur, replace_draft=options["replace"]
            )
            if options["publish"]:
                referentiel_publish(referentiel=referentiel, by=certificateur)
        except (FormatError, ApplicationError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Importé : {referentiel} ({referentiel.get_status_display()})"))
