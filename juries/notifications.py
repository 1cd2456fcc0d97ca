"""E-mails of the signed PV's journey to the certificateur that issues (issue 13, point 1):

- the certificateur's staff are told when a centre transmits a signed PV (or transmits it again);
- the centre's administrators and gestionnaires are told when the certificateur has issued the
  documents, or returned the PV with its reason.

The candidates' « document disponible » e-mail is the candidate space's, on each rendered document
(``document.ready``): a document the certificateur issues reaches them the same way.

Each e-mail is queued after commit (``organisations.tasks.staff_email_send``), in French, with the
page to open; nothing is sent when the organisation has nobody to tell.
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.urls import reverse

from core.dispatch import enqueue_on_commit
from juries.models import Decision, PvTransmission
from organisations.models import Membership
from organisations.roles import Role

CENTRE_ROLES = (Role.ADMIN, Role.GESTIONNAIRE)
CERTIFICATEUR_ROLES = (Role.CERTIFICATEUR,)


def _url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _emails(organisation_id: int, roles) -> list[str]:
    return sorted(
        {
            email
            for email in Membership.objects.filter(
                organisation_id=organisation_id, role__in=roles, user__is_active=True
            ).values_list("user__email", flat=True)
            if email
        }
    )


def _send(organisation_id: int, roles, subject: str, lines: list[str]) -> int:
    to = _emails(organisation_id, roles)
    if to:
        enqueue_on_commit(
            "organisations.tasks.staff_email_send",
            organisation_id=organisation_id,
            to=to,
            subject=subject,
            body="\n".join(["Bonjour,", "", *lines]),
        )
    return len(to)


def _decisions(transmission: PvTransmission) -> str:
    counts = Counter(Decision.objects.filter(jury_id=transmission.jury_id).values_list("decision", flat=True))
    parts = [
        f"{counts.get('certifie', 0)} certifié(s)",
        f"{counts.get('partiel', 0)} validation(s) partielle(s)",
        f"{counts.get('ajourne', 0)} ajourné(s)",
    ]
    return f"{sum(counts.values())} candidat(s) : " + ", ".join(parts)


def pv_transmitted_notify(*, transmission: PvTransmission, again: bool = False) -> int:
    """Tell the certificateur's staff a signed PV awaits their review (« PV reçus »)."""
    jury, centre = transmission.jury, transmission.organisation
    certificateur = transmission.certificateur
    path = reverse(
        "received_pv", kwargs={"org_slug": certificateur.slug, "transmission_id": transmission.public_id}
    )
    return _send(
        certificateur.pk,
        CERTIFICATEUR_ROLES,
        f"Procès-verbal {'transmis à nouveau' if again else 'reçu'} : {jury.intitule} — {centre.name}",
        [
            f"{centre.name} vous a {'transmis à nouveau, après correction,' if again else 'transmis'} le "
            f"procès-verbal signé du jury « {jury.intitule} » (certification « {jury.referentiel.intitule} »), "
            f"délibéré le {jury.date:%d/%m/%Y}.",
            _decisions(transmission) + ".",
            "",
            "Examinez-le, puis émettez les documents ou retournez-le au centre avec un motif :",
            _url(path),
            "",
            certificateur.name,
        ],
    )


def documents_issued_notify(*, transmission: PvTransmission) -> int:
    """Tell the centre the certificateur has issued the documents of its jury."""
    jury, certificateur = transmission.jury, transmission.certificateur
    return _tell_centre(
        transmission,
        f"Documents émis par {certificateur.name} : {jury.intitule}",
        [
            f"{certificateur.name} a examiné le procès-verbal du jury « {jury.intitule} » du "
            f"{jury.date:%d/%m/%Y} et émis les parchemins et certificats de bloc qu'il délivre.",
            "Ils sont générés en ce moment ; vous les retrouvez avec les autres documents du jury, et "
            "chaque candidat est prévenu dès que le sien est disponible (une fois les résultats publiés) :",
        ],
    )


def pv_returned_notify(*, transmission: PvTransmission) -> int:
    """Tell the centre the certificateur returned its PV, with the reason."""
    jury, certificateur = transmission.jury, transmission.certificateur
    return _tell_centre(
        transmission,
        f"Procès-verbal retourné par {certificateur.name} : {jury.intitule}",
        [
            f"{certificateur.name} vous a retourné le procès-verbal du jury « {jury.intitule} » du "
            f"{jury.date:%d/%m/%Y} sans émettre de document, pour le motif suivant :",
            "",
            f"« {transmission.return_reason} »",
            "",
            "Apportez la correction demandée, puis transmettez-le à nouveau depuis la page du jury :",
        ],
    )


def _tell_centre(transmission: PvTransmission, subject: str, lines: list[str]) -> int:
    """Mail the centre's administrators and gestionnaires: ``lines``, the jury's page, the centre's name."""
    path = reverse(
        "jury_detail",
        kwargs={"org_slug": transmission.organisation.slug, "jury_id": transmission.jury.public_id},
    )
    return _send(
        transmission.organisation_id,
        CENTRE_ROLES,
        subject,
        [*lines, _url(path), "", transmission.organisation.name],
    )
