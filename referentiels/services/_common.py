"""What the référentiels services share: the owner, certificateur and draft guards."""

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.models import (
    Referentiel,
)


def _require_certificateur(organisation: Organisation) -> None:
    if organisation.kind != Organisation.Kind.CERTIFICATEUR:
        raise ApplicationError("Seul un certificateur peut gérer ses référentiels.")


def _require_owner(referentiel: Referentiel, organisation: Organisation) -> None:
    if referentiel.certificateur_id != organisation.pk:
        raise ApplicationError("Ce référentiel appartient à un autre certificateur.")


def _require_draft(referentiel: Referentiel) -> None:
    if referentiel.status != Referentiel.Status.DRAFT:
        raise ApplicationError(
            f"{referentiel.code} v{referentiel.version} est {referentiel.get_status_display().lower()} : "
            "il ne peut plus être modifié. Créez une nouvelle version."
        )
