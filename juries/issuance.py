"""The centre's side of « who issues and who signs » (issue 13, point 1).

- At the last signature, a jury whose certificateur issues some of its documents transmits its
  signed PV (``PvTransmission``: state and date); the centre issues only its own kinds.
- Once the certificateur reviewed the PV (``certificateur.issuance``), the documents it issues
  are requested in the centre's tenant by ``issuance_run`` (a Celery task, numbering and
  rendering through the documents layer as at the centre).
- A centre enters the name of its own signatory (« Le Président de la CCI dont dépend
  l'établissement de formation »).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, actor_user
from core.errors import ApplicationError
from documents.models import CentreSignatoryName, IssuanceSignatory, Issuer
from juries.models import Jury, PvTransmission
from juries.notifications import documents_issued_notify, pv_transmitted_notify
from organisations.models import Membership
from organisations.services import audit_record
from organisations.tenancy import current_organisation

NAME_MAX = 200


def pv_transmit(*, jury: Jury, by: Actor) -> PvTransmission | None:
    """Record the signed PV as transmitted to the certificateur when it issues some of the
    jury's documents (none otherwise). Called at the freeze, in its transaction."""
    from juries.documents import kinds_issued_by

    if not kinds_issued_by(jury, Issuer.CERTIFICATEUR):
        return None
    transmission, created = PvTransmission.objects.get_or_create(
        organisation_id=jury.organisation_id,
        jury=jury,
        defaults={
            "certificateur_id": jury.referentiel.certificateur_id,
            "transmitted_at": timezone.now(),
            "transmitted_by": actor_user(by),
        },
    )
    if created:
        audit_record(
            actor=actor_user(by),
            action="jury.pv_transmis",
            obj=jury,
            message=f"Procès-verbal transmis à {jury.referentiel.certificateur_nom}",
        )
        pv_transmitted_notify(transmission=transmission)
    return transmission


@transaction.atomic
def pv_transmit_again(*, transmission: PvTransmission, by: Membership) -> PvTransmission:
    """The centre transmits again a PV the certificateur returned (after the correction asked)."""
    transmission = PvTransmission.objects.select_for_update().get(pk=transmission.pk)
    if transmission.status != PvTransmission.Status.RETOURNE:
        raise ApplicationError(
            "Seul un procès-verbal retourné par le certificateur peut être transmis à nouveau."
        )
    transmission.status = PvTransmission.Status.TRANSMIS
    transmission.transmitted_at, transmission.transmitted_by = timezone.now(), actor_user(by)
    transmission.save(update_fields=["status", "transmitted_at", "transmitted_by"])
    audit_record(
        actor=actor_user(by),
        action="jury.pv_transmis",
        obj=transmission.jury,
        message="nouvelle transmission",
    )
    pv_transmitted_notify(transmission=transmission, again=True)
    return transmission


def transmission_of(jury: Jury) -> PvTransmission | None:
    return PvTransmission.objects.filter(jury=jury).first()


def issuance_run(*, jury: Jury, certificateur_id: int, user_id: int | None) -> int:
    """In the centre's tenant (a ``TenantTask``): issue the certificateur's documents of ``jury``
    once its staff launched the issue, then mark the transmission issued. Idempotent (the keys
    of the documents are the jury's), so a retried task numbers nothing twice."""
    from juries.documents import jury_documents_issue

    transmission = PvTransmission.objects.select_for_update().filter(jury=jury).first()
    if transmission is None or transmission.certificateur_id != certificateur_id:
        return 0
    if transmission.status not in (PvTransmission.Status.EMISSION, PvTransmission.Status.EMIS):
        return 0
    enqueued = jury_documents_issue(jury=jury, issuer=Issuer.CERTIFICATEUR)
    if transmission.status != PvTransmission.Status.EMIS:
        transmission.status, transmission.issued_at = PvTransmission.Status.EMIS, timezone.now()
        transmission.save(update_fields=["status", "issued_at"])
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        audit_record(actor=user, action="jury.documents_emis_certificateur", obj=jury)
        documents_issued_notify(transmission=transmission)
    return enqueued


# --- the centre's own signatory ----------------------------------------------------------------


def _centre_named(centre) -> list[IssuanceSignatory]:
    from referentiels.models import Habilitation

    certificateurs = set(
        Habilitation.objects.filter(centre=centre).values_list("certificateur_id", flat=True)
    )
    return list(
        IssuanceSignatory.objects.filter(
            named_by=IssuanceSignatory.NamedBy.CENTRE, rule__certificateur_id__in=certificateurs
        )
        .select_related("rule__certificateur")
        .order_by("rule__certificateur__name", "title", "rule__referentiel_code", "rule__kind")
    )


def centre_signatories(*, centre) -> list[dict]:
    """Signatories the centre names itself, for the certificateurs that habilitated it: one row per
    certificateur and title (the same person signs the parchemin and the certificat de bloc)."""
    signatories = _centre_named(centre)
    names = dict(
        CentreSignatoryName.objects.filter(signatory__in=signatories).values_list("signatory_id", "name")
    )
    rows: dict[tuple[int, str], dict] = {}
    for s in signatories:
        row = rows.setdefault(
            (s.rule.certificateur_id, s.title.casefold()),
            {
                "signatory": s,
                "certificateur": s.rule.certificateur.name,
                "documents": [],
                "certifications": [],
                "name": "",
            },
        )
        row["documents"].append(s.rule.get_kind_display())
        code = s.rule.referentiel_code or "toutes ses certifications"
        if code not in row["certifications"]:
            row["certifications"].append(code)
        row["name"] = row["name"] or names.get(s.pk, "")
    for row in rows.values():
        row["document"] = ", ".join(dict.fromkeys(row["documents"]))
        row["certification"] = ", ".join(row["certifications"])
    return list(rows.values())


@transaction.atomic
def centre_signatory_name_set(*, by: Membership, signatory_public_id, name: str) -> CentreSignatoryName:
    """The centre's name for one of its signatories — and every signatory of the same certificateur
    with the same title (validated, audited; nothing written on error)."""
    centre = current_organisation()
    named = _centre_named(centre)
    signatory = next((s for s in named if s.public_id == signatory_public_id), None)
    if signatory is None:
        raise ApplicationError("Signataire inconnu pour ce centre.", field="signatory")
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(f"Indiquez le nom de « {signatory.title} ».", field="name")
    if len(name) > NAME_MAX:
        raise ApplicationError(f"Nom trop long ({NAME_MAX} caractères au plus).", field="name")
    same = [
        s
        for s in named
        if s.rule.certificateur_id == signatory.rule.certificateur_id
        and s.title.casefold() == signatory.title.casefold()
    ]
    row = None
    for s in same:
        saved, _created = CentreSignatoryName.objects.update_or_create(
            organisation=centre, signatory=s, defaults={"name": name, "updated_by": actor_user(by)}
        )
        row = row or saved
    audit_record(
        actor=actor_user(by), action="signataire.nom", obj=signatory, message=f"{signatory.title} : {name}"
    )
    assert row is not None
    return row
