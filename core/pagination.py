"""Counts that do not grow with the centre: exact up to a bound, estimated beyond.

A list's « 12 345 candidats » and its page count used to come from ``COUNT(*)`` over every
matching row: at 200,000 dossiers in one centre that count alone costs more than the page. Here
the count reads at most ``EXACT_UP_TO + 1`` rows (``SELECT COUNT(*) FROM (… LIMIT n)``); when the
bound is reached, the list says « environ N » with N the planner's estimate for the same query
(``EXPLAIN``, no rows read), never less than the bound. Both queries cost the same at 10,000 or
1,000,000 rows. On SQLite (demo) the count stays exact.

The estimate of a list past the bound is kept in the cache for a few minutes: the next requests
of the same list show it without counting at all (a constant number of queries whatever the
list's length, once past the bound; an estimate may lag the list by those minutes).
"""

import hashlib
import json
from functools import cached_property

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections

EXACT_UP_TO = 1000
ESTIMATE_TTL = 300  # seconds


def _sql(queryset) -> tuple[str, tuple]:
    return queryset.order_by().values("pk").query.sql_with_params()


def planner_estimate(queryset, sql_params=None) -> int | None:
    """Rows PostgreSQL expects ``queryset`` to return (``EXPLAIN``), or None on another database."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = sql_params or _sql(queryset)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def bounded_count(queryset, bound: int = EXACT_UP_TO) -> tuple[int, bool]:
    """(count, estimated): exact when at most ``bound`` rows match, else the planner's estimate."""
    try:
        sql_params = _sql(queryset)
    except EmptyResultSet:  # ``.none()`` or a filter on an empty list: nothing to count
        return 0, False
    # The query's text and parameters (the centre's id among them) name its estimate.
    key = "count-estimate:" + hashlib.sha256(repr(sql_params).encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:  # cached only past the bound: the list was that long minutes ago
        return cached, True
    exact = queryset.order_by()[: bound + 1].count()
    if exact <= bound:
        return exact, False
    estimate = planner_estimate(queryset, sql_params)
    if estimate is None:
        return queryset.count(), False
    estimate = max(estimate, bound + 1)
    cache.set(key, estimate, ESTIMATE_TTL)
    return estimate, True


class EstimatedCountPaginator(Paginator):
    """``Paginator`` whose ``count`` is :func:`bounded_count`; ``count_is_estimate`` says which."""

    @cached_property
    def _bounded(self) -> tuple[int, bool]:
        object_list = self.object_list
        if hasattr(object_list, "query"):
            return bounded_count(object_list)
        return len(object_list), False

    @cached_property
    def count(self) -> int:
        return self._bounded[0]

    @property
    def count_is_estimate(self) -> bool:
        return self._bounded[1]
