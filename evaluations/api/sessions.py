"""Evaluations API, sessions and épreuves: sessions, épreuves, inscriptions, convocations,
émargement, marks, presence, incidents and the session's readiness for the jury."""

import uuid

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from candidates.models import Dossier
from candidates.selectors import dossier_get
from core.errors import ApplicationError
from evaluations import selectors, services
from evaluations.api._common import ListView, is_uuid, validated, visible_dossier
from evaluations.models import Resultat
from evaluations.serializers import (
    ConvocationSerializer,
    ConvocationsInputSerializer,
    CorrectionResolutionSerializer,
    DossiersInputSerializer,
    EpreuveCreateSerializer,
    EpreuveSerializer,
    EpreuveUpdateSerializer,
    IncidentSerializer,
    InscriptionSerializer,
    MarkInputSerializer,
    PresenceInputSerializer,
    ReadinessRowSerializer,
    ResolutionInputSerializer,
    ResultatSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
)
from organisations.api import TenantAPIView
from referentiels.models import Bloc, Capacite, Modalite
from referentiels.public_ids import Ref, part_pks_by_code_or_id

# --- sessions and épreuves -----------------------------------------------------------------------


class SessionListCreateView(ListView):
    required_permission = {"GET": "sessions.manage", "POST": "sessions.manage"}
    serializer_class = SessionSerializer

    def get_queryset(self):
        return selectors.session_list()

    @extend_schema(
        request=SessionCreateSerializer,
        responses={201: SessionSerializer},
        summary="Créer une session d'examen",
    )
    def post(self, request, org_slug):
        from candidates.selectors import referentiels_for_dossiers

        data = validated(SessionCreateSerializer, request)
        from referentiels.selectors import referentiel_resolve

        referentiel = referentiel_resolve(
            referentiels_for_dossiers(organisation=self.membership.organisation),
            data["referentiel"],
        )
        if referentiel is None:
            raise ApplicationError(
                "Référentiel inconnu ou hors des habilitations du centre.", field="referentiel"
            )
        session = services.session_create(
            by=self.membership,
            referentiel=referentiel,
            intitule=data["intitule"],
            lieu=data["lieu"],
        )
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetailView(TenantAPIView):
    required_permission = "sessions.manage"

    @extend_schema(responses=SessionSerializer, summary="Une session d'examen")
    def get(self, request, org_slug, session_id):
        return Response(
            SessionSerializer(selectors.session_get(public_id=session_id, actor=self.membership)).data
        )

    @extend_schema(
        request=SessionUpdateSerializer, responses=SessionSerializer, summary="Modifier une session d'examen"
    )
    def patch(self, request, org_slug, session_id):
        session = selectors.session_get(public_id=session_id, actor=self.membership)
        data = validated(SessionUpdateSerializer, request)
        session = services.session_update(session=session, by=self.membership, **data)
        return Response(SessionSerializer(session).data)

    @extend_schema(
        responses={204: None},
        summary="Supprimer une session (refusé si des convocations sont envoyées ou des résultats saisis)",
    )
    def delete(self, request, org_slug, session_id):
        services.session_delete(
            session=selectors.session_get(public_id=session_id, actor=self.membership), by=self.membership
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _evaluateurs_of(membership, emails) -> list:
    users = {
        u.email.lower(): u
        for u in selectors.evaluateurs_disponibles(organisation=membership.organisation).filter(
            email__in=emails
        )
    }
    unknown = [e for e in emails if e.lower() not in users]
    if unknown:
        raise ApplicationError(f"Pas évaluateur dans ce centre : {', '.join(unknown)}.", field="evaluateurs")
    return list(users.values())


def _modalite_of(session, modalite_id: Ref | None):
    """The session's référentiel's modalité named by its id (UUID; the former integer id during
    the deprecation period)."""
    if modalite_id is None:
        return None
    by_id = {"public_id": modalite_id} if isinstance(modalite_id, uuid.UUID) else {"pk": modalite_id}
    modalite = Modalite.objects.filter(referentiel=session.referentiel_id, **by_id).first()
    if modalite is None:
        raise ApplicationError(
            f"Modalité {modalite_id} inconnue dans le référentiel de la session.", field="modalite_id"
        )
    return modalite


def _capacite_codes(session, values) -> list:
    """Capacités named by code or id (UUID) → their codes (what an épreuve keeps); a value that
    is neither is passed on unchanged, for the service's own message."""
    ids = [v for v in values if is_uuid(v)]
    if not ids:
        return list(values)
    codes = dict(
        Capacite.objects.filter(referentiel=session.referentiel_id, public_id__in=ids).values_list(
            "public_id", "code"
        )
    )
    return [codes.get(uuid.UUID(str(v)), v) if is_uuid(v) else v for v in values]


class SessionEpreuveListCreateView(ListView):
    required_permission = "sessions.manage"
    serializer_class = EpreuveSerializer

    def get_queryset(self):
        return selectors.epreuve_list(
            session=selectors.session_get(public_id=self.kwargs["session_id"], actor=self.membership)
        )

    @extend_schema(
        request=EpreuveCreateSerializer, responses={201: EpreuveSerializer}, summary="Planifier une épreuve"
    )
    def post(self, request, org_slug, session_id):
        session = selectors.session_get(public_id=session_id, actor=self.membership)
        data = validated(EpreuveCreateSerializer, request)
        fields = dict(data)
        bloc_ref = fields.pop("bloc")
        fields["bloc"] = None
        if bloc_ref:
            found, _unknown = part_pks_by_code_or_id(Bloc, session.referentiel_id, [bloc_ref])
            fields["bloc"] = Bloc.objects.filter(pk=found.get(bloc_ref)).first()
            if fields["bloc"] is None:
                raise ApplicationError(f"Bloc inconnu : {bloc_ref}.", field="bloc")
        if fields.get("capacites"):
            fields["capacites"] = _capacite_codes(session, fields["capacites"])
        fields["modalite"] = _modalite_of(session, fields.pop("modalite_id"))
        evaluateurs = _evaluateurs_of(self.membership, fields.pop("evaluateurs"))
        epreuve = services.epreuve_create(
            session=session, by=self.membership, evaluateurs=evaluateurs, **fields
        )
        return Response(EpreuveSerializer(epreuve).data, status=status.HTTP_201_CREATED)


class SessionReadinessView(TenantAPIView):
    required_permission = "results.view"

    @extend_schema(
        responses=ReadinessRowSerializer(many=True), summary="Qui est prêt pour le jury, et ce qui manque"
    )
    def get(self, request, org_slug, session_id):
        rows = selectors.session_readiness(
            session=selectors.session_get(public_id=session_id, actor=self.membership), actor=self.membership
        )
        return Response(ReadinessRowSerializer(rows, many=True).data)


class EpreuveDetailView(TenantAPIView):
    required_permission = {"GET": "results.view", "PATCH": "sessions.manage", "DELETE": "sessions.manage"}

    @extend_schema(responses=EpreuveSerializer, summary="Une épreuve (un évaluateur : les siennes)")
    def get(self, request, org_slug, epreuve_id):
        return Response(
            EpreuveSerializer(selectors.epreuve_get(public_id=epreuve_id, actor=self.membership)).data
        )

    @extend_schema(
        request=EpreuveUpdateSerializer,
        responses=EpreuveSerializer,
        summary="Modifier une épreuve (horaire, lieu, modalité, double correction, évaluateurs)",
    )
    def patch(self, request, org_slug, epreuve_id):
        epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=self.membership)
        data = validated(EpreuveUpdateSerializer, request)
        fields = dict(data)
        if "modalite_id" in fields:
            fields["modalite"] = _modalite_of(epreuve.session, fields.pop("modalite_id"))
        if "evaluateurs" in fields:
            fields["evaluateurs"] = _evaluateurs_of(self.membership, fields["evaluateurs"])
        epreuve = services.epreuve_update(epreuve=epreuve, by=self.membership, **fields)
        return Response(
            EpreuveSerializer(selectors.epreuve_list(session=epreuve.session).get(pk=epreuve.pk)).data
        )

    @extend_schema(
        responses={204: None},
        summary="Supprimer une épreuve (refusé si des convocations sont envoyées ou des résultats saisis)",
    )
    def delete(self, request, org_slug, epreuve_id):
        services.epreuve_delete(
            epreuve=selectors.epreuve_get(public_id=epreuve_id, actor=self.membership), by=self.membership
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class EpreuveResolutionView(TenantAPIView):
    required_permission = "results.validate"

    @extend_schema(
        request=ResolutionInputSerializer,
        responses={201: CorrectionResolutionSerializer},
        summary="Résoudre un désaccord de double correction (valeur retenue et motif)",
    )
    def post(self, request, org_slug, epreuve_id):
        epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=self.membership)
        data = validated(ResolutionInputSerializer, request)
        fields = dict(data)
        dossier = visible_dossier(self.membership, fields.pop("dossier"))
        resolution = services.correction_resolve(
            epreuve=epreuve, dossier=dossier, by=self.membership, **fields
        )
        return Response(CorrectionResolutionSerializer(resolution).data, status=status.HTTP_201_CREATED)


