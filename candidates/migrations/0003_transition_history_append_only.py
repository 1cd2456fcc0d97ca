"""A dossier's transition history is append-only for the application role.

Refused: any UPDATE except the ``by`` column going to NULL (the account was deleted:
``on_delete=SET_NULL``) and the free-text ``reason`` blanked (RGPD erasure), any DELETE except with its dossier while that dossier is a
first-attempt draft (``dossier_delete``, the only service that deletes a dossier). Like the
other history triggers it is row-level: TRUNCATE (the test suite's flush) is not covered.
"""

from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION candidates_transition_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM candidates_dossier d WHERE d.id = OLD.dossier_id
               AND NOT (d.status = 'brouillon' AND d.attempt = 1)) THEN
      RAISE EXCEPTION 'L''historique d''un dossier ne peut pas être effacé.'
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF NEW.by_id IS NOT NULL AND NEW.by_id IS DISTINCT FROM OLD.by_id
     OR NEW.id IS DISTINCT FROM OLD.id OR NEW.organisation_id IS DISTINCT FROM OLD.organisation_id
     OR NEW.dossier_id IS DISTINCT FROM OLD.dossier_id OR NEW.from_status IS DISTINCT FROM OLD.from_status
     OR NEW.to_status IS DISTINCT FROM OLD.to_status OR NEW.at IS DISTINCT FROM OLD.at
     OR (NEW.reason IS DISTINCT FROM OLD.reason AND NEW.reason <> '') THEN
    RAISE EXCEPTION 'L''historique d''un dossier ne peut pas être modifié.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER candidates_transition_append_only BEFORE UPDATE OR DELETE ON candidates_dossiertransition
FOR EACH ROW EXECUTE FUNCTION candidates_transition_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS candidates_transition_append_only ON candidates_dossiertransition;
DROP FUNCTION IF EXISTS candidates_transition_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, None)


class Migration(migrations.Migration):
    dependencies = [("candidates", "0002_actors_optional")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
