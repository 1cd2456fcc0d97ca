"""Migration operation adding the read-only ``certificateur_oversight`` policy to a tenant table.

The policy is permissive and ``FOR SELECT``: PostgreSQL ORs it with ``tenant_isolation`` for
reads only; INSERT/UPDATE/DELETE are still judged by ``tenant_isolation`` alone. It admits a row
when the transaction is read-only AND the row belongs to a référentiel of the certificateur
named by ``app.oversight_certificateur_id`` (set only by ``oversight_context``). Without the
setting (or outside a read-only transaction) the clause is false: nothing more is visible.
On SQLite (demo) it does nothing.
"""

from django.db import migrations

POLICY = "certificateur_oversight"
CERTIFICATEUR_ID = "NULLIF(current_setting('app.oversight_certificateur_id', true), '')::bigint"
READ_ONLY = "current_setting('transaction_read_only') = 'on'"

# Row-to-certificateur paths, by how the table reaches the référentiel.
REFERENTIELS_OF = f"SELECT r.id FROM referentiels_referentiel r WHERE r.certificateur_id = {CERTIFICATEUR_ID}"  # noqa: S608
_DOSSIER_JOIN = "candidates_dossier d JOIN referentiels_referentiel r ON r.id = d.referentiel_id"
DOSSIERS_OF = f"SELECT d.id FROM {_DOSSIER_JOIN} WHERE r.certificateur_id = {CERTIFICATEUR_ID}"  # noqa: S608
CANDIDATES_OF = f"SELECT d.candidate_id FROM {_DOSSIER_JOIN} WHERE r.certificateur_id = {CERTIFICATEUR_ID}"  # noqa: S608
_JURY_JOIN = "juries_jury j JOIN referentiels_referentiel r ON r.id = j.referentiel_id"
JURIES_OF = f"SELECT j.id FROM {_JURY_JOIN} WHERE r.certificateur_id = {CERTIFICATEUR_ID}"  # noqa: S608
JURY_GROUPS_OF = (
    f"SELECT 'jury:' || j.public_id::text FROM {_JURY_JOIN} WHERE r.certificateur_id = {CERTIFICATEUR_ID}"  # noqa: S608
)


def via_referentiel(column: str = "referentiel_id") -> str:
    return f"{column} IN ({REFERENTIELS_OF})"


def via_dossier(column: str = "dossier_id") -> str:
    return f"{column} IN ({DOSSIERS_OF})"


def via_candidate(column: str = "id") -> str:
    return f"{column} IN ({CANDIDATES_OF})"


def via_jury(column: str = "jury_id") -> str:
    return f"{column} IN ({JURIES_OF})"


def issued_document_path() -> str:
    """Numbered documents name their certificateur; a jury's PV and émargements go by its group."""
    return f"({via_certificateur()}) OR (kind IN ('proces_verbal', 'emargement') AND group_key IN ({JURY_GROUPS_OF}))"


def via_inscriptions(column: str = "id") -> str:
    """Épreuves on which a dossier of the certificateur's référentiels is inscribed."""
    return (
        f"{column} IN (SELECT i.epreuve_id FROM evaluations_inscriptionepreuve i "  # noqa: S608
        f"WHERE i.dossier_id IN ({DOSSIERS_OF}))"
    )


def issued_document_path_with_emargements() -> str:
    """As :func:`issued_document_path`, plus the émargements of the épreuves of the certificateur's
    dossiers: the evaluations app files them by épreuve (``evaluations:epreuve:<uuid>:emargement``)."""
    epreuve_groups = (
        "SELECT 'evaluations:epreuve:' || e.public_id::text || ':emargement' FROM evaluations_epreuve e "  # noqa: S608
        f"WHERE {via_inscriptions('e.id')}"
    )
    return f"({issued_document_path()}) OR (kind = 'emargement' AND group_key IN ({epreuve_groups}))"


