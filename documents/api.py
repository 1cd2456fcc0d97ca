"""Documents API: one ``APIView`` per operation; parse, call the service or selector, serialize."""

from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.errors import ApplicationError
from documents import approvals, hooks, selectors, services
from documents.serializers import (
    BatchProgressSerializer,
    DocumentDetailSerializer,
    DocumentSerializer,
    ReissueDecisionSerializer,
    ReissueRequestSerializer,
    ReissueSerializer,
    RevocationRequestSerializer,
    RevokeSerializer,
    VerificationSerializer,
)
from documents.views import credential_response, download_filename, pdf_response
from organisations.api import TenantAPIView

GROUP_PARAM = OpenApiParameter(
    "group_key", str, required=True, description="Lot de documents (ex. « jury:<uuid> »)"
)


def _group_key(request, actor) -> str:
    group_key = request.query_params.get("group_key", "")
    if not group_key:
        raise ApplicationError("Paramètre « group_key » obligatoire.", field="group_key")
    selectors.document_group_check(actor=actor, group_key=group_key)
    return group_key


class DocumentListView(TenantAPIView, ListAPIView):
    required_permission = "documents.view"
    serializer_class = DocumentSerializer
    filterset_fields = ["kind", "status", "group_key"]
    ordering_fields = ["created_at", "number", "holder_name", "status"]
    search_fields = ["holder_name", "number", "title"]

    def get_queryset(self):
        return selectors.document_list(actor=self.membership)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "org_slug": self.kwargs["org_slug"]}

    @extend_schema(summary="Documents délivrés (statut de génération compris)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DocumentDetailView(TenantAPIView):
    required_permission = "documents.view"

    @extend_schema(responses=DocumentDetailSerializer, summary="Un document, ses données et ses versions")
    def get(self, request, org_slug, public_id):
        document = selectors.document_get(actor=self.membership, public_id=public_id)
        return Response(DocumentDetailSerializer(document, context={"org_slug": org_slug}).data)


class DocumentDownloadView(TenantAPIView):
    required_permission = "documents.view"
    binary_media_types = ("application/pdf",)

    @extend_schema(
        parameters=[
            OpenApiParameter("version", int, required=False, description="Version antérieure à télécharger")
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Télécharger le PDF scellé",
    )
    def get(self, request, org_slug, public_id):
        document = selectors.document_get(actor=self.membership, public_id=public_id)
        version = request.query_params.get("version")
        target = document
        if version and version.isascii() and version.isdigit() and int(version) != document.version:
            target = selectors.document_version_get(document=document, version=int(version))
        data = selectors.document_file_read(document=target)
        return pdf_response(data, download_filename(document, getattr(target, "version", None)))


class DocumentCredentialView(TenantAPIView):
    required_permission = "documents.view"

    @extend_schema(
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        summary="Attestation numérique Open Badges 3.0 (VC-JWT) d'un parchemin ou certificat de bloc",
    )
    def get(self, request, org_slug, public_id):
        document = selectors.document_get(actor=self.membership, public_id=public_id)
        return credential_response(hooks.document_credential(document), document)


class DocumentRevokeView(TenantAPIView):
    required_permission = "documents.revoke"

    @extend_schema(
        request=RevokeSerializer,
        responses=DocumentSerializer,
        summary="Révoquer un document (motif obligatoire)",
    )
    def post(self, request, org_slug, public_id):
        document = selectors.document_get(actor=self.membership, public_id=public_id)
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # a document its certificateur issues is refused here: POST …/revocation-request (point 5)
        document = approvals.document_revoke_by_centre(
            document=document,
            by=self.membership,
            reason=data.validated_data["reason"],
            category=data.validated_data["category"],
        )
        return Response(DocumentSerializer(document, context={"org_slug": org_slug}).data)


class DocumentRevocationRequestView(TenantAPIView):
    required_permission = "documents.revoke"

    @extend_schema(
        request=RevokeSerializer,
        responses={201: RevocationRequestSerializer},
        summary="Demander la révocation d'un document délivré par le certificateur",
        description="Où le certificateur délivre le document (ses règles d'émission), le centre demande sa "
        "révocation ; le personnel du certificateur l'approuve ou la refuse (jamais la personne qui l'a "
        "demandée). Un document délivré par le centre se révoque directement (POST …/revoke).",
    )
    def post(self, request, org_slug, public_id):
        document = selectors.document_get(actor=self.membership, public_id=public_id)
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revocation = approvals.revocation_request_create(
            document=document,
            by=self.membership,
            reason=data.validated_data["reason"],
            category=data.validated_data["category"],
        )
        return Response(RevocationRequestSerializer(revocation).data, status=201)


class DocumentReissueView(TenantAPIView):
    required_permission = "documents.revoke"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ReissueSerializer},
        responses=ReissueRequestSerializer,
        summary="Demander une réédition (correction d'état civil, pièce justificative)",
        description="Seuls les champs d'état civil du titulaire sont acceptés ; une autre personne de "
        "l'organisme approuve (POST reissue-requests/{request_id}/approve) et le document est alors établi "
        "à nouveau à partir du référentiel et de la décision signée.",
    )
    def post(self, request, org_slug, public_id):
        document = selectors.document_get(actor=self.membership, public_id=public_id)
        data = ReissueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reason, piece = values.pop("reason"), values.pop("piece")
        reissue = services.reissue_request_create(
            document=document, by=self.membership, reason=reason, identity=values, piece=piece
        )
        return Response(ReissueRequestSerializer(reissue).data, status=201)


