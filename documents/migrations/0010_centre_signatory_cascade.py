"""A centre's name for a certificateur's signatory goes with that signatory, in the database.

The certificateur edits its issuance rules in its own tenant; the names the centres gave its
signatories (``CentreSignatoryName``) live in each centre's tenant, under row-level security, where
the certificateur reads nothing. Django's cascade only deletes the rows it can read, so removing a
signatory a centre had named failed at commit (foreign key). Referential actions bypass row-level
security: the foreign key itself cascades now (PostgreSQL; SQLite keeps Django's cascade).
"""

from django.db import migrations

TABLE = "documents_centresignatoryname"


def _constraint(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conname FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
             WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND a.attname = 'signatory_id'
            """,
            [TABLE],
        )
        return cursor.fetchone()[0]


def _recreate(schema_editor, on_delete: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    name = _constraint(schema_editor)
    schema_editor.execute(f'ALTER TABLE "{TABLE}" DROP CONSTRAINT "{name}"')
    schema_editor.execute(
        f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{name}" FOREIGN KEY ("signatory_id") '
        f'REFERENCES "documents_issuancesignatory" ("id") {on_delete} DEFERRABLE INITIALLY DEFERRED'
    )


def forwards(apps, schema_editor):
    _recreate(schema_editor, "ON DELETE CASCADE")


def backwards(apps, schema_editor):
    _recreate(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("documents", "0009_issuer_and_references")]

    operations = [migrations.RunPython(forwards, backwards)]
