"""The certificateur's side of « who issues and who signs » (issue 13, point 1).

- **Rules**: per document kind, which body issues it (the centre, or the certificateur after it
  receives the signed PV) and who signs it (title, and the name where the certificateur names
  the person); a default for all its certifications and an override per certification code.
  Validated (French messages, nothing written on bad input) and audited.
- **PV reçus**: the signed PVs the centres transmitted, read across centres in
  ``oversight_context`` (read only), with their decisions.
- **Issue / return**: after the read-only check that the PV concerns one of its référentiels,
  the certificateur's action is written in the centre's tenant (``tenant_context(centre)``):
  the transmission's state, then one Celery task per PV (``certificateur_issuance_task``) that
  numbers and renders the documents through the centre's usual machinery. This and the task are
  the only writes of a certificateur into a centre's rows.
"""

from __future__ import annotations

from collections import Counter

from django.http import Http404
from django.utils import timezone

from certificateur.oversight import oversight_context
from core.actors import actor_user
from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from documents import issuance as rules
from documents.issuance import KIND_LABELS, rule_resolve
from documents.models import (
    CentreSignatoryName,
    DocumentKind,
    IssuanceRule,
    IssuanceSignatory,
)
from juries.models import Decision, Jury, PvTransmission
from juries.notifications import pv_returned_notify
from organisations.models import Membership, Organisation
from organisations.services import audit_record
from organisations.tenancy import tenant_context
from referentiels.models import Referentiel

REASON_MAX = 2000


# --- rules ------------------------------------------------------------------------------------


def certificateur_codes(certificateur: Organisation) -> list[str]:
    return sorted(set(Referentiel.objects.filter(certificateur=certificateur).values_list("code", flat=True)))


def issuance_rules(*, certificateur: Organisation) -> list[IssuanceRule]:
    return list(
        IssuanceRule.objects.filter(certificateur=certificateur)
        .prefetch_related("signatories")
        .order_by("referentiel_code", "kind")
    )


def issuance_rule_get(*, certificateur: Organisation, public_id) -> IssuanceRule:
    rule = IssuanceRule.objects.filter(certificateur=certificateur, public_id=public_id).first()
    if rule is None:
        raise Http404
    return rule


def issuance_rule_set(*, certificateur: Organisation, by: Membership, **fields) -> IssuanceRule:
    """Create or replace a rule of ``certificateur`` (validated against its own codes, audited)."""
    return rules.issuance_rule_set(
        certificateur=certificateur, by=by, known_codes=certificateur_codes(certificateur), **fields
    )


def issuance_rule_delete(*, rule: IssuanceRule, by: Membership) -> None:
    rules.issuance_rule_delete(rule=rule, by=by)


# --- PV reçus ---------------------------------------------------------------------------------


#: Rows per page of « PV reçus » (page and API): a national certificateur receives thousands.
RECEIVED_PER_PAGE = 50


def _received_qs(certificateur: Organisation, status: str):
    qs = PvTransmission.objects.filter(
        certificateur=certificateur, jury__referentiel__certificateur=certificateur
    ).select_related("jury__referentiel", "organisation")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-transmitted_at", "-pk")


def _received_rows(transmissions: list[PvTransmission]) -> list[dict]:
    """Decisions counted and batch progress of the given transmissions, in two queries (call
    inside ``oversight_context``)."""
    counts: dict[int, Counter] = {}
    for jury_id, decision in Decision.objects.filter(
        jury_id__in=[t.jury_id for t in transmissions]
    ).values_list("jury_id", "decision"):
        counts.setdefault(jury_id, Counter())[decision] += 1
    by_group = _progress_by_group(
        [
            t.jury.group_key
            for t in transmissions
            if t.status in (PvTransmission.Status.EMISSION, PvTransmission.Status.EMIS)
        ]
    )
    return [
        {
            "transmission": t,
            "jury": t.jury,
            "centre": t.organisation,
            "decisions": counts.get(t.jury_id, Counter()),
            "progress": by_group.get(t.jury.group_key),
        }
        for t in transmissions
    ]


def received_pvs_page(*, certificateur: Organisation, status: str = "", page=1, per_page: int | None = None):
    """One page of the transmitted PVs of every centre on the certificateur's référentiels,
    newest first: ``(page, rows)`` — Django's ``Page`` (numbers, count) and its rows."""
    from django.core.paginator import Paginator

    with oversight_context(certificateur):
        paginator = Paginator(_received_qs(certificateur, status), per_page or RECEIVED_PER_PAGE)
        current = paginator.get_page(page)
        current.object_list = list(current.object_list)  # read inside the oversight transaction
        rows = _received_rows(current.object_list)
    return current, rows


