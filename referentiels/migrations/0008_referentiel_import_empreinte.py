"""The RNCP import's fingerprints move out of ``source`` into two narrow columns: storing them was
an UPDATE that decompressed, extended and recompressed each draft's ``source`` (~20 KB of JSON per
fiche), a third of the import's database time. Drafts imported before keep their old keys in
``source`` (nothing reads them now) and are written once more by their next import."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referentiels", "0007_public_ids_blocs_capacites_criteres_modalites")]

    operations = [
        migrations.AddField(
            model_name="referentiel",
            name="import_empreinte",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="empreinte de la fiche importée"
            ),
        ),
        migrations.AddField(
            model_name="referentiel",
            name="import_contenu",
            field=models.CharField(
                blank=True, default="", max_length=32, verbose_name="empreinte du contenu importé"
            ),
        ),
    ]
