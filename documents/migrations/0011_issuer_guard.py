"""Who issued a document, once stored, never changes (issue 13: « impossible to forge »).

``IssuedDocument.issued_by`` / ``issued_by_name`` are written when the document is issued
(documents 0009); the approvals, the verification record and a civil-status re-issue read them. A
row that already names its issuing body refuses any other, in the database as for its number.
"""

from django.db import migrations

FORWARD = [
    """
CREATE OR REPLACE FUNCTION documents_guard_issuer() RETURNS trigger AS $$
BEGIN
  IF OLD.issued_by_id IS NOT NULL
     AND (NEW.issued_by_id IS DISTINCT FROM OLD.issued_by_id OR NEW.issued_by_name IS DISTINCT FROM OLD.issued_by_name) THEN
    RAISE EXCEPTION 'L''organisme qui a délivré le document % ne peut pas changer.', COALESCE(OLD.number, '(sans numéro)')
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER documents_guard_issuer BEFORE UPDATE ON documents_issueddocument
FOR EACH ROW EXECUTE FUNCTION documents_guard_issuer();
""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS documents_guard_issuer ON documents_issueddocument;",
    "DROP FUNCTION IF EXISTS documents_guard_issuer();",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("documents", "0010_centre_signatory_cascade")]

    operations = [migrations.RunPython(forwards, backwards)]
