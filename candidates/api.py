"""Candidates API: one ``APIView`` per resource/operation; parse, call the service, serialize."""

from django.db import transaction
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from candidates import rgpd, selectors, services, sniffing
from candidates.models import Dossier
from candidates.serializers import (
    CandidateInputSerializer,
    CandidateListSerializer,
    CandidateSerializer,
    DossierCreateSerializer,
    DossierDetailSerializer,
    DossierFieldsSerializer,
    DossierPlanSerializer,
    DossierSerializer,
    EntrepriseSerializer,
    EraseInputSerializer,
    ImportConfirmSerializer,
    ImportCreateSerializer,
    ImportJobSerializer,
    PieceSerializer,
    PieceUploadSerializer,
    RattrapageInputSerializer,
    TransitionInputSerializer,
    TransitionSerializer,
    TuteurInputSerializer,
    TuteurSerializer,
)
from core.actors import Actor
from core.errors import ApplicationError
from organisations.api import TenantAPIView
from referentiels.models import Bloc, Capacite, Modalite
from referentiels.public_ids import bloc_codes, part_pks_by_code_or_id, pks_of
from referentiels.selectors import referentiel_list, referentiel_resolve

FILTER_PARAMETERS = [
    OpenApiParameter("q", str, description="recherche dans les noms, prénoms et e-mail"),
    OpenApiParameter(
        "naissance",
        str,
        description="date de naissance : aaaa-mm-jj, aaaa-mm ou aaaa (ou jj/mm/aaaa, mm/aaaa)",
    ),
    OpenApiParameter(
        "referentiel", str, description="id du référentiel (cette version) ou son code (ex. RNCP36390)"
    ),
    OpenApiParameter("status", str, enum=Dossier.Status.values, description="état du dossier"),
    OpenApiParameter(
        "decision", str, enum=[v for v in Dossier.Decision.values if v], description="décision du jury"
    ),
    OpenApiParameter("voie_acces", str, enum=Dossier.VoieAcces.values),
    OpenApiParameter("tiers_temps", bool),
    OpenApiParameter("sort", str, enum=["nom", "-nom", "naissance", "-naissance", "cree", "-cree"]),
]


def _filters(request) -> selectors.CandidateFilters:
    filters = selectors.CandidateFilters.from_params(request.query_params)
    if filters.errors:
        field, message = next(iter(filters.errors.items()))
        raise ApplicationError(message, field=field)
    return filters


class _ListView(TenantAPIView, ListAPIView):
    filter_backends: list = []


# --- candidates ----------------------------------------------------------------------------


class CandidateListCreateView(_ListView):
    required_permission = {"GET": "candidates.view", "POST": "candidates.edit"}
    serializer_class = CandidateListSerializer

    def get_queryset(self):
        return selectors.candidate_list(filters=_filters(self.request), actor=self.membership)

    @extend_schema(parameters=FILTER_PARAMETERS, summary="Candidats du centre (filtres comme la page)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=CandidateInputSerializer,
        responses={201: CandidateSerializer},
        summary="Enregistrer un candidat",
    )
    def post(self, request, org_slug):
        data = CandidateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        candidate = services.candidate_create(by=self.membership, **data.validated_data)
        return Response(CandidateSerializer(candidate).data, status=status.HTTP_201_CREATED)


class CandidateDetailView(TenantAPIView):
    required_permission = {"GET": "candidates.view", "PATCH": "candidates.edit", "DELETE": "candidates.edit"}

    @extend_schema(responses=CandidateSerializer, summary="Un candidat")
    def get(self, request, org_slug, candidate_id):
        return Response(
            CandidateSerializer(selectors.candidate_get(public_id=candidate_id, actor=self.membership)).data
        )

    @extend_schema(
        request=CandidateInputSerializer,
        responses=CandidateSerializer,
        summary="Modifier l'identité d'un candidat",
    )
    def patch(self, request, org_slug, candidate_id):
        candidate = selectors.candidate_get(public_id=candidate_id, actor=self.membership)
        data = CandidateInputSerializer(candidate, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        candidate = services.candidate_update(candidate=candidate, by=self.membership, **data.validated_data)
        return Response(CandidateSerializer(candidate).data)

    @extend_schema(responses={204: None}, summary="Supprimer un candidat sans dossier")
    def delete(self, request, org_slug, candidate_id):
        services.candidate_delete(
            candidate=selectors.candidate_get(public_id=candidate_id, actor=self.membership),
            by=self.membership,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CandidateRgpdExportView(TenantAPIView):
    required_permission = "candidates.rgpd"
    binary_media_types = ("application/zip",)

    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY}, summary="Export RGPD (ZIP : JSON + pièces)"
    )
    def get(self, request, org_slug, candidate_id):
        candidate = selectors.candidate_get(public_id=candidate_id, actor=self.membership)
        archive = rgpd.candidate_rgpd_export(candidate=candidate, by=self.membership)
        return FileResponse(
            archive,
            as_attachment=True,
            filename=f"rgpd-{candidate.public_id}.zip",
            content_type="application/zip",
        )


