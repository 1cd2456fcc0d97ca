"""The candidate's searchable columns (list page, export, API): one trigram index covers them
(migration 0005_scale_indexes; see core/search.py)."""

from core.search import word_condition

CANDIDATE_SEARCH_COLUMNS = ("nom_naissance", "nom_usage", "prenom1", "prenom2", "email")


def candidate_word(word: str):
    """``word`` in one of the candidate's names or e-mail (any case), as an indexed condition."""
    return word_condition(CANDIDATE_SEARCH_COLUMNS, word)
