"""Certificateur API (``/api/v1/o/<certificateur>/supervision/…``): parse, call, serialize.

404 (never 403) unless the organisation is a certificateur and the caller's role holds the
capability, as for the pages.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from certificateur import accrochage, exports, selectors
from certificateur.models import CdcFlux, CdcPassage
from core.api import Pagination
from core.errors import ApplicationError
from organisations.api import TenantAPIView
from organisations.permissions import membership_can

FILTERS = [
    OpenApiParameter("referentiel", str, description="code de la certification (ex. RNCP36390)"),
    OpenApiParameter("centre", str, description="identifiant d'URL (slug) du centre"),
    OpenApiParameter(
        "du", str, description="début de période, jj/mm/aaaa (date de délibération, sinon d'inscription)"
    ),
    OpenApiParameter("au", str, description="fin de période, jj/mm/aaaa"),
]


# What these views answer: a list of rows (the schema said an object; a generated client then
# failed to read the list).
LIST_OF_OBJECTS = {"type": "array", "items": {"type": "object", "additionalProperties": {}}}


class CertificateurAPIView(TenantAPIView):
    def check_permissions(self, request):
        required = self.required_permission
        if isinstance(required, dict):
            required = required.get(request.method) or required.get("*")
        org = getattr(request._request, "organisation", None)
        if (
            org is None
            or not org.is_certificateur
            or required is None
            or not membership_can(request._request, required)
        ):
            raise Http404
        super().check_permissions(request)

    def filters(self) -> selectors.OversightFilters:
        f = selectors.OversightFilters.from_params(self.request.query_params)
        if f.errors:
            field, message = next(iter(f.errors.items()))
            raise ApplicationError(message, field=field)
        return f


class FiguresView(CertificateurAPIView):
    required_permission = "oversight.view"

    @extend_schema(
        parameters=FILTERS,
        responses=OpenApiTypes.OBJECT,
        summary="Chiffres de supervision (par certification et année, par centre, par bloc)",
    )
    def get(self, request, org_slug):
        figures = selectors.oversight_figures(certificateur=request.organisation, filters=self.filters())
        for c in figures["per_centre"]:
            c["centre"] = {"slug": c["centre"].slug, "name": c["centre"].name}
        figures["per_status"] = {v: n for v, _label, n in figures["per_status"]}
        figures["per_voie"] = {v: n for v, _label, n in figures["per_voie"]}
        habilitations = selectors.habilitations_per_code(
            certificateur=request.organisation, filters=self.filters()
        )
        figures["habilitations"] = {
            code: [
                {
                    "centre": h["centre"].slug,
                    "date_debut": h["date_debut"],
                    "date_fin": h["date_fin"],
                    "active": h["active"],
                }
                for h in rows
            ]
            for code, rows in habilitations.items()
        }
        return Response(figures)


class RenewalView(CertificateurAPIView):
    required_permission = "oversight.view"

    @extend_schema(
        parameters=FILTERS,
        responses={200: LIST_OF_OBJECTS},
        summary="Statistiques de renouvellement France compétences (certifiés, dont VAE, par année)",
    )
    def get(self, request, org_slug):
        return Response(selectors.renewal_figures(certificateur=request.organisation, filters=self.filters()))


class ResultsView(CertificateurAPIView):
    required_permission = "oversight.export"

    @extend_schema(
        parameters=FILTERS,
        responses=OpenApiTypes.OBJECT,
        summary="Résultats de tous les centres (colonnes de l'export, paginé)",
    )
    def get(self, request, org_slug):
        rows = selectors.export_rows(certificateur=request.organisation, filters=self.filters())
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)


class ResultsFileView(CertificateurAPIView):
    required_permission = "oversight.export"
    binary_media_types = ("text/csv", exports.CONTENT_TYPES["xlsx"])

    @extend_schema(
        parameters=FILTERS,
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, exports.CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        },
        summary="Export des résultats (csv ou xlsx)",
    )
    def get(self, request, org_slug, fmt):
        if fmt not in exports.CONTENT_TYPES:
            raise Http404
        rows = selectors.export_rows(certificateur=request.organisation, filters=self.filters())
        response = HttpResponse(exports.render(rows, fmt), content_type=exports.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="resultats.{fmt}"'
        return response


class PassageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    centre = serializers.CharField(source="centre.slug")
    flux = serializers.CharField(source="flux.id_flux", default=None)

    class Meta:
        model = CdcPassage
        fields = [
            "id",
            "id_technique",
            "centre",
            "dossier_public_id",
            "certification_type",
            "certification_code",
            "titulaire",
            "date_delivrance",
            "echeance",
            "etat",
            "message",
            "nb_envois",
            "flux",
            "declared_at",
            "answered_at",
        ]


class FluxSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")

    class Meta:
        model = CdcFlux
        fields = [
            "id",
            "id_flux",
            "created_at",
            "nb_passages",
            "size",
            "sha256",
            "rapport_imported_at",
            "id_traitement",
            "nb_ok",
            "nb_ko",
        ]


class PassageListView(CertificateurAPIView):
    required_permission = "oversight.export"

    @extend_schema(
        parameters=[
            OpenApiParameter("etat", str, enum=CdcPassage.Etat.values),
            OpenApiParameter("referentiel", str),
        ],
        responses=PassageSerializer(many=True),
        summary="Passages suivis pour l'accrochage CDC",
    )
    def get(self, request, org_slug):
        qs = selectors.cdc_passage_list(
            etat=request.query_params.get("etat", ""), referentiel=request.query_params.get("referentiel", "")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(PassageSerializer(page, many=True).data)


class PassageSyncView(CertificateurAPIView):
    required_permission = "oversight.export"

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, summary="Recenser les titulaires à déclarer")
    def post(self, request, org_slug):
        return Response(accrochage.cdc_passages_sync(certificateur=request.organisation))


class FluxCreateSerializer(serializers.Serializer):
    passages = serializers.ListField(child=serializers.UUIDField(), required=False)
    du = serializers.DateField(required=False)
    au = serializers.DateField(required=False)


class FluxListCreateView(CertificateurAPIView):
    required_permission = {"GET": "oversight.export", "POST": "oversight.export"}

    @extend_schema(responses=FluxSerializer(many=True), summary="Fichiers produits pour la CDC")
    def get(self, request, org_slug):
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.cdc_flux_list(), request, view=self)
        return paginator.get_paginated_response(FluxSerializer(page, many=True).data)

    @extend_schema(
        request=FluxCreateSerializer,
        responses={201: OpenApiTypes.OBJECT},
        summary="Produire le fichier d'accrochage (validé par le XSD) des passages à déclarer ou rejetés",
    )
    def post(self, request, org_slug):
        data = FluxCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            flux, refused = accrochage.cdc_flux_create(
                certificateur=request.organisation,
                by=self.membership,
                passage_ids=data.validated_data.get("passages"),
                du=data.validated_data.get("du"),
                au=data.validated_data.get("au"),
            )
        except ApplicationError as exc:
            refused = exc.extra.get("refused", [])
            issues = exc.extra.get("issues", [])
            body = {
                "error": {
                    "code": "invalid",
                    "message": exc.message,
                    "fields": {},
                    "issues": issues,
                    "refused": [
                        {
                            "id_technique": c.passage.id_technique,
                            "titulaire": c.passage.titulaire,
                            "reasons": c.reasons,
                        }
                        for c in refused
                    ],
                }
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        body = FluxSerializer(flux).data
        body["refused"] = [
            {"id_technique": c.passage.id_technique, "titulaire": c.passage.titulaire, "reasons": c.reasons}
            for c in refused
        ]
        return Response(body, status=status.HTTP_201_CREATED)


class FluxFileView(CertificateurAPIView):
    required_permission = "oversight.export"
    binary_media_types = ("application/xml",)

    @extend_schema(
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="XML du flux")},
        summary="Télécharger un fichier d'accrochage",
    )
    def get(self, request, org_slug, flux_id):
        flux = selectors.cdc_flux_get(public_id=flux_id)
        with flux.file.open("rb") as fh:
            response = HttpResponse(fh.read(), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{flux.filename}"'
        return response


class RapportUploadSerializer(serializers.Serializer):
    fichier = serializers.FileField()


class RapportImportView(CertificateurAPIView):
    required_permission = "oversight.export"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": RapportUploadSerializer},
        responses=OpenApiTypes.OBJECT,
        summary="Importer l'accusé de traitement de la CDC",
    )
    def post(self, request, org_slug):
        data = RapportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = accrochage.cdc_rapport_import(
            certificateur=request.organisation, by=self.membership, data=data.validated_data["fichier"].read()
        )
        return Response(
            {
                "flux": result["flux"].id_flux,
                "accepted": [p.id_technique for p in result["accepted"]],
                "rejected": [
                    {"id_technique": p.id_technique, "message": p.message} for p in result["rejected"]
                ],
                "unknown": result["unknown"],
                "ignored": [p.id_technique for p in result["ignored"]],
            }
        )


class CredentialListView(CertificateurAPIView):
    required_permission = "oversight.view"

    @extend_schema(
        responses={200: LIST_OF_OBJECTS}, summary="Attestations numériques émises pour le certificateur"
    )
    def get(self, request, org_slug):
        rows = selectors.credential_list_for_certificateur(certificateur=request.organisation)
        return Response(
            [
                {
                    "id": str(c.public_id),
                    "centre": c.organisation.slug,
                    "kind": c.kind,
                    "certification": c.referentiel_code,
                    "titulaire": c.titulaire,
                    "status_index": c.status_index,
                    "issued_at": c.issued_at,
                    "revoked_at": c.revoked_at,
                }
                for c in rows
            ]
        )


class TransmissionSerializer(serializers.Serializer):
    transmis_le = serializers.DateField(required=False, allow_null=True)


def _transmission_state(certificateur, jury_id) -> dict:
    from certificateur.bundle import jury_transmission_state

    return jury_transmission_state(certificateur=certificateur, jury_public_id=jury_id)


class JuryTransmissionView(CertificateurAPIView):
    """A CQPM jury's transmission to the certificateur: its deadline and « transmis le » date."""

    required_permission = {"GET": "oversight.view", "POST": "oversight.export"}

    @extend_schema(
        responses=OpenApiTypes.OBJECT, summary="Transmission d'un jury (échéance, date de transmission)"
    )
    def get(self, request, org_slug, jury_id):
        return Response(_transmission_state(request.organisation, jury_id))

    @extend_schema(
        request=TransmissionSerializer,
        responses=OpenApiTypes.OBJECT,
        summary="Enregistrer la date de transmission d'un jury CQPM (aujourd'hui par défaut)",
    )
    def post(self, request, org_slug, jury_id):
        from certificateur.bundle import jury_transmission_record

        data = TransmissionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jury_transmission_record(
            certificateur=request.organisation,
            jury_public_id=jury_id,
            by=self.membership,
            transmis_le=data.validated_data.get("transmis_le"),
        )
        return Response(_transmission_state(request.organisation, jury_id))