def received_pvs_paginate(*, certificateur: Organisation, status: str, paginate) -> list[dict]:
    """The API's page: ``paginate(queryset)`` (DRF's pagination, numbered or keyset) runs inside
    ``oversight_context``; returns the rows of that page."""
    with oversight_context(certificateur):
        transmissions = list(paginate(_received_qs(certificateur, status)) or [])
        return _received_rows(transmissions)


def received_pvs(*, certificateur: Organisation, status: str = "") -> list[dict]:
    """The first page of :func:`received_pvs_page` (newest first)."""
    return received_pvs_page(certificateur=certificateur, status=status)[1]


def _progress_by_group(group_keys: list[str]) -> dict[str, dict]:
    """Ready / total documents of each jury batch, in one query (no query per row)."""
    from django.db.models import Count, Q

    from documents.models import IssuedDocument

    if not group_keys:
        return {}
    rows = (
        IssuedDocument.objects.filter(group_key__in=group_keys)
        .values("group_key")
        .annotate(total=Count("id"), ready=Count("id", filter=Q(status=IssuedDocument.Status.READY)))
        .order_by()
    )
    return {r["group_key"]: {"total": r["total"], "ready": r["ready"]} for r in rows}


def _transmission(certificateur: Organisation, public_id) -> PvTransmission:
    import uuid

    try:
        uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None
    transmission = (
        PvTransmission.objects.select_related("jury__referentiel", "organisation")
        .filter(
            public_id=public_id, certificateur=certificateur, jury__referentiel__certificateur=certificateur
        )
        .first()
    )
    if transmission is None:
        raise Http404
    return transmission


def received_pv_get(*, certificateur: Organisation, public_id) -> dict:
    """One transmitted PV with its decisions, the signed PV document and the signatories' names."""
    from documents.models import IssuedDocument
    from documents.selectors import batch_progress
    from juries.documents import DECISION_LABELS

    with oversight_context(certificateur):
        t = _transmission(certificateur, public_id)
        jury = t.jury
        decisions = list(
            Decision.objects.filter(jury=jury).select_related("dossier__candidate").order_by("order", "pk")
        )
        pv = (
            IssuedDocument.objects.filter(kind=DocumentKind.PROCES_VERBAL, group_key=jury.group_key)
            .order_by("revoked_at", "created_at")
            .first()
        )
        issued = list(
            IssuedDocument.objects.filter(
                group_key=jury.group_key,
                certificateur=certificateur,
                kind__in=[DocumentKind.PARCHEMIN, DocumentKind.CERTIFICAT_BLOC],
            ).order_by("number")
        )
        signatories = _signatories_for_centre(certificateur, jury, t.organisation_id)
        progress = batch_progress(group_key=jury.group_key)
    rows = [
        {
            "nom": f"{d.dossier.candidate.nom_naissance.upper()} {d.dossier.candidate.prenoms}",
            "decision": DECISION_LABELS.get(d.decision, d.decision),
            "decision_code": d.decision,
            "blocs": d.blocs_valides,
            "motivation": d.motivation,
        }
        for d in decisions
    ]
    return {
        "transmission": t,
        "jury": jury,
        "centre": t.organisation,
        "decisions": rows,
        "pv": pv,
        "issued": issued,
        "signatories": signatories,
        "missing": list(dict.fromkeys(s["title"] for s in signatories if not s["name"])),
        "progress": progress,
    }


def _signatories_for_centre(certificateur: Organisation, jury: Jury, centre_id: int) -> list[dict]:
    """Every signatory of the kinds the certificateur issues for this jury, with the name that
    will be printed (the centre's for its own signatory)."""
    ref = jury.referentiel
    out, seen = [], set()
    for kind in (DocumentKind.PARCHEMIN, DocumentKind.CERTIFICAT_BLOC):
        resolved = rule_resolve(certificateur_id=certificateur.pk, code=ref.code, kind=kind)
        if not resolved.by_certificateur:
            continue
        centre_names = dict(
            CentreSignatoryName.objects.filter(
                organisation_id=centre_id, signatory__in=resolved.signatories
            ).values_list("signatory_id", "name")
        )
        for s in resolved.signatories:
            if s.pk in seen:
                continue
            seen.add(s.pk)
            name = centre_names.get(s.pk, "") if s.named_by == IssuanceSignatory.NamedBy.CENTRE else s.name
            out.append(
                {
                    "title": s.title,
                    "name": name,
                    "named_by": s.get_named_by_display(),
                    "kind": KIND_LABELS[kind],
                }
            )
    return out


