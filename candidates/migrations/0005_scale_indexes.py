"""Indexes for a national platform (issue 19): every list's sort and the name search under
row-level security.

- ``candidate_org_created`` and ``dossier_org_created``: the « derniers créés » sort of the
  candidate list and the dossier list's order (newest first) read the first page from the
  index, without sorting the whole centre;
- ``candidate_search_trgm``: a GIN trigram index on the candidate's joined name columns
  (core/search.py). ``pg_trgm`` is a trusted extension: the owner role (which runs migrations)
  may create it. Nothing on SQLite (demo). Under FORCE row-level security PostgreSQL uses an
  index for a clause only if its functions are LEAKPROOF; ``upper`` and ``LIKE`` are not, so
  the application role's searches use this index once a superuser marks them so (see
  docs/scaling.md); until then a search reads its centre's rows (organisation index).
"""

from django.db import migrations, models

from candidates.search import CANDIDATE_SEARCH_COLUMNS
from core.search import search_expression


class TrigramSearchIndex(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, name: str, columns):
        self.table, self.name, self.columns = table, name, tuple(columns)

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{self.name}" ON "{self.table}" '
            f"USING gin ({search_expression('', self.columns)} gin_trgm_ops)"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f'DROP INDEX IF EXISTS "{self.name}"')

    def describe(self):
        return f"Trigram search index {self.name} on {self.table}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.table, self.name, self.columns], {})


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0004_import_duplicate_choices"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="candidate",
            index=models.Index(fields=["organisation", "created_at", "id"], name="candidate_org_created"),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["organisation", "created_at", "id"], name="dossier_org_created"),
        ),
        TrigramSearchIndex("candidates_candidate", "candidate_search_trgm", CANDIDATE_SEARCH_COLUMNS),
    ]
