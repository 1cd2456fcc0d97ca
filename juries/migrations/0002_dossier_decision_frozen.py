"""After the freeze the database also protects what the deliberation wrote on the dossier.

``candidates_dossier.decision`` (and its status and date de délibération) and the blocs of
``candidates_dossierbloc`` feed the CDC declaration, the parchemins and the credentials: once
the dossier's jury is frozen they change only through the rectification path, the same one the
triggers of ``0001_initial`` leave open — a ``Rectification`` whose procès-verbal carries every
voting member's signature (``completed_at`` set) and that is not applied yet (``applied_at``
still NULL). ``juries.services._rectification_apply`` writes the dossier in exactly that
window, then sets ``applied_at``, which closes it for good (``juries_rectification_immutable``).
The new values must be the rectification's own.

Also: no signature may be added to a procès-verbal once it is complete.
"""

from django.db import migrations

FREEZE = """
CREATE OR REPLACE FUNCTION juries_dossier_is_frozen(did bigint) RETURNS boolean AS $$
  SELECT EXISTS (
    SELECT 1 FROM juries_decision d JOIN juries_jury j ON j.id = d.jury_id
    WHERE d.dossier_id = did AND j.frozen_at IS NOT NULL
  );
$$ LANGUAGE sql STABLE;

-- The signed, not yet applied rectification of the dossier (at most one per jury at a time).
CREATE OR REPLACE FUNCTION juries_dossier_rectification(did bigint)
RETURNS TABLE (nouvelle_decision varchar, blocs_valides jsonb) AS $$
  SELECT r.nouvelle_decision, r.blocs_valides
  FROM juries_rectification r
  JOIN juries_decision d ON d.id = r.decision_id
  JOIN juries_procesverbal pv ON pv.id = r.proces_verbal_id
  WHERE d.dossier_id = did AND r.applied_at IS NULL AND pv.completed_at IS NOT NULL
    AND (SELECT count(*) FROM juries_signature s WHERE s.proces_verbal_id = pv.id)
        >= (SELECT count(*) FROM juries_jurymember m WHERE m.jury_id = r.jury_id AND m.role <> 'observateur')
  ORDER BY r.id DESC
  LIMIT 1;
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION juries_dossier_frozen() RETURNS trigger AS $$
DECLARE
  rect record;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF juries_dossier_is_frozen(OLD.id) THEN
      PERFORM juries_refuse('Délibération signée et figée : ce dossier ne peut pas être supprimé.');
    END IF;
    RETURN OLD;
  END IF;
  IF (NEW.decision IS DISTINCT FROM OLD.decision OR NEW.status IS DISTINCT FROM OLD.status
      OR NEW.date_deliberation IS DISTINCT FROM OLD.date_deliberation)
     AND juries_dossier_is_frozen(OLD.id) THEN
    SELECT * INTO rect FROM juries_dossier_rectification(OLD.id);
    IF NOT FOUND OR NEW.decision IS DISTINCT FROM rect.nouvelle_decision
       OR NEW.status IS DISTINCT FROM OLD.status
       OR NEW.date_deliberation IS DISTINCT FROM OLD.date_deliberation THEN
      PERFORM juries_refuse('Délibération signée et figée : la décision du dossier ne change que par une rectification signée.');
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER juries_dossier_frozen BEFORE UPDATE OR DELETE ON candidates_dossier
FOR EACH ROW EXECUTE FUNCTION juries_dossier_frozen();

CREATE OR REPLACE FUNCTION juries_dossierbloc_frozen() RETURNS trigger AS $$
DECLARE
  rect record;
  signed boolean;
  code text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF juries_dossier_is_frozen(NEW.dossier_id) THEN
      PERFORM juries_refuse('Délibération signée et figée : les blocs du dossier ne peuvent plus changer.');
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF juries_dossier_is_frozen(OLD.dossier_id) THEN
      PERFORM juries_refuse('Délibération signée et figée : les blocs du dossier ne peuvent plus changer.');
    END IF;
    RETURN OLD;
  END IF;
  IF (NEW.acquis IS DISTINCT FROM OLD.acquis OR NEW.acquis_anterieur IS DISTINCT FROM OLD.acquis_anterieur
      OR NEW.acquis_le IS DISTINCT FROM OLD.acquis_le OR NEW.bloc_id IS DISTINCT FROM OLD.bloc_id
      OR NEW.dossier_id IS DISTINCT FROM OLD.dossier_id)
     AND (juries_dossier_is_frozen(OLD.dossier_id) OR juries_dossier_is_frozen(NEW.dossier_id)) THEN
    SELECT * INTO rect FROM juries_dossier_rectification(OLD.dossier_id);
    signed := FOUND;
    SELECT b.code INTO code FROM referentiels_bloc b WHERE b.id = OLD.bloc_id;
    IF NOT signed
       OR NEW.bloc_id IS DISTINCT FROM OLD.bloc_id OR NEW.dossier_id IS DISTINCT FROM OLD.dossier_id
       OR NEW.acquis_anterieur IS DISTINCT FROM OLD.acquis_anterieur
       OR NEW.acquis IS DISTINCT FROM (rect.blocs_valides @> jsonb_build_array(code)) THEN
      PERFORM juries_refuse('Délibération signée et figée : les blocs validés ne changent que par une rectification signée.');
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER juries_dossierbloc_frozen BEFORE INSERT OR UPDATE OR DELETE ON candidates_dossierbloc
FOR EACH ROW EXECUTE FUNCTION juries_dossierbloc_frozen();

CREATE OR REPLACE FUNCTION juries_signature_pv_open() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM juries_procesverbal WHERE id = NEW.proces_verbal_id AND completed_at IS NOT NULL) THEN
    PERFORM juries_refuse('Ce procès-verbal est déjà entièrement signé : aucune signature ne peut s''y ajouter.');
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER juries_signature_pv_open BEFORE INSERT ON juries_signature
FOR EACH ROW EXECUTE FUNCTION juries_signature_pv_open();
"""

UNFREEZE = """
DROP TRIGGER IF EXISTS juries_signature_pv_open ON juries_signature;
DROP TRIGGER IF EXISTS juries_dossierbloc_frozen ON candidates_dossierbloc;
DROP TRIGGER IF EXISTS juries_dossier_frozen ON candidates_dossier;
DROP FUNCTION IF EXISTS juries_signature_pv_open();
DROP FUNCTION IF EXISTS juries_dossierbloc_frozen(); DROP FUNCTION IF EXISTS juries_dossier_frozen();
DROP FUNCTION IF EXISTS juries_dossier_rectification(bigint); DROP FUNCTION IF EXISTS juries_dossier_is_frozen(bigint);
"""


def freeze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FREEZE, None)


def unfreeze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNFREEZE, None)


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0003_transition_history_append_only"),
        ("juries", "0001_initial"),
    ]

    operations = [migrations.RunPython(freeze, unfreeze)]
