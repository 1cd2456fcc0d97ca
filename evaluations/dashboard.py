"""Dashboard panel: upcoming épreuves and pending avis (staff), what to mark (évaluateur), what to give (tuteur)."""

import datetime as dt

from django.utils import timezone

from evaluations.models import AvisEntreprise, Epreuve
from organisations.dashboard import register_panel
from organisations.models import Membership
from organisations.roles import has_capability


@register_panel
def evaluations_panel(membership: Membership):
    if membership.organisation.kind != "centre":
        return None
    from evaluations import selectors

    today = timezone.localdate()
    if has_capability(membership.role, "avis.give"):
        avis = list(selectors.avis_for_tuteur(user=membership.user).filter(soumis_le__isnull=True)[:10])
        return {"template": "evaluations/dashboard_panel.html", "avis_a_donner": avis}
    if not has_capability(membership.role, "results.record"):
        return None
    if has_capability(membership.role, "sessions.manage"):
        epreuves = Epreuve.objects.filter(date__gte=today).select_related("session")
        pending = AvisEntreprise.objects.filter(soumis_le__isnull=True).count()
    else:
        epreuves = selectors.epreuves_for_evaluateur(user=membership.user).filter(
            date__gte=today - dt.timedelta(days=60)
        )
        pending = None
    return {
        "template": "evaluations/dashboard_panel.html",
        "epreuves": list(epreuves.order_by("date", "heure_debut")[:6]),
        "avis_en_attente": pending,
        "manage": has_capability(membership.role, "sessions.manage"),
    }
