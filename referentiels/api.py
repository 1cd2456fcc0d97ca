"""National catalogue API (``/api/v1/referentiels/…``).

The organisation whose view applies is the token's membership, or for a browser session the
``?organisation=<slug>`` parameter (optional when the user belongs to one organisation only).
"""

from django.db import transaction
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from core.filenames import clean_filename
from organisations.api import IdempotentPostMixin
from organisations.models import Membership, Organisation
from organisations.roles import has_capability
from organisations.selectors import memberships_of
from referentiels import selectors, services
from referentiels.exchange import FormatError, document_dumps, document_parse
from referentiels.serializers import (
    CompositionJurySerializer,
    EnregistrementReadSerializer,
    EnregistrementSerializer,
    HabilitationCreateSerializer,
    HabilitationEndSerializer,
    HabilitationSerializer,
    ImportResultSerializer,
    ImportSerializer,
    ReferentielDetailSerializer,
    ReferentielSerializer,
    RegleSerializer,
    RncpImportJobSerializer,
)

ORG_PARAM = OpenApiParameter(
    "organisation",
    str,
    description="Organisation (slug) au nom de laquelle lire, pour une session avec plusieurs adhésions.",
)


def api_membership(request) -> Membership:
    if request.auth is not None and hasattr(request.auth, "membership"):
        return request.auth.membership
    memberships = memberships_of(request.user)
    slug = request.query_params.get("organisation")
    if slug:
        membership = memberships.filter(organisation__slug=slug).first()
        if membership is None:
            raise Http404
        return membership
    first_two = list(memberships[:2])
    if len(first_two) != 1:
        raise exceptions.ValidationError(
            {
                "organisation": [
                    "Précisez ?organisation=<identifiant> : vous appartenez à plusieurs organisations."
                ]
            }
        )
    return first_two[0]


class CatalogueAPIView(IdempotentPostMixin, APIView):
    """Base of the catalogue's views. A POST runs in one transaction, its ``Idempotency-Key``
    kept for the caller's organisation (the certificateur's, for what it creates)."""

    permission_classes = [IsAuthenticated]
    required_permission: str | dict[str, str] = "referentiels.view"

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.membership = api_membership(request)
        required = self.required_permission
        if isinstance(required, dict):
            required = required.get(request.method)
        if required and not has_capability(self.membership.role, required):
            raise exceptions.PermissionDenied("Votre rôle ne permet pas cette action.")
        self.idempotency_begin(request, self.membership.organisation)

    @property
    def organisation(self) -> Organisation:
        return self.membership.organisation

    def get_referentiel(self, public_id):
        return selectors.referentiel_get(organisation=self.organisation, public_id=public_id)

    def get_owned(self, public_id):
        referentiel = self.get_referentiel(public_id)
        if referentiel.certificateur_id != self.organisation.pk:
            raise Http404
        return referentiel


@extend_schema(
    parameters=[
        ORG_PARAM,
        OpenApiParameter("search", str),
        OpenApiParameter("kind", str),
        OpenApiParameter("status", str),
    ]
)
class ReferentielListView(CatalogueAPIView, ListAPIView):
    serializer_class = ReferentielSerializer
    filter_backends: list = []

    def get_queryset(self):
        p = self.request.query_params
        return selectors.referentiel_list(
            organisation=self.organisation,
            search=p.get("search", ""),
            kind=p.get("kind", ""),
            status=p.get("status", ""),
            certificateur=p.get("certificateur", ""),
        )


class ReferentielDetailView(CatalogueAPIView):
    @extend_schema(
        parameters=[ORG_PARAM],
        responses=ReferentielDetailSerializer,
        summary="Un référentiel et son arbre complet",
    )
    def get(self, request, public_id):
        return Response(ReferentielDetailSerializer(self.get_referentiel(public_id)).data)


