"""A name search that stays indexed under row-level security (issue 19).

Under FORCE row-level security PostgreSQL uses an index for a clause only if every function in
it is LEAKPROOF; ``upper`` and ``LIKE`` are not, so the application role's searches read their
centre's rows instead of the trigram index (docs/scaling.md). Here the search runs in
``candidate_search_ids(pattern)``: a ``SECURITY DEFINER`` function owned by the owner role
(the migrating role), ``STABLE``, with its own ``search_path``, planned for each pattern, that returns the ids of the
candidates of the **current organisation only** — its query names it explicitly,
``organisation_id = NULLIF(current_setting('app.organisation_id', true), '')::bigint``, the
expression of the ``tenant_isolation`` policies (organisations/rls.py): with the setting absent,
no row. The ORM then reads ``id IN (candidate_search_ids(…))`` under row-level security as usual.

For the function's query to use the index, the owner reads ``candidates_candidate`` through a
``SELECT``-only policy ``candidate_search_owner`` (``USING (true)``, to the owner role only):
PostgreSQL ORs the permissive policies, the planner folds ``true OR …`` away, and the trigram
clause becomes an index condition. The owner owns the table (it could lift its security at any
time); the application role's policies are unchanged. The policy is created only when the
migrating role is not the application role (a single-role installation keeps the function,
unindexed, and every guarantee).

The trigram index now leads with ``organisation_id`` (``btree_gin``, a trusted extension like
``pg_trgm``): a search reads the entries of one centre, whatever the number of centres.
Nothing on SQLite (demo): the search is the ORM's LIKE there (candidates/search.py).
"""

from django.db import migrations

from candidates.search import CANDIDATE_SEARCH_COLUMNS, SEARCH_FUNCTION
from core.search import search_expression

TABLE = "candidates_candidate"
INDEX = "candidate_org_search_trgm"
OWNER_POLICY = "candidate_search_owner"
TENANT = "NULLIF(current_setting('app.organisation_id', true), '')::bigint"


class SearchFunction(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        from core.db_roles import application_role

        expression = search_expression("", CANDIDATE_SEARCH_COLUMNS)
        run = schema_editor.execute
        run("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        run("CREATE EXTENSION IF NOT EXISTS btree_gin")
        run(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "{TABLE}" '
            f"USING gin (organisation_id, {expression} gin_trgm_ops)"
        )
        run('DROP INDEX IF EXISTS "candidate_search_trgm"')
        run(
            f"CREATE OR REPLACE FUNCTION {SEARCH_FUNCTION}(pattern text) RETURNS SETOF bigint "
            "LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 100 "
            # Planned with the pattern's value at each call: a generic plan cannot weigh the
            # trigram index against the centre's organisation index.
            "SET search_path = public, pg_temp SET plan_cache_mode = force_custom_plan "
            f'AS $$ BEGIN RETURN QUERY SELECT c.id FROM "{TABLE}" c WHERE c.organisation_id = {TENANT} '
            f"AND {search_expression('c', CANDIDATE_SEARCH_COLUMNS)} LIKE UPPER(pattern) ESCAPE '\\'; END $$"
        )
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            owner = cursor.fetchone()[0]
        if application_role() and application_role() != owner:
            run(f'DROP POLICY IF EXISTS {OWNER_POLICY} ON "{TABLE}"')
            run(f'CREATE POLICY {OWNER_POLICY} ON "{TABLE}" FOR SELECT TO CURRENT_USER USING (true)')

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        expression = search_expression("", CANDIDATE_SEARCH_COLUMNS)
        run = schema_editor.execute
        run(f'DROP POLICY IF EXISTS {OWNER_POLICY} ON "{TABLE}"')
        run(f"DROP FUNCTION IF EXISTS {SEARCH_FUNCTION}(text)")
        run(
            f'CREATE INDEX IF NOT EXISTS "candidate_search_trgm" ON "{TABLE}" '
            f"USING gin ({expression} gin_trgm_ops)"
        )
        run(f'DROP INDEX IF EXISTS "{INDEX}"')

    def describe(self):
        return f"Search function {SEARCH_FUNCTION} and index {INDEX}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {})


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0006_reprise_exemption_portefeuille"),
    ]

    operations = [SearchFunction()]
