"""API of « who issues and who signs » (issue 13, point 1), under ``/api/v1/o/<certificateur>/supervision/``:
the rules (``emission/regles/``) and the PVs received from the centres (``pv-recus/``)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from certificateur import issuance
from certificateur.api import CertificateurAPIView
from core.api import Pagination
from documents.issuance import KIND_LABELS
from documents.models import IssuanceRule, IssuanceSignatory, Issuer
from juries.models import PvTransmission


class SignatorySerializer(serializers.Serializer):
    title = serializers.CharField(help_text="qualité, ex. « Le Président de CCI France »")
    name = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="nom (vide si renseigné par chaque centre)"
    )
    named_by = serializers.ChoiceField(
        choices=IssuanceSignatory.NamedBy.choices, default=IssuanceSignatory.NamedBy.CERTIFICATEUR
    )


class RuleSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    referentiel_code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="certification (vide : règle par défaut)"
    )
    kind = serializers.ChoiceField(choices=list(KIND_LABELS.items()))
    issuer = serializers.ChoiceField(choices=Issuer.choices)
    signataires = SignatorySerializer(many=True, required=False)
    source = serializers.CharField(required=False, allow_blank=True, default="")
    updated_at = serializers.DateTimeField(read_only=True)


def _rule_data(rule: IssuanceRule) -> dict:
    return {
        "id": str(rule.public_id),
        "referentiel_code": rule.referentiel_code,
        "kind": rule.kind,
        "issuer": rule.issuer,
        "signataires": [
            {"title": s.title, "name": s.name, "named_by": s.named_by} for s in rule.signatories.all()
        ],
        "source": rule.source,
        "updated_at": rule.updated_at,
    }


class RuleListView(CertificateurAPIView):
    required_permission = "oversight.configure"

    @extend_schema(responses=RuleSerializer(many=True), summary="Règles d'émission et signataires")
    def get(self, request, org_slug):
        return Response([_rule_data(r) for r in issuance.issuance_rules(certificateur=request.organisation)])

    @extend_schema(
        request=RuleSerializer,
        responses={201: RuleSerializer},
        summary="Définir (ou remplacer) qui émet un document et qui le signe",
    )
    def post(self, request, org_slug):
        # The service validates every field with French messages (nothing written on error).
        data = request.data if isinstance(request.data, dict) else {}
        rule = issuance.issuance_rule_set(
            certificateur=request.organisation,
            by=self.membership,
            kind=str(data.get("kind", "")),
            issuer=str(data.get("issuer", "")),
            referentiel_code=str(data.get("referentiel_code", "") or ""),
            signataires=data.get("signataires", []),
            source=str(data.get("source", "") or ""),
        )
        return Response(_rule_data(rule), status=status.HTTP_201_CREATED)


class RuleDetailView(CertificateurAPIView):
    required_permission = "oversight.configure"

    @extend_schema(responses={204: None}, summary="Supprimer une règle (la règle par défaut s'applique)")
    def delete(self, request, org_slug, rule_id):
        rule = issuance.issuance_rule_get(certificateur=request.organisation, public_id=rule_id)
        issuance.issuance_rule_delete(rule=rule, by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReceivedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    jury = serializers.CharField()
    centre = serializers.CharField()
    referentiel = serializers.CharField()
    date_deliberation = serializers.DateField()
    status = serializers.ChoiceField(choices=PvTransmission.Status.choices)
    transmitted_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    return_reason = serializers.CharField()
    decisions = serializers.DictField(child=serializers.IntegerField())


def _received_data(t: PvTransmission, decisions, progress=None) -> dict:
    return {
        "id": str(t.public_id),
        "jury": t.jury.intitule,
        "centre": t.organisation.name,
        "referentiel": t.jury.referentiel.code,
        "date_deliberation": t.jury.date,
        "status": t.status,
        "transmitted_at": t.transmitted_at,
        "issued_at": t.issued_at,
        "return_reason": t.return_reason,
        "decisions": dict(decisions),
        "progression": progress,
    }


class ReceivedListView(CertificateurAPIView):
    required_permission = "oversight.issue"
    pagination_class = Pagination  # the schema describes the page it answers

    @extend_schema(
        parameters=[OpenApiParameter("etat", str, enum=PvTransmission.Status.values)],
        responses=ReceivedSerializer(many=True),
        summary="Procès-verbaux signés reçus des centres (par pages, filtre « etat » conservé)",
    )
    def get(self, request, org_slug):
        state = request.query_params.get("etat", "")
        paginator = Pagination()
        paginator.page_size = issuance.RECEIVED_PER_PAGE
        rows = issuance.received_pvs_paginate(
            certificateur=request.organisation,
            status=state if state in PvTransmission.Status.values else "",
            paginate=lambda qs: paginator.paginate_queryset(qs, request, view=self),
        )
        return paginator.get_paginated_response(
            [_received_data(r["transmission"], r["decisions"], r["progress"]) for r in rows]
        )


class ReceivedDetailView(CertificateurAPIView):
    required_permission = "oversight.issue"

    @extend_schema(
        responses=ReceivedSerializer, summary="Un procès-verbal reçu : décisions, signataires, progression"
    )
    def get(self, request, org_slug, transmission_id):
        info = issuance.received_pv_get(certificateur=request.organisation, public_id=transmission_id)
        counts: dict[str, int] = {}
        for d in info["decisions"]:
            counts[d["decision_code"]] = counts.get(d["decision_code"], 0) + 1
        data = _received_data(info["transmission"], counts, info["progress"])
        data["candidats"] = [
            {"nom": d["nom"], "decision": d["decision_code"], "blocs_valides": d["blocs"]}
            for d in info["decisions"]
        ]
        data["signataires"] = info["signatories"]
        data["noms_manquants"] = info["missing"]
        data["documents"] = [
            {"kind": d.kind, "number": d.number, "holder_name": d.holder_name, "status": d.status}
            for d in info["issued"]
        ]
        return Response(data)


class IssueSerializer(serializers.Serializer):
    transmissions = serializers.ListField(
        child=serializers.UUIDField(), help_text="procès-verbaux reçus à émettre"
    )


class ReceivedIssueView(CertificateurAPIView):
    required_permission = "oversight.issue"

    @extend_schema(
        request=IssueSerializer,
        responses={202: ReceivedSerializer(many=True)},
        summary="Émettre les documents de procès-verbaux reçus (en lot, tâche de fond)",
    )
    def post(self, request, org_slug):
        data = IssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        launched = issuance.received_pvs_issue(
            certificateur=request.organisation,
            by=self.membership,
            public_ids=data.validated_data["transmissions"],
        )
        return Response([_received_data(t, {}) for t in launched], status=status.HTTP_202_ACCEPTED)


class ReturnSerializer(serializers.Serializer):
    motif = serializers.CharField(allow_blank=True, help_text="motif du retour au centre")


class ReceivedReturnView(CertificateurAPIView):
    required_permission = "oversight.issue"

    @extend_schema(
        request=ReturnSerializer, responses=ReceivedSerializer, summary="Retourner un procès-verbal au centre"
    )
    def post(self, request, org_slug, transmission_id):
        data = ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        t = issuance.received_pv_return(
            certificateur=request.organisation,
            by=self.membership,
            public_id=transmission_id,
            reason=data.validated_data["motif"],
        )
        return Response(_received_data(t, {}))


# --- approvals of re-issues and revocations (issue 13, point 5) ---------------------------------


class ApprovalChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="champ d'état civil corrigé")
    value = serializers.CharField(help_text="valeur demandée")


class ApprovalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=["reeditions", "revocations"])
    status = serializers.ChoiceField(choices=["pending", "approved", "refused"])
    centre = serializers.CharField()
    document = serializers.DictField(child=serializers.CharField(), help_text="type, numéro, titulaire")
    reason = serializers.CharField()
    category = serializers.CharField(
        help_text="catégorie publique d'une révocation (vide pour une réédition)"
    )
    changes = ApprovalChangeSerializer(many=True, help_text="état civil demandé (réédition)")
    requested_at = serializers.DateTimeField()
    requested_by = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()


def _approval_data(row: dict) -> dict:
    r = row["request"]
    who = r.requested_by
    return {
        "id": str(r.public_id),
        "kind": row["kind"],
        "status": r.status,
        "centre": row["centre"].name,
        "document": {
            "kind": r.document.kind,
            "number": r.document.number,
            "holder_name": r.document.holder_name,
        },
        "reason": r.reason,
        "category": getattr(r, "category", ""),
        "changes": row["changes"],
        "requested_at": r.requested_at,
        "requested_by": who.get_full_name() or who.email,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
    }


class ApprovalListView(CertificateurAPIView):
    required_permission = "oversight.issue"

    @extend_schema(
        responses=ApprovalSerializer(many=True),
        summary="Rééditions et révocations demandées par les centres, à approuver (puis les récentes)",
    )
    def get(self, request, org_slug):
        from certificateur import approvals

        data = approvals.approvals_list(certificateur=request.organisation)
        return Response([_approval_data(r) for r in data["pending"] + data["decided"]])


class ApprovalDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approuver", "refuser"])
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="observation (obligatoire pour un refus)"
    )


class ApprovalDecideView(CertificateurAPIView):
    required_permission = "oversight.issue"

    @extend_schema(
        request=ApprovalDecisionSerializer,
        responses=ApprovalSerializer,
        summary="Approuver ou refuser une réédition ou une révocation (pas par la personne qui l'a demandée)",
    )
    def post(self, request, org_slug, kind, request_id):
        from certificateur import approvals

        data = ApprovalDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = approvals.approval_decide(
            certificateur=request.organisation,
            by=self.membership,
            kind=kind,
            public_id=request_id,
            decision=data.validated_data["decision"],
            note=data.validated_data["note"],
        )
        row = approvals.approval_get(
            certificateur=request.organisation, kind=kind, public_id=decided.public_id
        )
        return Response(_approval_data(approvals.approval_row(kind, row)))