class _FormatIsTheViewsOwn(DefaultContentNegotiation):
    """``?format=json|yaml`` chooses the export's text, not a DRF renderer: DRF's URL format
    override read it first and answered 404 (no "yaml" renderer) before the view ran."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReferentielExportView(CatalogueAPIView):
    content_negotiation_class = _FormatIsTheViewsOwn

    @extend_schema(
        parameters=[ORG_PARAM, OpenApiParameter("format", str, enum=["json", "yaml"])],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/yaml"): OpenApiTypes.STR,
        },
        summary="Export au format certif-referentiel/1",
    )
    def get(self, request, public_id):
        referentiel = self.get_referentiel(public_id)
        fmt = request.query_params.get("format") or "json"
        if fmt not in ("json", "yaml"):
            raise ApplicationError(f"Format « {fmt[:20]} » inconnu : json ou yaml.", field="format")
        text = document_dumps(services.referentiel_export(referentiel=referentiel), fmt=fmt)
        return HttpResponse(
            text,
            content_type="application/yaml; charset=utf-8"
            if fmt == "yaml"
            else "application/json; charset=utf-8",
        )


class ReferentielPublishView(CatalogueAPIView):
    required_permission = "referentiels.publish"

    @extend_schema(
        parameters=[ORG_PARAM], request=None, responses=ReferentielSerializer, summary="Publier un brouillon"
    )
    def post(self, request, public_id):
        referentiel = services.referentiel_publish(
            referentiel=self.get_owned(public_id), by=self.organisation
        )
        return Response(ReferentielSerializer(referentiel).data)


class ReferentielNewVersionView(CatalogueAPIView):
    required_permission = "referentiels.edit"

    @extend_schema(
        parameters=[ORG_PARAM],
        request=None,
        responses={201: ReferentielSerializer},
        summary="Copier une version en nouveau brouillon",
    )
    def post(self, request, public_id):
        draft = services.referentiel_new_version(referentiel=self.get_owned(public_id), by=self.organisation)
        return Response(ReferentielSerializer(draft).data, status=status.HTTP_201_CREATED)


class ReferentielImportView(CatalogueAPIView):
    required_permission = "referentiels.import"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[ORG_PARAM],
        request=ImportSerializer,
        responses={200: ImportResultSerializer, 201: ImportResultSerializer},
        summary="Importer un référentiel (JSON/YAML) ou des fiches RNCP (XML)",
    )
    def post(self, request):
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["fichier"]
        name = clean_filename(upload.name)
        dry_run = data.validated_data["dry_run"]
        try:
            if name.lower().endswith(".xml"):
                from referentiels.rncp_import import rncp_import

                # The upload itself (on disk past FILE_UPLOAD_MAX_MEMORY_SIZE): streamed by lxml,
                # constant memory whatever the export's size.
                report = rncp_import(
                    source=upload,
                    filename=name,
                    certificateur=self.organisation,
                    numeros=set(data.validated_data["fiches"]) or None,
                    dry_run=dry_run,
                )
                result = {
                    "dry_run": dry_run,
                    "total": report.total,
                    "habilitations": report.habilitations,
                    "referentiels": [
                        {
                            "code": f.code,
                            "version": f.version,
                            "action": f.action,
                            "blocs": f.blocs,
                            "capacites": f.capacites,
                        }
                        for f in report.fiches
                    ],
                    "total_ignorees": report.skipped_total,
                    "ignorees": [
                        {"code": f.code, "intitule": f.intitule, "raison": f.raison} for f in report.skipped
                    ],
                }
            else:
                doc = document_parse(upload.read(), name)
                result = {
                    "dry_run": dry_run,
                    "total": 1,
                    "habilitations": 0,
                    "referentiels": [
                        {"code": doc["code"], "version": doc["version"], "blocs": len(doc["blocs"])}
                    ],
                    "total_ignorees": 0,
                    "ignorees": [],
                }
                kwargs = {
                    "doc": doc,
                    "certificateur": self.organisation,
                    "replace_draft": data.validated_data["remplacer"],
                }
                if dry_run:  # the import's own checks, rolled back: refuses what the import would
                    services.referentiel_import_check(**kwargs)
                else:
                    referentiel = services.referentiel_import(**kwargs)
                    result["referentiels"][0]["id"] = str(referentiel.public_id)
        except FormatError as exc:
            raise ApplicationError(str(exc), field="fichier") from None
        return Response(result, status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


class HabilitationListCreateView(CatalogueAPIView, ListAPIView):
    required_permission = {"GET": "habilitations.view", "POST": "habilitations.manage"}
    serializer_class = HabilitationSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.habilitation_list(organisation=self.organisation)

    @extend_schema(
        parameters=[ORG_PARAM],
        request=HabilitationCreateSerializer,
        responses={201: HabilitationSerializer},
        summary="Accorder une habilitation à un centre",
    )
    def post(self, request):
        data = HabilitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        centre = Organisation.objects.filter(slug=data.validated_data["centre"], kind="centre").first()
        if centre is None:
            raise ApplicationError("Centre inconnu.", field="centre")
        habilitation = services.habilitation_grant(
            certificateur=self.organisation,
            centre=centre,
            code=data.validated_data["referentiel_code"],
            date_debut=data.validated_data["date_debut"],
            date_fin=data.validated_data.get("date_fin"),
            note=data.validated_data.get("note", ""),
        )
        return Response(HabilitationSerializer(habilitation).data, status=status.HTTP_201_CREATED)


class HabilitationEndView(CatalogueAPIView):
    required_permission = "habilitations.manage"

    @extend_schema(
        parameters=[ORG_PARAM],
        request=HabilitationEndSerializer,
        responses=HabilitationSerializer,
        summary="Mettre fin à une habilitation (dernier jour)",
    )
    def post(self, request, habilitation_id):
        habilitation = selectors.habilitation_get_for_certificateur(
            organisation=self.organisation, public_id=habilitation_id
        )
        data = HabilitationEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        habilitation = services.habilitation_end(
            habilitation=habilitation,
            certificateur=self.organisation,
            date_fin=data.validated_data["date_fin"],
        )
        return Response(HabilitationSerializer(habilitation).data)


class ReferentielRegleView(CatalogueAPIView):
    required_permission = "referentiels.edit"

    @extend_schema(
        parameters=[ORG_PARAM],
        request=RegleSerializer,
        responses=RegleSerializer,
        summary="Remplacer la règle d'obtention d'un brouillon",
        description="La règle est vérifiée comme à l'import (format certif-referentiel/1, section regle) ; "
        "la réponse la donne aussi en français.",
    )
    def put(self, request, public_id):
        referentiel = self.get_owned(public_id)
        data = RegleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        referentiel = services.referentiel_regle_update(
            referentiel=referentiel, by=self.organisation, regle=data.validated_data["regle"]
        )
        return Response(RegleSerializer(referentiel).data)


class ReferentielCompositionJuryView(CatalogueAPIView):
    """The jury's composition rules of a version (like its règle: référentiel data)."""

    required_permission = {"GET": "referentiels.view", "PUT": "referentiels.edit"}

    @extend_schema(
        parameters=[ORG_PARAM],
        responses=CompositionJurySerializer,
        summary="Composition du jury de la version",
    )
    def get(self, request, public_id):
        return Response(CompositionJurySerializer(self.get_referentiel(public_id)).data)

    @extend_schema(
        parameters=[ORG_PARAM],
        request=CompositionJurySerializer,
        responses=CompositionJurySerializer,
        summary="Remplacer les règles de composition du jury d'un brouillon",
        description="Vérifiées comme sur la page du référentiel (message en français nommant la clé) ; "
        "rien n'est écrit quand elles sont refusées.",
    )
    def put(self, request, public_id):
        referentiel = self.get_owned(public_id)
        data = CompositionJurySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        referentiel = services.referentiel_composition_update(
            referentiel=referentiel, by=self.organisation, composition=data.validated_data["composition_jury"]
        )
        return Response(CompositionJurySerializer(referentiel).data)


