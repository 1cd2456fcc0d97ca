"""Which dossiers an évaluateur may open: those of the épreuves they evaluate or correct."""

from django.db.models import Q

from evaluations.models import Correction, InscriptionEpreuve
from organisations.models import Membership


def dossiers_of_evaluateur(membership: Membership) -> Q:

    sits = InscriptionEpreuve.objects.filter(epreuve__evaluateurs__user=membership.user).values("dossier_id")
    corrects = Correction.objects.filter(correcteur=membership.user).values("dossier_id")
    return Q(pk__in=sits) | Q(pk__in=corrects)
