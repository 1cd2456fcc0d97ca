"""Lists that do not grow with the centre (issue 19): indexes that serve every list's filter and
sort under row-level security, an indexed name search, and counts that stop being exact past
1,000 rows instead of counting a whole centre.

The plans are read on a modest table with sequential scans and explicit sorts priced out
(``enable_seqscan``/``enable_sort`` off, transaction-local): the planner then uses a matching
index when one exists, whatever the table's size, so the check is deterministic. The queries are
the selectors' own, run as the application role inside ``tenant_context`` (row-level security
on)."""

import pytest
from django.core.cache import cache
from django.db import connection

from candidates import selectors
from candidates.models import Candidate, Dossier
from candidates.search import SEARCH_FUNCTION
from core.db_roles import as_owner
from core.pagination import EXACT_UP_TO, bounded_count
from organisations.models import AuditEvent
from organisations.tenancy import tenant_context
from tests.builders import bulk_candidates
from tests.candidates.test_pages_and_api import count_queries

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    try:
        return queryset.explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = on")
            cursor.execute("SET LOCAL enable_sort = on")


@pytest.fixture
def centre(habilitated, rncp, org_b):
    with tenant_context(habilitated):
        bulk_candidates(habilitated, rncp, 60)
    with tenant_context(org_b):
        bulk_candidates(org_b, rncp, 60, start=100)
    return habilitated