class EpreuveInscriptionListCreateView(ListView):
    required_permission = {"GET": "results.view", "POST": "sessions.manage"}
    serializer_class = InscriptionSerializer

    def get_queryset(self):
        epreuve = selectors.epreuve_get(public_id=self.kwargs["epreuve_id"], actor=self.membership)
        return selectors.epreuve_inscriptions(epreuve=epreuve, actor=self.membership).select_related(
            "epreuve"
        )

    @extend_schema(
        request=DossiersInputSerializer,
        responses={201: InscriptionSerializer(many=True)},
        summary="Inscrire des dossiers à l'épreuve",
    )
    def post(self, request, org_slug, epreuve_id):
        epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=self.membership)
        data = validated(DossiersInputSerializer, request)
        wanted = set(data["dossiers"])
        dossiers = list(Dossier.objects.filter(public_id__in=wanted).select_related("candidate"))
        if len(dossiers) != len(wanted):
            raise Http404
        created = services.epreuve_candidats_add(epreuve=epreuve, by=self.membership, dossiers=dossiers)
        for i in created:
            i.epreuve = epreuve
        return Response(InscriptionSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class EpreuveInscriptionDetailView(TenantAPIView):
    required_permission = "sessions.manage"

    @extend_schema(
        responses={204: None},
        summary="Retirer un candidat d'une épreuve (refusé si convoqué, noté, émargé ou incident)",
    )
    def delete(self, request, org_slug, epreuve_id, inscription_id):
        epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=self.membership)
        inscription = selectors.inscription_get(public_id=inscription_id, actor=self.membership)
        if inscription.epreuve_id != epreuve.pk:
            raise Http404
        services.epreuve_candidat_remove(inscription=inscription, by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EpreuveConvocationsView(TenantAPIView):
    required_permission = "convocations.send"

    @extend_schema(
        request=ConvocationsInputSerializer,
        responses={201: ConvocationSerializer(many=True)},
        summary="Envoyer les convocations",
    )
    def post(self, request, org_slug, epreuve_id):
        epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=self.membership)
        data = validated(ConvocationsInputSerializer, request)
        fields = dict(data)
        dossiers = fields.pop("dossiers", None)
        inscriptions = None
        if dossiers is not None:
            inscriptions = list(
                selectors.epreuve_inscriptions(epreuve=epreuve).filter(dossier__public_id__in=dossiers)
            )
        created = services.convocations_send(
            epreuve=epreuve, by=self.membership, inscriptions=inscriptions, **fields
        )
        return Response(ConvocationSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class EpreuveEmargementView(TenantAPIView):
    required_permission = "sessions.manage"
    binary_media_types = ("application/pdf",)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY}, summary="Feuille d'émargement (PDF)"
    )
    def get(self, request, org_slug, epreuve_id):
        from evaluations.documents import emargement_pdf

        epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=self.membership)
        return HttpResponse(emargement_pdf(epreuve, by=self.membership), content_type="application/pdf")


