"""Organisation API: one ``APIView`` per operation; parse, call the service, serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from organisations import hooks, selectors, services
from organisations.permissions import HasCapability
from organisations.serializers import (
    AuditEventSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    MeSerializer,
)


class IdempotentPostMixin:
    """Idempotency-Key on POST (registered by the integrations app, organisations/hooks.py): the
    key is claimed once the caller is authenticated and allowed (``idempotency_begin``, keyed per
    organisation), its answer kept with what the view wrote. The view must run in one transaction
    (the tenant middleware's for ``/api/v1/o/…``, ``atomic_post`` elsewhere)."""

    _idempotency = None

    def idempotency_begin(self, request, organisation) -> None:
        self._idempotency = None
        if request.method == "POST":
            self._idempotency = hooks.api_post_begin(request, organisation)

    def handle_exception(self, exc):
        if isinstance(exc, hooks.ApiReplay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        record = self._idempotency
        if record is not None:
            self._idempotency = None
            hooks.api_post_finish(record, response)
        return super().finalize_response(request, response, *args, **kwargs)


class TenantAPIView(IdempotentPostMixin, APIView):
    """Base of every ``/api/v1/o/<org_slug>/…`` view: role capability checked per method."""

    permission_classes = [IsAuthenticated, HasCapability]

    @property
    def membership(self):
        return self.request._request.membership

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.idempotency_begin(request, self.membership.organisation)


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="L'appelant, ses organisations et ses rôles")
    def get(self, request):
        user = request.user
        memberships = selectors.memberships_of(user)
        if request.auth is not None:  # a token sees only its own membership
            memberships = memberships.filter(pk=request.auth.membership_id)
        data = {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "memberships": memberships,
        }
        return Response(MeSerializer(data).data)


class InvitationListCreateView(TenantAPIView, ListAPIView):
    required_permission = {"GET": "members.view", "POST": "members.invite"}
    serializer_class = InvitationSerializer
    filterset_fields = ["role", "email"]
    ordering_fields = ["created_at", "email"]

    def get_queryset(self):
        return selectors.invitation_list()

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        summary="Inviter une personne",
    )
    def post(self, request, org_slug):
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(by=self.membership, **data.validated_data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class AuditEventListView(TenantAPIView, ListAPIView):
    required_permission = "audit.view"
    serializer_class = AuditEventSerializer
    filterset_fields = ["action"]
    ordering_fields = ["at"]

    def get_queryset(self):
        return selectors.audit_event_list()
