"""Which dossiers a jury member may open: those of the juries they sit on."""

from django.db.models import Q


def dossiers_of_jury_member(membership) -> Q:
    from juries.models import Decision

    return Q(pk__in=Decision.objects.filter(jury__members__email__iexact=membership.user.email).values("dossier_id"))