class CandidateEraseView(TenantAPIView):
    required_permission = "candidates.rgpd"

    @extend_schema(
        request=EraseInputSerializer,
        responses=CandidateSerializer,
        summary="Effacement RGPD (règle de conservation)",
    )
    def post(self, request, org_slug, candidate_id):
        data = EraseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        candidate = rgpd.candidate_erase(
            candidate=selectors.candidate_get(public_id=candidate_id, actor=self.membership),
            by=self.membership,
            reason=data.validated_data["reason"],
        )
        return Response(CandidateSerializer(candidate).data)


# --- entreprises and tuteurs ---------------------------------------------------------------


class EntrepriseListCreateView(_ListView):
    required_permission = {"GET": "candidates.view", "POST": "candidates.edit"}
    serializer_class = EntrepriseSerializer

    def get_queryset(self):
        return selectors.entreprise_list()

    @extend_schema(
        request=EntrepriseSerializer,
        responses={201: EntrepriseSerializer},
        summary="Créer une entreprise (SIRET vérifié)",
    )
    def post(self, request, org_slug):
        data = EntrepriseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entreprise = services.entreprise_create(by=self.membership, **data.validated_data)
        return Response(EntrepriseSerializer(entreprise).data, status=status.HTTP_201_CREATED)


class EntrepriseDetailView(TenantAPIView):
    required_permission = {"GET": "candidates.view", "PATCH": "candidates.edit", "DELETE": "candidates.edit"}

    @extend_schema(responses=EntrepriseSerializer, summary="Une entreprise")
    def get(self, request, org_slug, entreprise_id):
        return Response(
            EntrepriseSerializer(
                selectors.entreprise_get(public_id=entreprise_id, actor=self.membership)
            ).data
        )

    @extend_schema(
        request=EntrepriseSerializer, responses=EntrepriseSerializer, summary="Modifier une entreprise"
    )
    def patch(self, request, org_slug, entreprise_id):
        entreprise = selectors.entreprise_get(public_id=entreprise_id, actor=self.membership)
        data = EntrepriseSerializer(entreprise, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        entreprise = services.entreprise_update(
            entreprise=entreprise, by=self.membership, **data.validated_data
        )
        return Response(EntrepriseSerializer(entreprise).data)

    @extend_schema(responses={204: None}, summary="Supprimer une entreprise inutilisée")
    def delete(self, request, org_slug, entreprise_id):
        services.entreprise_delete(
            entreprise=selectors.entreprise_get(public_id=entreprise_id, actor=self.membership),
            by=self.membership,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _tuteur_fields(validated: dict, actor: Actor) -> dict:
    fields = dict(validated)
    if "entreprise" in fields:
        fields["entreprise"] = (
            selectors.entreprise_get(public_id=fields["entreprise"], actor=actor)
            if fields["entreprise"]
            else None
        )
    return fields


class TuteurListCreateView(_ListView):
    required_permission = {"GET": "candidates.view", "POST": "candidates.edit"}
    serializer_class = TuteurSerializer

    def get_queryset(self):
        return selectors.tuteur_list(actor=self.membership)

    @extend_schema(
        request=TuteurInputSerializer, responses={201: TuteurSerializer}, summary="Créer un tuteur"
    )
    def post(self, request, org_slug):
        data = TuteurInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tuteur = services.tuteur_create(
            by=self.membership, **_tuteur_fields(data.validated_data, self.membership)
        )
        return Response(TuteurSerializer(tuteur).data, status=status.HTTP_201_CREATED)


class TuteurDetailView(TenantAPIView):
    required_permission = {"GET": "candidates.view", "PATCH": "candidates.edit", "DELETE": "candidates.edit"}

    @extend_schema(responses=TuteurSerializer, summary="Un tuteur")
    def get(self, request, org_slug, tuteur_id):
        return Response(
            TuteurSerializer(selectors.tuteur_get(public_id=tuteur_id, actor=self.membership)).data
        )

    @extend_schema(request=TuteurInputSerializer, responses=TuteurSerializer, summary="Modifier un tuteur")
    def patch(self, request, org_slug, tuteur_id):
        tuteur = selectors.tuteur_get(public_id=tuteur_id, actor=self.membership)
        data = TuteurInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        tuteur = services.tuteur_update(
            tuteur=tuteur, by=self.membership, **_tuteur_fields(data.validated_data, self.membership)
        )
        return Response(TuteurSerializer(tuteur).data)

    @extend_schema(responses={204: None}, summary="Supprimer un tuteur sans dossier")
    def delete(self, request, org_slug, tuteur_id):
        services.tuteur_delete(
            tuteur=selectors.tuteur_get(public_id=tuteur_id, actor=self.membership), by=self.membership
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- dossiers ------------------------------------------------------------------------------


def _dossier_fields(validated: dict, actor: Actor) -> dict:
    fields = {
        k: v for k, v in validated.items() if k not in ("candidate", "referentiel", "blocs", "modalites")
    }
    if "entreprise" in fields:
        fields["entreprise"] = (
            selectors.entreprise_get(public_id=fields["entreprise"], actor=actor)
            if fields["entreprise"]
            else None
        )
    if "tuteur" in fields:
        fields["tuteur"] = (
            selectors.tuteur_get(public_id=fields["tuteur"], actor=actor) if fields["tuteur"] else None
        )
    return fields


def _plan(referentiel_id: int, blocs_sent, modalites: dict | None):
    """Blocs and capacités by code or id, modalités by id (API) → internal keys for the service;
    an unknown one is a 400 naming it."""
    blocs = None
    if blocs_sent is not None:
        found, unknown = part_pks_by_code_or_id(Bloc, referentiel_id, blocs_sent)
        if unknown:
            raise ApplicationError(f"Bloc inconnu dans ce référentiel : {', '.join(unknown)}.", field="blocs")
        blocs = [found[c] for c in blocs_sent]
    ids = {}
    if modalites:
        caps, unknown = part_pks_by_code_or_id(Capacite, referentiel_id, modalites)
        if unknown:
            raise ApplicationError(
                f"Capacité inconnue dans ce référentiel : {', '.join(unknown)}.", field="modalites"
            )
        modalite_pks = pks_of(Modalite, modalites.values(), field="modalites")
        ids = {caps[c]: modalite_pks[m] for c, m in modalites.items()}
    return blocs, ids


class DossierListCreateView(_ListView):
    required_permission = {"GET": "candidates.view", "POST": "candidates.edit"}
    serializer_class = DossierSerializer

    def get_queryset(self):
        # The rows show the référentiel's code, id and version: not its JSON, decoded per row;
        # a retake names its previous attempt: joined, not read once per row.
        return (
            selectors.dossier_list(filters=_filters(self.request), actor=self.membership)
            .select_related("previous_attempt", "exemption_piece")
            .defer(*selectors.REFERENTIEL_HEAVY_FIELDS)
        )

    @extend_schema(
        # newest first: the candidates' « sort » is not one of the dossier list's parameters
        parameters=[
            *(p for p in FILTER_PARAMETERS if p.name != "sort"),
            OpenApiParameter("candidate", OpenApiTypes.UUID, description="id du candidat"),
        ],
        summary="Dossiers du centre (filtres comme la page)",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=DossierCreateSerializer,
        responses={201: DossierDetailSerializer},
        summary="Ouvrir un dossier (brouillon)",
    )
    def post(self, request, org_slug):
        data = DossierCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        candidate = selectors.candidate_get(public_id=v["candidate"], actor=self.membership)
        referentiel = referentiel_resolve(
            referentiel_list(organisation=request._request.organisation), v["referentiel"]
        )
        if referentiel is None:
            raise ApplicationError(
                "Référentiel introuvable ou non habilité pour ce centre.", field="referentiel"
            )
        with transaction.atomic():
            blocs, modalites = _plan(referentiel.pk, v.get("blocs"), v.get("modalites"))
            dossier = services.dossier_create(
                by=self.membership,
                candidate=candidate,
                referentiel=referentiel,
                blocs=blocs,
                **_dossier_fields(v, self.membership),
            )
            if modalites:
                services.dossier_plan_update(
                    dossier=dossier, by=self.membership, blocs=blocs, modalites=modalites
                )
        return Response(
            DossierDetailSerializer(
                selectors.dossier_get(public_id=dossier.public_id, actor=self.membership)
            ).data,
            status=status.HTTP_201_CREATED,
        )


class DossierDetailView(TenantAPIView):
    required_permission = {"GET": "candidates.view", "PATCH": "candidates.edit", "DELETE": "candidates.edit"}

    @extend_schema(responses=DossierDetailSerializer, summary="Un dossier (l'accès est journalisé)")
    def get(self, request, org_slug, dossier_id):
        dossier = selectors.dossier_get_for_actor(public_id=dossier_id, actor=self.membership)
        return Response(
            DossierDetailSerializer(
                selectors.dossier_with_details(dossier), context={"request": request}
            ).data
        )

    @extend_schema(
        request=DossierFieldsSerializer, responses=DossierDetailSerializer, summary="Modifier un dossier"
    )
    def patch(self, request, org_slug, dossier_id):
        dossier = selectors.dossier_get(public_id=dossier_id, actor=self.membership)
        data = DossierFieldsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        dossier = services.dossier_update(
            dossier=dossier, by=self.membership, **_dossier_fields(data.validated_data, self.membership)
        )
        return Response(DossierDetailSerializer(dossier).data)

    @extend_schema(responses={204: None}, summary="Supprimer un dossier en brouillon")
    def delete(self, request, org_slug, dossier_id):
        services.dossier_delete(
            dossier=selectors.dossier_get(public_id=dossier_id, actor=self.membership), by=self.membership
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DossierPlanView(TenantAPIView):
    required_permission = "candidates.edit"

    @extend_schema(
        request=DossierPlanSerializer,
        responses=DossierDetailSerializer,
        summary="Blocs visés et modalité par capacité",
    )
    def put(self, request, org_slug, dossier_id):
        dossier = selectors.dossier_get(public_id=dossier_id, actor=self.membership)
        data = DossierPlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        blocs, modalites = _plan(
            dossier.referentiel_id, data.validated_data["blocs"], data.validated_data.get("modalites")
        )
        services.dossier_plan_update(dossier=dossier, by=self.membership, blocs=blocs, modalites=modalites)
        return Response(
            DossierDetailSerializer(selectors.dossier_get(public_id=dossier_id, actor=self.membership)).data
        )


class DossierTransitionView(_ListView):
    required_permission = {"GET": "candidates.view", "POST": "dossiers.transition"}
    serializer_class = TransitionSerializer

    def get_queryset(self):
        dossier = selectors.dossier_get(public_id=self.kwargs["dossier_id"], actor=self.membership)
        return dossier.transitions.select_related("by").order_by("at", "pk")

    @extend_schema(
        request=TransitionInputSerializer,
        responses={
            200: DossierDetailSerializer,
            400: OpenApiResponse(description="transition refusée, avec le motif"),
        },
        summary="Faire passer le dossier dans un autre état",
    )
    def post(self, request, org_slug, dossier_id):
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = services.dossier_transition(
            dossier=selectors.dossier_get(public_id=dossier_id, actor=self.membership),
            to=data.validated_data["to"],
            by=self.membership,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(
            DossierDetailSerializer(
                selectors.dossier_get(public_id=dossier.public_id, actor=self.membership)
            ).data
        )


class DossierRattrapageView(TenantAPIView):
    required_permission = "dossiers.transition"

    @extend_schema(
        request=RattrapageInputSerializer,
        responses={201: DossierDetailSerializer},
        summary="Ouvrir un rattrapage",
    )
    def post(self, request, org_slug, dossier_id):
        data = RattrapageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = selectors.dossier_get(public_id=dossier_id, actor=self.membership)
        retake = services.dossier_rattrapage_open(
            dossier=dossier,
            by=self.membership,
            blocs=bloc_codes(dossier.referentiel_id, data.validated_data.get("blocs")),
            date_inscription=data.validated_data.get("date_inscription"),
            reprise=data.validated_data.get("reprise", ""),
            courrier_le=data.validated_data.get("courrier_le"),
        )
        return Response(
            DossierDetailSerializer(
                selectors.dossier_get(public_id=retake.public_id, actor=self.membership)
            ).data,
            status=status.HTTP_201_CREATED,
        )


# --- pièces --------------------------------------------------------------------------------


class DossierPieceListCreateView(_ListView):
    required_permission = {"GET": "pieces.view", "POST": "pieces.upload"}
    serializer_class = PieceSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        dossier = selectors.dossier_get(public_id=self.kwargs["dossier_id"], actor=self.membership)
        return selectors.visible_pieces(
            dossier.pieces.select_related("dossier", "uploaded_by"), self.membership
        )

    @extend_schema(
        request={"multipart/form-data": PieceUploadSerializer},
        responses={201: PieceSerializer},
        summary="Déposer une pièce",
    )
    def post(self, request, org_slug, dossier_id):
        data = PieceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        piece = services.piece_upload(
            dossier=selectors.dossier_get(public_id=dossier_id, actor=self.membership),
            by=self.membership,
            kind=data.validated_data["kind"],
            uploaded_file=data.validated_data["file"],
        )
        return Response(PieceSerializer(piece).data, status=status.HTTP_201_CREATED)


class PieceDetailView(TenantAPIView):
    required_permission = {"GET": "pieces.view", "DELETE": "pieces.upload"}
    binary_media_types = tuple(kind.mime for kind in sniffing.ACCEPTED)

    @extend_schema(
        # served with the type its content was sniffed as at upload
        responses={(200, kind.mime): OpenApiTypes.BINARY for kind in sniffing.ACCEPTED},
        summary="Télécharger une pièce",
    )
    def get(self, request, org_slug, piece_id):
        return services.piece_download(public_id=piece_id, by=self.membership).as_response()

    @extend_schema(responses={204: None}, summary="Supprimer une pièce")
    def delete(self, request, org_slug, piece_id):
        services.piece_delete(
            piece=selectors.piece_get(public_id=piece_id, actor=self.membership), by=self.membership
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- bulk import ---------------------------------------------------------------------------


class ImportListCreateView(_ListView):
    required_permission = "candidates.import"
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return selectors.import_job_list()

    @extend_schema(
        request={"multipart/form-data": ImportCreateSerializer},
        responses={201: ImportJobSerializer},
        summary="Déposer un fichier d'import : vérification (à blanc) d'abord, asynchrone pour un gros fichier",
    )
    def post(self, request, org_slug):
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.import_job_create(
            by=self.membership,
            uploaded_file=data.validated_data["file"],
            merge_duplicates=data.validated_data["merge_duplicates"],
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)


class ImportJobDetailView(TenantAPIView):
    required_permission = "candidates.import"

    @extend_schema(
        responses=ImportJobSerializer, summary="État d'un import (erreurs ligne/colonne, aperçu, résultat)"
    )
    def get(self, request, org_slug, job_id):
        return Response(
            ImportJobSerializer(selectors.import_job_get(public_id=job_id, actor=self.membership)).data
        )


class ImportJobConfirmView(TenantAPIView):
    required_permission = "candidates.import"

    @extend_schema(
        request=ImportConfirmSerializer,
        responses={202: ImportJobSerializer},
        summary="Confirmer un import vérifié sans erreur, avec le choix pour chaque ligne de doublon",
    )
    def post(self, request, org_slug, job_id):
        job = selectors.import_job_get(public_id=job_id, actor=self.membership)
        data = ImportConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.import_job_confirm(
            job=job, by=self.membership, choices=data.validated_data.get("choix")
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
