"""Demo data of the candidate's space: the first candidate of CCI Campus Lyon's signed jury is
invited to their space (``candidat@cci-lyon.demo``, sign-in by a code printed on the console).
The jury's results are left unpublished: publishing them from the jury's page shows the e-mails
and the candidate's results, documents and credential appearing."""

from django.db import transaction

from candidates.models import Dossier
from espace_candidat.models import CandidateAccess
from organisations.models import Membership, Organisation
from organisations.tenancy import tenant_context

CENTRE = "cci-campus-lyon"
EMAIL = "candidat@cci-lyon.demo"


def seed(stdout=None) -> dict:
    from candidates.services import candidate_update
    from espace_candidat.services import candidate_invite
    from juries.models import Decision, Jury

    org = Organisation.objects.filter(slug=CENTRE).first()
    gestionnaire = (
        Membership.objects.filter(organisation=org, user__email="gestionnaire@cci-lyon.demo").first()
        if org
        else None
    )
    if org is None or gestionnaire is None:
        return {}
    with tenant_context(org):
        if CandidateAccess.objects.filter(user__email=EMAIL).exists():
            return {}
        jury = Jury.objects.filter(intitule__startswith="Jury de certification signé").first()
        decision = (
            Decision.objects.filter(jury=jury, dossier__decision=Dossier.Decision.CERTIFIE)
            .select_related("dossier__candidate")
            .order_by("order", "pk")
            .first()
            if jury
            else None
        )
        if decision is None:
            return {}
        candidate = candidate_update(candidate=decision.dossier.candidate, by=gestionnaire, email=EMAIL)
        with transaction.atomic():
            candidate_invite(candidate=candidate, by=gestionnaire)
    if stdout:
        stdout.write(f"Espace candidat : {EMAIL} (connexion par code, affiché dans la console).")
    return {"candidat": EMAIL}