def via_certificateur(column: str = "certificateur_id") -> str:
    return f"{column} = {CERTIFICATEUR_ID}"


class AddOversightPolicy(migrations.operations.base.Operation):
    """``AddOversightPolicy("candidates_dossier", via_referentiel())``: table name, row path."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, path: str):
        self.table = table
        self.path = path

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self.table)
        schema_editor.execute(
            f"CREATE POLICY {POLICY} ON {table} AS PERMISSIVE FOR SELECT USING ({READ_ONLY} AND {self.path})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {schema_editor.quote_name(self.table)}")

    def describe(self):
        return f"Read-only certificateur oversight policy on {self.table}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.table, self.path], {})


class ReplaceOversightPolicy(migrations.operations.base.Operation):
    """Widen (or narrow) the row path of an existing oversight policy; reversible."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, path: str, previous_path: str):
        self.table, self.path, self.previous_path = table, path, previous_path

    def state_forwards(self, app_label, state):
        pass

    def _replace(self, schema_editor, path: str) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self.table)
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        schema_editor.execute(
            f"CREATE POLICY {POLICY} ON {table} AS PERMISSIVE FOR SELECT USING ({READ_ONLY} AND {path})"
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._replace(schema_editor, self.path)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._replace(schema_editor, self.previous_path)

    def describe(self):
        return f"Replace the certificateur oversight policy on {self.table}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.table, self.path, self.previous_path], {})


# Correlated forms of the paths above (migration 0005). ``col IN (SELECT … every dossier of the
# certificateur …)`` is planned as a hashed subplan whose start-up cost (reading all those
# dossiers) the planner charges to every scan of the table, even in a centre's own requests
# where the clause is never evaluated (the read-only test fails first): at a million dossiers
# it turned index nested loops (25 rows) into hash joins over whole tables. ``EXISTS (… WHERE
# d.id = <table>.<column> …)`` costs one index probe per row instead, and admits the same rows.
_OF_CERTIFICATEUR = f"r.certificateur_id = {CERTIFICATEUR_ID}"


def exists_dossier(table: str, column: str = "dossier_id") -> str:
    return f"EXISTS (SELECT 1 FROM {_DOSSIER_JOIN} WHERE d.id = {table}.{column} AND {_OF_CERTIFICATEUR})"  # noqa: S608


def exists_candidate(table: str = "candidates_candidate", column: str = "id") -> str:
    return f"EXISTS (SELECT 1 FROM {_DOSSIER_JOIN} WHERE d.candidate_id = {table}.{column} AND {_OF_CERTIFICATEUR})"  # noqa: S608


def exists_jury(table: str, column: str = "jury_id") -> str:
    return f"EXISTS (SELECT 1 FROM {_JURY_JOIN} WHERE j.id = {table}.{column} AND {_OF_CERTIFICATEUR})"  # noqa: S608


def exists_inscriptions(table: str = "evaluations_epreuve", column: str = "id") -> str:
    return (
        "EXISTS (SELECT 1 FROM evaluations_inscriptionepreuve i "  # noqa: S608
        "JOIN candidates_dossier d ON d.id = i.dossier_id JOIN referentiels_referentiel r ON r.id = d.referentiel_id "
        f"WHERE i.epreuve_id = {table}.{column} AND {_OF_CERTIFICATEUR})"
    )


# (table, correlated path, the path it replaces)
CORRELATED = [
    ("candidates_candidate", exists_candidate(), via_candidate()),
    ("candidates_dossierbloc", exists_dossier("candidates_dossierbloc"), via_dossier()),
    ("evaluations_inscriptionepreuve", exists_dossier("evaluations_inscriptionepreuve"), via_dossier()),
    ("evaluations_epreuve", exists_inscriptions(), via_inscriptions()),
    ("juries_jurymember", exists_jury("juries_jurymember"), via_jury()),
    ("juries_decision", exists_jury("juries_decision"), via_jury()),
]
