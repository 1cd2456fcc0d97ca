"""Row-level security on the tenant tables, and database guards on issued documents.

- ``documents_issueddocument`` and ``documents_documentversion`` are tenant tables: RLS enabled
  and forced (``EnableRowLevelSecurity``).
- A number, a verification code, the kind, the certificateur and the idempotency key never
  change once set; the version never goes back; a numbered document is never deleted (its
  number would become a gap, or be reused).
- A kept version is never changed or deleted.
- A counter never goes back and is never deleted.

The services say it first with a clear message; these triggers hold for raw SQL, the admin and
any ``update()``. PostgreSQL only (the embedded demo on SQLite relies on the services).
"""

from django.db import migrations

import organisations.rls

FORWARD = [
    """
CREATE OR REPLACE FUNCTION documents_guard_issued() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.number IS NOT NULL THEN
      RAISE EXCEPTION 'Le document n° % ne peut pas être supprimé : un numéro attribué est définitif.', OLD.number
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.number IS NOT NULL AND NEW.number IS DISTINCT FROM OLD.number THEN
    RAISE EXCEPTION 'Le numéro % d''un document délivré ne peut pas changer.', OLD.number
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.verification_code IS NOT NULL AND NEW.verification_code IS DISTINCT FROM OLD.verification_code THEN
    RAISE EXCEPTION 'Le code de vérification d''un document délivré ne peut pas changer.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.certificateur_id IS DISTINCT FROM OLD.certificateur_id
     OR NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key OR NEW.organisation_id IS DISTINCT FROM OLD.organisation_id THEN
    RAISE EXCEPTION 'Le type, le certificateur et la clé d''un document délivré ne peuvent pas changer.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.version < OLD.version THEN
    RAISE EXCEPTION 'La version d''un document ne peut pas diminuer.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER documents_guard_issued BEFORE UPDATE OR DELETE ON documents_issueddocument
FOR EACH ROW EXECUTE FUNCTION documents_guard_issued();
""",
    """
CREATE OR REPLACE FUNCTION documents_guard_version() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'Une version conservée d''un document ne peut être ni modifiée ni supprimée.'
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER documents_guard_version BEFORE UPDATE OR DELETE ON documents_documentversion
FOR EACH ROW EXECUTE FUNCTION documents_guard_version();
""",
    """
CREATE OR REPLACE FUNCTION documents_guard_sequence() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'Un compteur de numérotation ne peut pas être supprimé.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.last_value < OLD.last_value OR NEW.certificateur_id IS DISTINCT FROM OLD.certificateur_id
     OR NEW.year IS DISTINCT FROM OLD.year THEN
    RAISE EXCEPTION 'Un compteur de numérotation ne peut pas revenir en arrière.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER documents_guard_sequence BEFORE UPDATE OR DELETE ON documents_numbersequence
FOR EACH ROW EXECUTE FUNCTION documents_guard_sequence();
""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS documents_guard_sequence ON documents_numbersequence;",
    "DROP TRIGGER IF EXISTS documents_guard_version ON documents_documentversion;",
    "DROP TRIGGER IF EXISTS documents_guard_issued ON documents_issueddocument;",
    "DROP FUNCTION IF EXISTS documents_guard_sequence();",
    "DROP FUNCTION IF EXISTS documents_guard_version();",
    "DROP FUNCTION IF EXISTS documents_guard_issued();",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql, None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [
        organisations.rls.EnableRowLevelSecurity("issueddocument"),
        organisations.rls.EnableRowLevelSecurity("documentversion"),
        migrations.RunPython(forwards, backwards),
    ]
