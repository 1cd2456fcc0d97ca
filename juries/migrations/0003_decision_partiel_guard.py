"""Database guard (issue 13, point 3): a « validation partielle » only where the référentiel's
règle has separately validable blocs, and only with real (non-implicit) blocs of it. A CQPM's
règle (« l'ensemble des capacités professionnelles … doit être acquis », type
``toutes_capacites``) has none. The service says it first, in French; this holds for any path."""

from django.db import migrations

FORWARD = [
    """
CREATE OR REPLACE FUNCTION jury_decision_guard_partiel() RETURNS trigger AS $$
DECLARE
  ref_id bigint;
  regle_type text;
  bloc_code_v text;
BEGIN
  IF NEW.decision IS DISTINCT FROM 'partiel' THEN
    RETURN NEW;
  END IF;
  SELECT j.referentiel_id, r.regle->>'type' INTO ref_id, regle_type
    FROM juries_jury j JOIN referentiels_referentiel r ON r.id = j.referentiel_id WHERE j.id = NEW.jury_id;
  IF regle_type = 'toutes_capacites' OR NOT EXISTS (
       SELECT 1 FROM referentiels_bloc b WHERE b.referentiel_id = ref_id AND NOT b.implicite) THEN
    RAISE EXCEPTION 'La validation partielle n''existe pas pour cette certification (aucun bloc validable séparément).'
      USING ERRCODE = 'check_violation';
  END IF;
  FOR bloc_code_v IN SELECT jsonb_array_elements_text(NEW.blocs_valides::jsonb) LOOP
    IF NOT EXISTS (SELECT 1 FROM referentiels_bloc b
                    WHERE b.referentiel_id = ref_id AND b.code = bloc_code_v AND NOT b.implicite) THEN
      RAISE EXCEPTION 'Bloc % : pas un bloc de compétences de la certification.', bloc_code_v
        USING ERRCODE = 'check_violation';
    END IF;
  END LOOP;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER jury_decision_guard_partiel BEFORE INSERT OR UPDATE OF decision, blocs_valides
ON juries_decision FOR EACH ROW EXECUTE FUNCTION jury_decision_guard_partiel();
""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS jury_decision_guard_partiel ON juries_decision;",
    "DROP FUNCTION IF EXISTS jury_decision_guard_partiel();",
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
    dependencies = [("juries", "0002_dossier_decision_frozen"), ("referentiels", "0006_enregistrement")]

    operations = [migrations.RunPython(forwards, backwards)]
