"""Jury composition rules become data of the référentiel version (issue 18, point 3).

``composition_jury`` (JSON, ``{}``: the family's default) is added, then each existing version is
filled with the rules its family had in code (``juries.rules`` until now): RNCP36390 its règlement
d'examen's jury (seed 004, §7), a CQPM the paritaire jury, any other the plain one — so every
existing référentiel behaves exactly as before. The rules are frozen here as literals (not imported
from the application: a migration must not change when the code does).

The published-version guard of 0002 refuses any UPDATE of a published row on PostgreSQL: the fill
runs with that trigger disabled (owner role), and re-enables it in the same transaction.
"""

from django.db import migrations, models

RNCP36390 = {   'libelle': 'Jury de certification CCI France (RNCP36390)',
    'roles': {'president': 1, 'professionnel': 2, 'representant': 1},
    'minimum_votants': 4,
    'president_personnalite_qualifiee': True,
    'representant_sans_formation': True,
    'paritaire': False,
    'annees_metier_min': 1,
    'inactivite_max_annees': 3,
    'observateurs_admis': True,
    'delai_publication_semaines': 6,
    'notes_epreuves_confidentielles': True,
    'texte': '4 personnes : 1 président, personnalité qualifiée du monde économique ; 2 '
             'professionnels qualifiés représentatifs du métier cible ; 1 représentant de '
             "l'établissement n'ayant pas formé les apprenants. Observateur admis. Chaque membre a "
             "exercé ou encadré le métier cible au moins 1 an et n'est pas inactif depuis plus de "
             '3 ans.'}

CQPM = {   'libelle': 'Jury de délibération paritaire (CQPM)',
    'roles': {'president': 1},
    'minimum_votants': 2,
    'president_personnalite_qualifiee': False,
    'representant_sans_formation': False,
    'paritaire': True,
    'annees_metier_min': None,
    'inactivite_max_annees': None,
    'observateurs_admis': True,
    'delai_publication_semaines': None,
    'notes_epreuves_confidentielles': False,
    'texte': 'Jury paritaire : autant de membres du collège employeurs que du collège salariés (au '
             'moins un de chaque), présidé par un membre du collège employeurs.'}

DEFAULT = {   'libelle': 'Jury de délibération',
    'roles': {'president': 1},
    'minimum_votants': 2,
    'president_personnalite_qualifiee': False,
    'representant_sans_formation': False,
    'paritaire': False,
    'annees_metier_min': None,
    'inactivite_max_annees': None,
    'observateurs_admis': True,
    'delai_publication_semaines': None,
    'notes_epreuves_confidentielles': False,
    'texte': 'Un président et au moins un autre membre votant.'}


def fill(apps, schema_editor):
    Referentiel = apps.get_model("referentiels", "Referentiel")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE referentiels_referentiel DISABLE TRIGGER referentiel_guard_version")
    Referentiel.objects.filter(code="RNCP36390").update(composition_jury=RNCP36390)
    Referentiel.objects.exclude(code="RNCP36390").filter(kind="CQPM").update(composition_jury=CQPM)
    Referentiel.objects.exclude(code="RNCP36390").exclude(kind="CQPM").update(composition_jury=DEFAULT)
    if postgres:
        schema_editor.execute("ALTER TABLE referentiels_referentiel ENABLE TRIGGER referentiel_guard_version")


class Migration(migrations.Migration):
    dependencies = [("referentiels", "0007_public_ids_blocs_capacites_criteres_modalites")]

    operations = [
        migrations.AddField(
            model_name="referentiel",
            name="composition_jury",
            field=models.JSONField(blank=True, default=dict, verbose_name="composition du jury"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
