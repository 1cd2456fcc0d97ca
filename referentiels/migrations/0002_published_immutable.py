"""Database guard: a published (or archived) référentiel version cannot change.

Only the status may move (published → archived) on the version row itself; its blocs,
capacités, critères, modalités and activités refuse every INSERT/UPDATE/DELETE. Deleting a
non-draft version is refused too. The service layer says it first, with a clear message; this
trigger holds for raw SQL, the admin and any ``update()``.
"""

from django.db import migrations

CHILD_TABLES = {
    "referentiels_bloc": "referentiel_id",
    "referentiels_capacite": "referentiel_id",
    "referentiels_modalite": "referentiel_id",
    "referentiels_activite": "referentiel_id",
}

FORWARD = [
    """
CREATE OR REPLACE FUNCTION referentiel_guard_version() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'Le référentiel % v% est publié : il ne peut pas être supprimé.', OLD.code, OLD.version
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' THEN
    IF (to_jsonb(NEW) - 'status' - 'updated_at') IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'updated_at') THEN
      RAISE EXCEPTION 'Le référentiel % v% est publié : il ne peut plus être modifié.', OLD.code, OLD.version
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.status <> OLD.status AND NOT (OLD.status = 'published' AND NEW.status = 'archived') THEN
      RAISE EXCEPTION 'Le référentiel % v% ne peut pas passer au statut %.', OLD.code, OLD.version, NEW.status
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER referentiel_guard_version BEFORE UPDATE OR DELETE ON referentiels_referentiel
FOR EACH ROW EXECUTE FUNCTION referentiel_guard_version();
""",
    """
CREATE OR REPLACE FUNCTION referentiel_guard_child() RETURNS trigger AS $$
DECLARE
  ref_id bigint;
  ref_status text;
BEGIN
  IF TG_OP = 'DELETE' THEN ref_id := OLD.referentiel_id; ELSE ref_id := NEW.referentiel_id; END IF;
  SELECT status INTO ref_status FROM referentiels_referentiel WHERE id = ref_id;
  IF ref_status IS NOT NULL AND ref_status <> 'draft' THEN
    RAISE EXCEPTION 'Ce référentiel est publié : sa structure ne peut plus être modifiée.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE OR REPLACE FUNCTION referentiel_guard_critere() RETURNS trigger AS $$
DECLARE
  cap_id bigint;
  ref_status text;
BEGIN
  IF TG_OP = 'DELETE' THEN cap_id := OLD.capacite_id; ELSE cap_id := NEW.capacite_id; END IF;
  SELECT r.status INTO ref_status FROM referentiels_capacite c
    JOIN referentiels_referentiel r ON r.id = c.referentiel_id WHERE c.id = cap_id;
  IF ref_status IS NOT NULL AND ref_status <> 'draft' THEN
    RAISE EXCEPTION 'Ce référentiel est publié : ses critères ne peuvent plus être modifiés.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER referentiel_guard_critere BEFORE INSERT OR UPDATE OR DELETE ON referentiels_critere
FOR EACH ROW EXECUTE FUNCTION referentiel_guard_critere();
""",
] + [
    f"""
CREATE TRIGGER referentiel_guard_child BEFORE INSERT OR UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION referentiel_guard_child();
"""
    for table in CHILD_TABLES
]

BACKWARD = (
    [f"DROP TRIGGER IF EXISTS referentiel_guard_child ON {table};" for table in CHILD_TABLES]
    + [
        "DROP TRIGGER IF EXISTS referentiel_guard_critere ON referentiels_critere;",
        "DROP TRIGGER IF EXISTS referentiel_guard_version ON referentiels_referentiel;",
        "DROP FUNCTION IF EXISTS referentiel_guard_critere();",
        "DROP FUNCTION IF EXISTS referentiel_guard_child();",
        "DROP FUNCTION IF EXISTS referentiel_guard_version();",
    ]
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql, None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [("referentiels", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
