"""Listeners registered on the lower apps' hooks (dependencies flow one way: they never import us)."""

from juries.hooks import register_publication_listener


@register_publication_listener
def _results_published(*, jury, by=None) -> None:
    from espace_candidat.services import results_published

    results_published(jury=jury, by=by)
