"""Publication of the results to the candidates, once the PV is complete."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.actors import actor_user
from core.errors import ApplicationError
from juries import rules as jury_rules
from juries.models import Jury
from organisations.models import Membership
from organisations.services import audit_record


def publication_deadline(jury: Jury) -> dt.date | None:
    weeks = jury_rules.rules_for(jury.referentiel).delai_publication_semaines
    return jury.date_dernier_examen + dt.timedelta(weeks=weeks) if weeks else None


@transaction.atomic
def jury_results_publish(*, jury: Jury, by: Membership) -> Jury:
    """Release the results to the candidates — only once the PV is complete."""
    jury = Jury.objects.select_for_update().select_related("referentiel").get(pk=jury.pk)
    if not jury.is_frozen:
        raise ApplicationError(
            "Les résultats se publient une fois le procès-verbal signé par tous les membres."
        )
    if jury.results_published_at:
        raise ApplicationError(
            f"Résultats déjà publiés le {timezone.localtime(jury.results_published_at):%d/%m/%Y}."
        )
    jury.results_published_at, jury.results_published_by = timezone.now(), actor_user(by)
    jury.save(update_fields=["results_published_at", "results_published_by"])
    audit_record(actor=actor_user(by), action="jury.publish", obj=jury)
    from juries.hooks import publication_listeners

    for listener in publication_listeners():
        listener(jury=jury, by=by)
    return jury
