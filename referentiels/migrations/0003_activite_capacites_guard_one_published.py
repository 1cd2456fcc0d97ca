"""Close two versioning holes.

1. The activité ↔ capacités link table (``referentiels_activite_capacites``) had no guard: a
   published version's activités could be re-linked. Its rows now follow the rule of the other
   child tables (0002): no INSERT/UPDATE/DELETE while the activité's or the capacité's version is
   published or archived.
2. At most one published version per code, in the database. Rows that already break it (a
   lower-numbered draft published after a higher one) are repaired first: the highest published
   version stays published, the others are archived, as ``referentiel_publish`` does.
"""

from django.db import migrations, models
from django.db.models import Q

FORWARD = [
    """
CREATE OR REPLACE FUNCTION referentiel_guard_activite_capacite() RETURNS trigger AS $$
DECLARE
  frozen boolean;
BEGIN
  SELECT EXISTS (
    SELECT 1 FROM referentiels_activite a JOIN referentiels_referentiel r ON r.id = a.referentiel_id
     WHERE r.status <> 'draft' AND a.id IN (
       CASE WHEN TG_OP <> 'INSERT' THEN OLD.activite_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.activite_id END)
    UNION ALL
    SELECT 1 FROM referentiels_capacite c JOIN referentiels_referentiel r ON r.id = c.referentiel_id
     WHERE r.status <> 'draft' AND c.id IN (
       CASE WHEN TG_OP <> 'INSERT' THEN OLD.capacite_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.capacite_id END)
  ) INTO frozen;
  IF frozen THEN
    RAISE EXCEPTION 'Ce référentiel est publié : les capacités de ses activités ne peuvent plus être modifiées.'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER referentiel_guard_activite_capacite BEFORE INSERT OR UPDATE OR DELETE ON referentiels_activite_capacites
FOR EACH ROW EXECUTE FUNCTION referentiel_guard_activite_capacite();
""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS referentiel_guard_activite_capacite ON referentiels_activite_capacites;",
    "DROP FUNCTION IF EXISTS referentiel_guard_activite_capacite();",
]


def guard_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql, None)


def guard_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, None)


def archive_superseded(apps, schema_editor):
    Referentiel = apps.get_model("referentiels", "Referentiel")
    highest: dict[str, int] = {}
    for code, version in Referentiel.objects.filter(status="published").values_list("code", "version"):
        highest[code] = max(version, highest.get(code, 0))
    for code, version in highest.items():
        Referentiel.objects.filter(code=code, status="published", version__lt=version).update(status="archived")
    if schema_editor.connection.vendor == "postgresql":
        # Fire the deferred checks now, so that the ALTER TABLE below has no pending trigger events.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE", None)


class Migration(migrations.Migration):
    dependencies = [("referentiels", "0002_published_immutable")]
    operations = [
        migrations.RunPython(guard_forwards, guard_backwards),
        migrations.RunPython(archive_superseded, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="referentiel",
            constraint=models.UniqueConstraint(
                condition=Q(status="published"), fields=("code",), name="referentiel_one_published_per_code"
            ),
        ),
    ]
