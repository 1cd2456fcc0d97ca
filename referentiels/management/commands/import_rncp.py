import time

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.exchange import FormatError
from referentiels.rncp import RncpError
from referentiels.rncp_import import rncp_import


class Command(BaseCommand):
    help = "Importe un export RNCP/RS de France compétences (XML, flux V4.1) en brouillons de référentiels."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--fiche", action="append", default=[], help="numéro de fiche à importer (répétable)"
        )
        parser.add_argument(
            "--certificateur", required=True, help="identifiant (slug) de l'organisation certificatrice"
        )
        parser.add_argument("--dry-run", action="store_true", help="vérifier et résumer sans rien écrire")

    def handle(self, *args, **options):
        try:
            certificateur = Organisation.objects.get(slug=options["certificateur"], kind="certificateur")
        except Organisation.DoesNotExist:
            raise CommandError(f"Certificateur inconnu : {options['certificateur']}") from None
        numeros = {n.upper() for n in options["fiche"]} or None
        start = time.perf_counter()
        try:
            report = rncp_import(
                source=options["file"],
                filename=options["file"],
                certificateur=certificateur,
                numeros=numeros,
                dry_run=options["dry_run"],
                progress=lambda n: self.stderr.write(f"  {n} fiches…"),
            )
        except (ApplicationError, RncpError, FormatError, OSError) as exc:
            # str() of a FormatError names the file and the element, not only its message.
            raise CommandError(str(exc)) from None
        elapsed = time.perf_counter() - start
        verb = "vérifiées (aucune écriture)" if report.dry_run else "importées"
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.total} fiche(s) {verb} en {elapsed:.1f} s ; {report.habilitations} habilitation(s)."
            )
        )
        if report.skipped_total:
            self.stdout.write(
                self.style.WARNING(
                    f"{report.skipped_total} fiche(s) ignorée(s) : {certificateur.name} n'en est pas certificateur."
                )
            )
            for fiche in report.skipped:
                self.stdout.write(f"  {fiche.code} ignorée : {fiche.raison}")
