"""Evaluations API, the avis de l'entreprise: requests, the tuteur's avis, extensions."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from candidates.selectors import dossier_get
from core.errors import ApplicationError
from evaluations import selectors, services
from evaluations.api._common import ListView, validated
from evaluations.serializers import (
    AvisExtendSerializer,
    AvisRequestSerializer,
    AvisSaveSerializer,
    AvisSerializer,
)
from organisations.api import TenantAPIView
from organisations.roles import has_capability
from referentiels.models import Capacite, Critere
from referentiels.public_ids import parse_ref, pks_of

# --- avis de l'entreprise -----------------------------------------------------------------------------


class AvisListCreateView(ListView):
    required_permission = {"GET": "organisation.view", "POST": "avis.request"}
    serializer_class = AvisSerializer

    def get_queryset(self):

        if has_capability(self.membership.role, "avis.request"):
            qs = selectors.avis_list()
        elif has_capability(self.membership.role, "avis.give"):
            qs = selectors.avis_for_tuteur(user=self.membership.user)
        else:
            qs = selectors.avis_list().none()
        return qs.prefetch_related("capacites__capacite")

    @extend_schema(
        request=AvisRequestSerializer,
        responses={201: AvisSerializer},
        summary="Demander l'avis de l'entreprise au tuteur",
    )
    def post(self, request, org_slug):
        data = validated(AvisRequestSerializer, request)
        dossier = dossier_get(public_id=data["dossier"], actor=self.membership)
        avis = services.avis_request(dossier=dossier, by=self.membership, date_limite=data["date_limite"])
        return Response(AvisSerializer(avis).data, status=status.HTTP_201_CREATED)


class AvisDetailView(TenantAPIView):
    required_permission = {"GET": "organisation.view", "POST": "avis.give"}

    def _get(self, avis_id, **options):

        if not (
            has_capability(self.membership.role, "avis.request")
            or has_capability(self.membership.role, "avis.give")
        ):
            raise Http404
        return selectors.avis_get(public_id=avis_id, membership=self.membership, **options)

    @extend_schema(responses=AvisSerializer, summary="Un avis de l'entreprise (un tuteur : les siens)")
    def get(self, request, org_slug, avis_id):
        return Response(AvisSerializer(self._get(avis_id, with_capacites=True)).data)

    @extend_schema(
        request=AvisSaveSerializer,
        responses=AvisSerializer,
        operation_id="v1_o_avis_save",
        summary="Enregistrer ou transmettre son avis (verrouillé après)",
    )
    def post(self, request, org_slug, avis_id):
        avis = self._get(avis_id)
        data = validated(AvisSaveSerializer, request)
        capacites = _avis_rows_by_pk(data["capacites"])
        avis = services.avis_save(
            avis=avis,
            by=self.membership,
            capacites=capacites,
            commentaire=data["commentaire"],
            submit=data["soumettre"],
        )
        return Response(AvisSerializer(avis).data)


def _avis_rows_by_pk(rows: list) -> dict:
    """The avis' rows as the service reads them: capacité and critères by their internal keys
    (sent as ids — UUID — or, deprecated, the former integers). An unknown id is refused."""
    capacites = pks_of(Capacite, [row["capacite_id"] for row in rows], field="capacites")
    critere_refs = []
    for row in rows:
        for key in row["criteres"]:
            try:
                critere_refs.append(parse_ref(key))
            except ValueError:
                raise ApplicationError(
                    f"Critère « {str(key)[:40]} » : identifiant invalide.", field="capacites"
                ) from None
    criteres = pks_of(Critere, critere_refs, field="capacites")
    return {
        capacites[row["capacite_id"]]: dict(
            row, criteres={str(criteres[parse_ref(k)]): v for k, v in row["criteres"].items()}
        )
        for row in rows
    }


class AvisExtendView(TenantAPIView):
    required_permission = "avis.request"

    @extend_schema(
        request=AvisExtendSerializer,
        responses=AvisSerializer,
        summary="Prolonger un avis non transmis et renvoyer un nouveau lien au tuteur (les précédents expirent)",
    )
    def post(self, request, org_slug, avis_id):
        avis = selectors.avis_get(public_id=avis_id, membership=self.membership)
        data = validated(AvisExtendSerializer, request)
        avis = services.avis_extend(avis=avis, by=self.membership, date_limite=data["date_limite"])
        return Response(AvisSerializer(avis).data)