class ReissueDecisionView(TenantAPIView):
    required_permission = "documents.revoke"
    approve = True

    @extend_schema(
        request=ReissueDecisionSerializer,
        responses=ReissueRequestSerializer,
        summary="Approuver ou refuser une demande de réédition (pas par son auteur)",
    )
    def post(self, request, org_slug, request_id):
        from documents.models import ReissueRequest

        reissue = ReissueRequest.objects.filter(public_id=request_id).first()
        if reissue is None:
            raise Http404
        data = ReissueDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reissue = services.reissue_request_decide(
            request=reissue, by=self.membership, approve=self.approve, note=data.validated_data["note"]
        )
        return Response(ReissueRequestSerializer(reissue).data)


class ReissueApproveView(ReissueDecisionView):
    approve = True


class ReissueRefuseView(ReissueDecisionView):
    approve = False


class BatchProgressView(TenantAPIView):
    required_permission = "documents.view"

    @extend_schema(parameters=[GROUP_PARAM], responses=BatchProgressSerializer, summary="Avancement d'un lot")
    def get(self, request, org_slug):
        return Response(
            BatchProgressSerializer(
                selectors.batch_progress(group_key=_group_key(request, self.membership))
            ).data
        )


class BatchZipView(TenantAPIView):
    required_permission = "documents.view"
    binary_media_types = ("application/zip",)

    @extend_schema(
        parameters=[GROUP_PARAM],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        summary="Archive ZIP des documents prêts d'un lot",
    )
    def get(self, request, org_slug):
        stream = services.documents_zip(group_key=_group_key(request, self.membership))
        response = StreamingHttpResponse(stream, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="documents.zip"'
        return response


class BatchRenderView(TenantAPIView):
    required_permission = "documents.generate"

    @extend_schema(
        parameters=[GROUP_PARAM, OpenApiParameter("retry_failed", bool, required=False)],
        request=None,
        responses=BatchProgressSerializer,
        summary="(Re)lancer la génération d'un lot",
    )
    def post(self, request, org_slug):
        group_key = _group_key(request, self.membership)
        retry = request.query_params.get("retry_failed", "").lower() in ("1", "true", "oui")
        services.documents_render_batch(group_key=group_key, retry_failed=retry)
        return Response(
            BatchProgressSerializer(selectors.batch_progress(group_key=group_key)).data, status=202
        )


class VerificationView(APIView):
    """Anonymous; throttled per client (scope « verification »)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verification"

    @extend_schema(
        responses=VerificationSerializer, summary="Vérifier un parchemin ou un certificat par son code"
    )
    def get(self, request, code):
        return Response(VerificationSerializer(selectors.verification_get(code=code)).data)