def test_the_connection_is_the_application_role_under_row_level_security(centre):
    with tenant_context(centre), connection.cursor() as cursor:
        cursor.execute("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        assert Candidate.objects.count() == 60  # the other centre's 60 rows stay invisible


@pytest.mark.parametrize(
    ("sort", "index"),
    [("nom", "candidate_org_name"), ("naissance", "candidate_org_birth"), ("-cree", "candidate_org_created")],
)
def test_each_sort_of_the_candidate_list_reads_an_index(centre, sort, index):
    with tenant_context(centre):
        plan = _plan(selectors.candidate_list(filters=selectors.CandidateFilters(sort=sort))[:25])
    assert index in plan, plan
    assert "Seq Scan on candidates_candidate" not in plan, plan


def test_the_dossier_list_reads_its_order_from_an_index(centre):
    with tenant_context(centre):
        plan = _plan(selectors.dossier_list()[:25])
    assert "dossier_org_created" in plan, plan
    assert "Seq Scan on candidates_dossier" not in plan, plan


def test_the_dossier_list_api_reads_its_order_from_an_index_with_previous_attempts_joined(centre):
    """The API's rows (candidates/api.py: the list joined to previous attempts, the référentiel's
    JSON deferred): still the centre's creation-order index under row-level security, and the
    previous attempt read by its primary key, never by scanning the dossiers."""
    with tenant_context(centre):
        qs = (
            selectors.dossier_list()
            .select_related("previous_attempt")
            .defer(*selectors.REFERENTIEL_HEAVY_FIELDS)[:25]
        )
        plan = _plan(qs)
    assert "dossier_org_created" in plan, plan
    assert "Seq Scan on candidates_dossier" not in plan, plan


def _assert_indexed_search(plan: str) -> None:
    """The search of ``plan`` goes through ``candidate_search_ids`` (the current centre's matching
    ids, read by the owner through the trigram index) and joins the candidates by primary key."""
    assert f"Function Scan on {SEARCH_FUNCTION}" in plan, plan
    assert " ~~ " not in plan, plan  # no LIKE left for the application role's own rows


def test_a_name_search_uses_the_search_function_and_finds_what_icontains_found(centre):
    with tenant_context(centre):
        Candidate.objects.filter(nom_naissance="NOM00007").update(nom_usage="Lefèvre-Dupont")
        qs = selectors.candidate_list(filters=selectors.CandidateFilters(q="dupont"))
        _assert_indexed_search(_plan(qs))
        assert [c.nom_naissance for c in qs] == ["NOM00007"]
        # Every column, any case, several words (all must match), LIKE's wildcards taken literally.
        assert selectors.candidate_list(filters=selectors.CandidateFilters(q="nom0001")).count() == 10
        assert selectors.candidate_list(filters=selectors.CandidateFilters(q="jean nom00007")).count() == 1
        assert selectors.candidate_list(filters=selectors.CandidateFilters(q="nom_0")).count() == 0
        assert selectors.candidate_list(filters=selectors.CandidateFilters(q="%")).count() == 0
        dossiers = selectors.dossier_list(filters=selectors.CandidateFilters(q="DUPONT"))
        assert [d.candidate.nom_naissance for d in dossiers] == ["NOM00007"]
        assert bounded_count(dossiers) == (1, False)  # the count query (no select_related join) too
        _assert_indexed_search(_plan(dossiers))


def _search_ids(pattern: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {SEARCH_FUNCTION}(%s) AS id", [pattern])  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def test_the_search_function_never_returns_another_centres_candidates(centre, org_b):
    """Both centres hold NOM00100…NOM00159 (the other centre's from ``start=100``): the
    function answers for the current centre only, and for nobody without a current centre."""
    with tenant_context(org_b):
        Candidate.objects.update(nom_usage="Homonyme")
        theirs = set(Candidate.objects.values_list("pk", flat=True))
    with tenant_context(centre):
        Candidate.objects.update(nom_usage="Homonyme")
        ours = set(Candidate.objects.values_list("pk", flat=True))
        assert _search_ids("%HOMONYME%") == ours and len(ours) == 60
        assert _search_ids("%NOM001%") <= ours and not _search_ids("%NOM001%") & theirs
        assert _search_ids("%") == ours  # even a pattern that matches every row
    assert _search_ids("%HOMONYME%") == set()  # no tenant setting: no row at all
    with connection.cursor() as cursor:  # an empty setting (after a tenant_context): none either
        cursor.execute("SELECT set_config('app.organisation_id', '', true)")
    assert _search_ids("%") == set()
    with tenant_context(org_b):
        assert _search_ids("%HOMONYME%") == theirs


def _owner_plan(pattern: str, organisation_id: int) -> str:
    """The plan of the function's own query as the function runs it: as the owner, planned for
    the pattern's value (the function's ``plan_cache_mode = force_custom_plan``)."""
    with as_owner() as switched, connection.cursor() as cursor:
        assert switched
        # As autovacuum does: the rows inserted since the index was built sit in the GIN index's
        # pending list, which the planner prices as a scan of the whole list.
        cursor.execute("SELECT gin_clean_pending_list('candidate_org_search_trgm'::regclass)")
        cursor.execute("ANALYZE candidates_candidate")
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [SEARCH_FUNCTION])
        source = cursor.fetchone()[0]
        body = source.split("RETURN QUERY ", 1)[1].rsplit("; END", 1)[0].replace("pattern", "$1")
        cursor.execute("SELECT set_config('app.organisation_id', %s, false)", [str(organisation_id)])
        cursor.execute("SET plan_cache_mode = force_custom_plan")
        cursor.execute(f"PREPARE search_body(text) AS {body}")
        try:
            cursor.execute("EXPLAIN EXECUTE search_body(%s)", [pattern])
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE search_body")
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("SELECT set_config('app.organisation_id', '', false)")


# Committed rows (transactional): the owner's ANALYZE and plan, on a connection of its own.
@pytest.mark.django_db(transaction=True)
def test_at_a_few_thousand_rows_the_search_reads_the_trigram_index(habilitated, org_b, rncp):
    with tenant_context(habilitated):
        bulk_candidates(habilitated, rncp, 3000)
    with tenant_context(org_b):
        bulk_candidates(org_b, rncp, 3000)
    plan = _owner_plan("%NOM0299%", habilitated.pk)
    assert "Bitmap Index Scan on candidate_org_search_trgm" in plan, plan
    assert "Seq Scan" not in plan, plan
    # The application role's call reads that index (this transaction's scan counter of it).
    with tenant_context(habilitated), connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_get_xact_numscans('candidate_org_search_trgm'::regclass)")
        before = cursor.fetchone()[0]
        assert len(_search_ids("%NOM0299%")) == 10
        cursor.execute("SELECT pg_stat_get_xact_numscans('candidate_org_search_trgm'::regclass)")
        assert cursor.fetchone()[0] > before


def test_the_journal_and_documents_lists_read_their_order_from_an_index(centre, alice):
    from documents.selectors import document_list

    with tenant_context(centre):
        plan = _plan(AuditEvent.objects.select_related("actor").order_by("-at")[:200])
        assert "auditevent_org_at" in plan, plan
        plan = _plan(document_list(actor=alice)[:50])
        assert "issueddocument_org_created" in plan, plan


def test_counts_are_exact_up_to_the_bound_then_estimated(centre, rncp):
    with tenant_context(centre):
        assert bounded_count(Dossier.objects.all()) == (60, False)
        bulk_candidates(centre, rncp, EXACT_UP_TO, start=1000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE candidates_dossier")  # owner-only: a warning, no error, as the app role
        count, estimated = bounded_count(Dossier.objects.all())
    assert estimated and count > EXACT_UP_TO


def test_past_the_bound_the_list_and_the_api_say_environ_with_constant_queries(
    centre, rncp, alice, client_for, api_for
):
    api = api_for(alice)
    page = client_for(alice)
    page.get("/o/centre-a/candidats/")  # the session's first request records the MFA check

    def measure():
        return (
            count_queries(lambda: page.get("/o/centre-a/candidats/")),
            count_queries(lambda: api.get("/api/v1/o/centre-a/candidates/")),
            count_queries(lambda: api.get("/api/v1/o/centre-a/dossiers/")),
        )

    first, cached = [], []
    for start in (1000, 3000):
        with tenant_context(centre):
            bulk_candidates(centre, rncp, EXACT_UP_TO, start=start)
        cache.clear()
        first.append(measure())  # bounded count + EXPLAIN (the page and the candidate API share
        cached.append(measure())  # their query, hence its estimate), then the cached estimates
        body = api.get("/api/v1/o/centre-a/candidates/").json()
        assert body["count_is_estimate"] is True and body["count"] > EXACT_UP_TO
        assert "Environ " in page.get("/o/centre-a/candidats/").content.decode()
    assert first[0] == first[1] and cached[0] == cached[1]
    # The page's first request after cache.clear() also reads its session from its row (the
    # session's cached copy went with the clear, core/sessions.py): one query more than the API's.
    assert [f - c for f, c in zip(first[0], cached[0], strict=True)] == [2 + 1, 0, 2]
    small = api.get("/api/v1/o/centre-a/candidates/?q=NOM00007").json()
    assert small["count"] == 1 and small["count_is_estimate"] is False
    small = api.get("/api/v1/o/centre-a/dossiers/?q=nom00007").json()
    assert small["count"] == 1 and small["results"][0]["candidate_name"].upper().startswith("NOM00007")


@pytest.mark.parametrize("status", Dossier.Status.values)
def test_the_list_badge_matches_the_status_partial(status):
    from django.template.loader import render_to_string

    partial = render_to_string("candidates/partials/status_class.html", {"status": status}).strip()
    assert Dossier(status=status).status_badge == partial


def test_a_list_past_the_bound_reuses_its_estimate_without_counting(centre, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    from core import pagination

    monkeypatch.setattr(pagination, "planner_estimate", lambda queryset, sql_params=None: 30)
    with tenant_context(centre):
        with CaptureQueriesContext(connection) as first:
            assert bounded_count(Dossier.objects.all(), bound=10) == (30, True)
        with CaptureQueriesContext(connection) as second:
            assert bounded_count(Dossier.objects.all(), bound=10) == (30, True)
        # Another list (another query) is counted on its own; one within the bound is exact.
        with CaptureQueriesContext(connection) as third:
            assert bounded_count(Dossier.objects.filter(status="inscrit"), bound=10) == (0, False)
    assert len(first) == 1 and len(second) == 0 and len(third) == 1