class EpreuveMarkView(TenantAPIView):
    required_permission = "results.record"

    @extend_schema(
        request=MarkInputSerializer,
        responses={200: ResultatSerializer},
        summary="Saisir une note de l'épreuve (double correction : sa correction)",
    )
    def post(self, request, org_slug, epreuve_id):
        epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=self.membership)
        data = validated(MarkInputSerializer, request)
        dossier = dossier_get(public_id=data["dossier"], actor=self.membership)
        out = services.epreuve_mark(
            epreuve=epreuve,
            dossier=dossier,
            by=self.membership,
            cible=data["cible"],
            valeur=data["valeur"],
        )
        if isinstance(out, Resultat):
            return Response(ResultatSerializer(out).data)
        return Response(
            {
                "correction": {
                    "cible": out.cible,
                    "valeur": out.valeur,
                    "correcteur": self.membership.user.email,
                }
            }
        )


class InscriptionPresenceView(TenantAPIView):
    required_permission = "attendance.record"

    @extend_schema(
        request=PresenceInputSerializer,
        responses=InscriptionSerializer,
        summary="Émargement : présence ou absence",
    )
    def post(self, request, org_slug, inscription_id):
        inscription = selectors.inscription_get(public_id=inscription_id, actor=self.membership)
        data = validated(PresenceInputSerializer, request)
        inscription = services.presence_record(inscription=inscription, by=self.membership, **data)
        return Response(InscriptionSerializer(inscription).data)


class InscriptionIncidentView(TenantAPIView):
    required_permission = "attendance.record"

    @extend_schema(
        request=IncidentSerializer,
        responses={201: IncidentSerializer},
        summary="Incident (fraude : session invalidée)",
    )
    def post(self, request, org_slug, inscription_id):
        inscription = selectors.inscription_get(public_id=inscription_id, actor=self.membership)
        data = validated(IncidentSerializer, request)
        incident = services.incident_record(inscription=inscription, by=self.membership, **data)
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)
