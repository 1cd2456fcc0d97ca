"""What a jury member may open: the dossiers and the documents of the juries they sit on."""

from django.db.models import Q

from juries.models import Decision, Jury


def dossiers_of_jury_member(membership) -> Q:

    return Q(
        pk__in=Decision.objects.filter(jury__members__email__iexact=membership.user.email).values(
            "dossier_id"
        )
    )


def documents_of_jury_member(membership) -> Q:
    """Over ``IssuedDocument``: the batches (``Jury.group_key``) of the member's juries."""

    public_ids = Jury.objects.filter(members__email__iexact=membership.user.email).values_list(
        "public_id", flat=True
    )
    return Q(group_key__in=[f"jury:{public_id}" for public_id in public_ids])