def received_pvs_issue(*, certificateur: Organisation, by: Membership, public_ids) -> list[PvTransmission]:
    """Issue the documents of one or more transmitted PVs (bulk): every PV is checked first
    (nothing is launched if one cannot be issued), then each gets its Celery task."""
    ids = list(dict.fromkeys(public_ids or []))
    if not ids:
        raise ApplicationError("Choisissez au moins un procès-verbal à émettre.", field="transmissions")
    checked = []
    for public_id in ids:
        info = received_pv_get(certificateur=certificateur, public_id=public_id)
        t = info["transmission"]
        label = f"« {t.jury.intitule} » ({t.organisation.name})"
        if t.status != PvTransmission.Status.TRANSMIS:
            raise ApplicationError(
                f"Le procès-verbal {label} est « {t.get_status_display()} » : rien à émettre.",
                field="transmissions",
            )
        if info["missing"]:
            raise ApplicationError(
                f"Le procès-verbal {label} ne peut pas être émis : nom non renseigné pour "
                + ", ".join(f"« {m} »" for m in info["missing"])
                + ".",
                field="transmissions",
            )
        checked.append(t)
    launched = []
    for t in checked:
        launched.append(_issue_launch(certificateur, by, t))
    return launched


def _issue_launch(certificateur: Organisation, by: Membership, t: PvTransmission) -> PvTransmission:
    user = actor_user(by)
    with tenant_context(t.organisation):
        row = PvTransmission.objects.select_for_update().get(pk=t.pk)
        if row.status != PvTransmission.Status.TRANSMIS or row.certificateur_id != certificateur.pk:
            raise ApplicationError("Ce procès-verbal vient de changer d'état : rechargez la page.")
        row.status, row.issue_started_at, row.reviewed_by = (
            PvTransmission.Status.EMISSION,
            timezone.now(),
            user,
        )
        row.save(update_fields=["status", "issue_started_at", "reviewed_by"])
        audit_record(
            actor=user, action="jury.emission_certificateur", obj=row.jury, message=certificateur.name
        )
        enqueue_on_commit(
            "juries.tasks.certificateur_issuance_task",
            organisation_id=row.organisation_id,
            jury_id=row.jury_id,
            certificateur_id=certificateur.pk,
            user_id=getattr(user, "pk", None),
        )
    audit_record(
        actor=user, action="emission.lancee", obj=row, message=f"{row.jury.intitule} — {t.organisation.name}"
    )
    return row


def received_pv_return(
    *, certificateur: Organisation, by: Membership, public_id, reason: str
) -> PvTransmission:
    """Return a transmitted PV to its centre with a reason (nothing issued)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Indiquez le motif du retour au centre.", field="motif")
    if len(reason) > REASON_MAX:
        raise ApplicationError(f"Motif trop long ({REASON_MAX} caractères au plus).", field="motif")
    t = received_pv_get(certificateur=certificateur, public_id=public_id)["transmission"]
    if t.status != PvTransmission.Status.TRANSMIS:
        raise ApplicationError(
            f"Ce procès-verbal est « {t.get_status_display()} » : il ne peut plus être retourné.",
            field="motif",
        )
    user = actor_user(by)
    with tenant_context(t.organisation):
        row = PvTransmission.objects.select_for_update().get(pk=t.pk)
        if row.status != PvTransmission.Status.TRANSMIS:
            raise ApplicationError("Ce procès-verbal vient de changer d'état : rechargez la page.")
        row.status, row.returned_at, row.return_reason, row.reviewed_by = (
            PvTransmission.Status.RETOURNE,
            timezone.now(),
            reason,
            user,
        )
        row.save(update_fields=["status", "returned_at", "return_reason", "reviewed_by"])
        audit_record(actor=user, action="jury.pv_retourne", obj=row.jury, message=reason)
        pv_returned_notify(transmission=row)
    audit_record(actor=user, action="emission.retour", obj=row, message=reason)
    return row
