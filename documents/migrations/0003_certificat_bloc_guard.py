"""Database guard (issue 13, point 3): a « certificat de bloc de compétences » is issued only for
a real bloc (not the implicit single bloc of a référentiel without blocs) of a certification
whose règle validates blocs separately (not a CQPM: type ``toutes_capacites``)."""

from django.db import migrations

FORWARD = [
    """
CREATE OR REPLACE FUNCTION issued_document_guard_bloc() RETURNS trigger AS $$
BEGIN
  IF NEW.kind <> 'certificat_bloc' THEN
    RETURN NEW;
  END IF;
  IF NOT EXISTS (
    SELECT 1 FROM referentiels_bloc b JOIN referentiels_referentiel r ON r.id = b.referentiel_id
     WHERE r.code = NEW.context->>'code_certification' AND b.code = NEW.context->>'bloc_code'
       AND NOT b.implicite AND coalesce(r.regle->>'type', '') <> 'toutes_capacites') THEN
    RAISE EXCEPTION 'Certificat de bloc refusé : % n''est pas un bloc de compétences validable de %.',
      NEW.context->>'bloc_code', NEW.context->>'code_certification'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER issued_document_guard_bloc BEFORE INSERT ON documents_issueddocument
FOR EACH ROW EXECUTE FUNCTION issued_document_guard_bloc();
""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS issued_document_guard_bloc ON documents_issueddocument;",
    "DROP FUNCTION IF EXISTS issued_document_guard_bloc();",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # the embedded demo (SQLite) has no plpgsql
        for sql in FORWARD:
            schema_editor.execute(sql, None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_rls_and_guards"), ("referentiels", "0006_enregistrement")]

    operations = [migrations.RunPython(forwards, backwards)]
