"""The certificateur approves the life of the documents it issues (issue 13, point 5): the
civil-status corrections (re-issues) and the revocations the centres request.

Seed 004's certificateur issues the parchemins (« le PV est transmis à CCI France … pour émission
des parchemins »), so a correction or a revocation of one of them is « requested by the centre and
approved by the issuing body (two people; the requester cannot approve) ».

- **Read**: the pending (and recently decided) requests of every centre whose
  ``approver_certificateur`` is this certificateur, in ``oversight_context`` (read only); the
  pièce justificative of a re-issue is served to its staff.
- **Decide**: after that read-only check, the decision is written in the centre's tenant
  (``tenant_context(centre)``) by ``documents.approvals``, which checks the decider again (a
  member of this certificateur with ``oversight.issue``, not the requester) and audits; the
  certificateur's own audit trail records it too.
"""

from __future__ import annotations

import uuid

from django.http import Http404

from certificateur.oversight import oversight_context
from core.actors import actor_user
from core.errors import ApplicationError
from documents import approvals as document_approvals
from documents.models import ReissueRequest, RevocationRequest
from organisations.models import Membership, Organisation
from organisations.services import audit_record
from organisations.tenancy import tenant_context

KINDS = {"reeditions": ReissueRequest, "revocations": RevocationRequest}
KIND_LABELS = {"reeditions": "Réédition (correction d'état civil)", "revocations": "Révocation"}
RECENT = 50
IDENTITY_LABELS = {
    "civilite": "Civilité",
    "sexe": "Sexe",
    "nom_naissance": "Nom de naissance",
    "nom_usage": "Nom d'usage",
    "prenom1": "Premier prénom",
    "prenom2": "Deuxième prénom",
    "prenom3": "Troisième prénom",
    "naissance_jour": "Jour de naissance",
    "naissance_mois": "Mois de naissance",
    "naissance_annee": "Année de naissance",
    "naissance_commune": "Commune de naissance",
}


def _rows(model, certificateur: Organisation, pending: bool) -> list:
    qs = (
        model.objects.filter(approver_certificateur=certificateur)
        .select_related("document", "organisation", "requested_by", "decided_by")
        .order_by("-requested_at", "pk")
    )
    if pending:
        return list(qs.filter(status=model.Status.PENDING))
    return list(qs.exclude(status=model.Status.PENDING).order_by("-decided_at", "pk")[:RECENT])


def approval_row(kind: str, r) -> dict:
    changes = []
    if kind == "reeditions":
        changes = [
            {"field": IDENTITY_LABELS.get(k, k), "value": "" if v is None else str(v)}
            for k, v in sorted((r.identity or {}).items())
        ]
    return {
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "request": r,
        "document": r.document,
        "centre": r.organisation,
        "changes": changes,
        "category": r.get_category_display() if kind == "revocations" else "",
    }


def approvals_list(*, certificateur: Organisation) -> dict:
    """``{"pending": [...], "decided": [...]}``: every centre's requests this certificateur
    approves, oldest pending first; the last decided ones, newest first. Constant queries."""
    with oversight_context(certificateur):
        pending = [
            approval_row(kind, r) for kind, model in KINDS.items() for r in _rows(model, certificateur, True)
        ]
        decided = [
            approval_row(kind, r) for kind, model in KINDS.items() for r in _rows(model, certificateur, False)
        ]
    pending.sort(key=lambda row: row["request"].requested_at)
    decided.sort(key=lambda row: row["request"].decided_at, reverse=True)
    return {"pending": pending, "decided": decided[:RECENT]}


def approval_get(*, certificateur: Organisation, kind: str, public_id):
    """One request this certificateur approves (404 otherwise: another certificateur's, a
    centre's own, unknown)."""
    model = KINDS.get(kind)
    try:
        uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None
    if model is None:
        raise Http404
    with oversight_context(certificateur):
        row = (
            model.objects.select_related("document", "organisation", "requested_by", "decided_by")
            .filter(public_id=public_id, approver_certificateur=certificateur)
            .first()
        )
    if row is None:
        raise Http404
    return row


def approval_piece(*, certificateur: Organisation, public_id) -> tuple[bytes, str]:
    """The supporting pièce of a re-issue request, for the staff who decide it."""
    request = approval_get(certificateur=certificateur, kind="reeditions", public_id=public_id)
    with request.piece.open("rb") as handle:
        return handle.read(), request.piece_name


def approval_decide(
    *, certificateur: Organisation, by: Membership, kind: str, public_id, decision: str, note: str = ""
):
    """Approve or refuse one request (``decision``: « approuver » or « refuser »). Nothing is
    written on bad input; the centre's audit and the certificateur's both record the decision."""
    if decision not in ("approuver", "refuser"):
        raise ApplicationError("Choisissez « approuver » ou « refuser ».", field="decision")
    row = approval_get(certificateur=certificateur, kind=kind, public_id=public_id)
    approve = decision == "approuver"
    decided: ReissueRequest | RevocationRequest
    with tenant_context(row.organisation):
        if kind == "reeditions":
            decided = document_approvals.reissue_request_decide_as_issuer(
                request=row, by=by, approve=approve, note=note
            )
        else:
            decided = document_approvals.revocation_request_decide(
                request=row, by=by, approve=approve, note=note
            )
    audit_record(
        actor=actor_user(by),
        action=f"approbation.{kind}.{'approuvee' if approve else 'refusee'}",
        obj=decided,
        message=f"{row.document} — {row.organisation.name}"
        + (f" : {decided.decision_note}" if decided.decision_note else ""),
    )
    return decided
