"""Blocs, capacités, critères and modalités get a public UUID, the id the API shows and accepts
(issue 17 « every object is referenced by its id »); the integer primary keys stay internal.

Existing rows are filled as the column is added: ``DEFAULT gen_random_uuid()`` is volatile, so
PostgreSQL evaluates it for each row while it rewrites the table (a row-by-row UPDATE would be
refused by the published-version guards of 0002). The default stays for raw SQL inserts.
"""

import uuid

import django.contrib.postgres.functions
from django.db import migrations, models

MODELS = ["bloc", "capacite", "critere", "modalite"]


def check_filled(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("referentiels", name)
        missing = model.objects.filter(public_id__isnull=True).count()
        if missing:  # pragma: no cover - the column is NOT NULL with a default
            raise RuntimeError(f"{name}: {missing} ligne(s) sans identifiant public")


class Migration(migrations.Migration):
    dependencies = [("referentiels", "0006_enregistrement")]

    operations = [
        *[
            migrations.AddField(
                model_name=name,
                name="public_id",
                field=models.UUIDField(
                    db_default=django.contrib.postgres.functions.RandomUUID(),
                    default=uuid.uuid4,
                    editable=False,
                    unique=True,
                ),
            )
            for name in MODELS
        ],
        migrations.RunPython(check_filled, migrations.RunPython.noop),
    ]
