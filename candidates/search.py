"""The candidate's searchable columns (list page, export, API) and the search itself.

On PostgreSQL a word is looked up by ``candidate_search_ids(pattern)`` (migration
0007_search_function): a ``SECURITY DEFINER`` function returning the matching candidates of the
current organisation through the trigram index ``(organisation_id, names)``, which row-level
security keeps the application role's own clause from using (its ``upper``/``LIKE`` are not
LEAKPROOF). Elsewhere (SQLite, the demo) the same LIKE runs through the ORM (core/search.py)."""

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from core.search import like_pattern, word_condition

CANDIDATE_SEARCH_COLUMNS = ("nom_naissance", "nom_usage", "prenom1", "prenom2", "email")
SEARCH_FUNCTION = "candidate_search_ids"


def candidate_word(word: str, field: str = "pk") -> Q:
    """``field`` (the candidate's id, or a dossier's ``candidate``) names a candidate of the
    active centre with ``word`` in one of their names or e-mail (any case), indexed."""
    ids: RawSQL | QuerySet
    if connection.vendor == "postgresql":
        # The function's name is a constant of this module; the word is a parameter.
        sql = f"SELECT id FROM {SEARCH_FUNCTION}(%s) AS id"  # noqa: S608
        ids = RawSQL(sql, [like_pattern(word)])  # noqa: S611
    else:
        from candidates.models import Candidate

        ids = Candidate.objects.filter(word_condition(CANDIDATE_SEARCH_COLUMNS, word)).values("pk")
    return Q(**{f"{field}__in": ids})
