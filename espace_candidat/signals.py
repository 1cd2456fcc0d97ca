"""Listeners registered on the lower apps' hooks (dependencies flow one way: they never import us)."""

import re

from core.actors import Actor
from core.events import subscribe
from juries.hooks import register_publication_listener

DOSSIER_IN_KEY = re.compile(r":dossier:([0-9a-f-]{36}):")


@register_publication_listener
def _results_published(*, jury, by: Actor = None) -> None:
    from espace_candidat.services import results_published

    results_published(jury=jury, by=by)


def _document_ready(*, document) -> None:
    """A parchemin, certificat de bloc or attestation rendered after the results were published
    (a late rendering or a re-issue): the candidate is told. Before publication the results
    e-mail is what tells them."""
    from candidates.models import Dossier
    from espace_candidat import selectors, services
    from espace_candidat.models import CandidateNotification

    if document.kind not in selectors.DOCUMENT_KINDS:
        return
    match = DOSSIER_IN_KEY.search(document.idempotency_key)
    if match is None:
        return
    dossier = Dossier.objects.filter(public_id=match.group(1)).select_related("candidate").first()
    if dossier is None or selectors.published_decision(dossier) is None:
        return
    reissue = document.version > 1
    label = document.get_kind_display().lower()
    services.notify(
        candidate=dossier.candidate,
        kind=CandidateNotification.Kind.DOCUMENT,
        key=f"document:{document.public_id}:v{document.version}",
        subject=f"Votre {label} {'a été ré-édité' if reissue else 'est disponible'}",
        lines=[
            (
                f"Votre {label} n° {document.number} a été ré-édité après correction de l'état civil : "
                "même numéro, même code de vérification. Téléchargez la nouvelle version."
            )
            if reissue
            else f"Votre {label}{' n° ' + document.number if document.number else ''} est disponible au téléchargement."
        ],
    )


def _convocation_sent(*, convocation) -> None:
    """The convocation e-mail is sent by evaluations; the space records it among « who was told »."""
    from espace_candidat.models import CandidateNotification

    candidate = convocation.inscription.dossier.candidate
    CandidateNotification.objects.get_or_create(
        organisation=convocation.organisation,
        candidate=candidate,
        key=f"convocation:{convocation.public_id}",
        defaults={
            "kind": CandidateNotification.Kind.CONVOCATION,
            "email": convocation.email,
            "subject": f"Convocation : {convocation.inscription.epreuve.intitule}",
        },
    )


def _jury_frozen(*, jury) -> None:
    """The jury signed: pending identity corrections of its candidates close (pre-jury path)."""
    from espace_candidat.services import identity_requests_close_at_jury

    identity_requests_close_at_jury(jury=jury)


subscribe("document.ready", _document_ready)
subscribe("jury.frozen", _jury_frozen)
subscribe("convocation.sent", _convocation_sent)