class ReferentielEnregistrementView(CatalogueAPIView):
    """The registration of a référentiel's certification (every version of its code)."""

    required_permission = {
        "GET": "referentiels.view",
        "PUT": "referentiels.edit",
        "DELETE": "referentiels.edit",
    }

    @extend_schema(
        parameters=[ORG_PARAM],
        responses=EnregistrementReadSerializer,
        summary="Enregistrement RNCP / RS de la certification",
        description="« enregistree » faux quand la certification n'est pas enregistrée "
        "(aucune mention d'enregistrement sur ses documents).",
    )
    def get(self, request, public_id):
        referentiel = self.get_referentiel(public_id)
        enregistrement = selectors.enregistrement_of(referentiel.code)
        if enregistrement is None:
            return Response({"enregistree": False})
        return Response(EnregistrementSerializer(enregistrement).data)

    @extend_schema(
        parameters=[ORG_PARAM],
        request=EnregistrementSerializer,
        responses=EnregistrementSerializer,
        summary="Saisir ou corriger l'enregistrement RNCP / RS de la certification",
        description="Modifiable même quand la version est publiée : la décision de France compétences "
        "porte sur la certification. Référence légale obligatoire (date de décision ou publication).",
    )
    def put(self, request, public_id):
        referentiel = self.get_owned(public_id)
        data = EnregistrementSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enregistrement = services.enregistrement_set(
            referentiel=referentiel, by=self.organisation, user=request.user, **data.validated_data
        )
        return Response(EnregistrementSerializer(enregistrement).data)

    @extend_schema(
        parameters=[ORG_PARAM], responses={204: None}, summary="La certification n'est pas enregistrée"
    )
    def delete(self, request, public_id):
        referentiel = self.get_owned(public_id)
        services.enregistrement_delete(referentiel=referentiel, by=self.organisation, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RncpImportJobView(CatalogueAPIView):
    required_permission = "referentiels.import"

    @extend_schema(
        parameters=[ORG_PARAM],
        responses=RncpImportJobSerializer,
        summary="État d'un import RNCP lancé depuis la page (vérification, import, avancement)",
    )
    def get(self, request, import_id):
        return Response(
            RncpImportJobSerializer(
                selectors.rncp_import_job_get(organisation=self.organisation, public_id=import_id)
            ).data
        )
