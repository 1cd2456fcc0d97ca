"""Blocs, capacités, critères and modalités get a public UUID, the id the API shows and accepts
(issue 17 « every object is referenced by its id »); the integer primary keys stay internal.

Existing rows must each get their own UUID, and a row-by-row UPDATE of a published version is
refused by the published-version guards of 0002 on PostgreSQL. So the column is added per database:
- PostgreSQL: ``ADD COLUMN … NOT NULL DEFAULT gen_random_uuid()`` — the default is volatile, so
  PostgreSQL evaluates it for each row while it rewrites the table (no UPDATE, no trigger fired);
  the default is then dropped (the application always sends ``uuid4``);
- SQLite (the embedded demo, no guards): the column is added, each row filled, then indexed unique.
The model's state is the plain ``UUIDField(default=uuid4, unique=True)``.
"""

import uuid

from django.db import migrations, models

MODELS = ["bloc", "capacite", "critere", "modalite"]


def add_public_ids(apps, schema_editor):
    connection = schema_editor.connection
    quote = schema_editor.quote_name
    for name in MODELS:
        table = apps.get_model("referentiels", name)._meta.db_table
        index = f"{table}_public_id_uniq"
        if connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE {quote(table)} ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid()"
            )
            schema_editor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN public_id DROP DEFAULT")
            schema_editor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(index)} UNIQUE (public_id)")
        else:
            schema_editor.execute(f"ALTER TABLE {quote(table)} ADD COLUMN public_id char(32) NULL")
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT id FROM {quote(table)}")
                ids = [row[0] for row in cursor.fetchall()]
                cursor.executemany(
                    f"UPDATE {quote(table)} SET public_id = %s WHERE id = %s",
                    [(uuid.uuid4().hex, pk) for pk in ids],
                )
            schema_editor.execute(f"CREATE UNIQUE INDEX {quote(index)} ON {quote(table)} (public_id)")


def remove_public_ids(apps, schema_editor):
    quote = schema_editor.quote_name
    for name in MODELS:
        table = apps.get_model("referentiels", name)._meta.db_table
        if schema_editor.connection.vendor != "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(table + '_public_id_uniq')}")
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP COLUMN public_id")


def check_filled(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("referentiels", name)
        missing = model.objects.filter(public_id__isnull=True).count()
        if missing:  # pragma: no cover - every row was given one above
            raise RuntimeError(f"{name}: {missing} ligne(s) sans identifiant public")


class Migration(migrations.Migration):
    dependencies = [("referentiels", "0006_enregistrement")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_public_ids, remove_public_ids)],
            state_operations=[
                migrations.AddField(
                    model_name=name,
                    name="public_id",
                    field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                )
                for name in MODELS
            ],
        ),
        migrations.RunPython(check_filled, migrations.RunPython.noop),
    ]
