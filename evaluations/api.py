"""Evaluations API: one ``APIView`` per operation; parse, call the service, serialize."""

import uuid

from django.db import transaction
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from candidates.models import Dossier
from candidates.selectors import dossier_get, dossier_list
from core.errors import ApplicationError
from evaluations import selectors, services
from evaluations.entretiens import entretien_record
from evaluations.models import Resultat
from evaluations.serializers import (
    AbsenceInputSerializer,
    AvisExtendSerializer,
    AvisRequestSerializer,
    AvisSaveSerializer,
    AvisSerializer,
    BulkInputSerializer,
    CommissionInputSerializer,
    CommissionRowSerializer,
    ConvocationSerializer,
    ConvocationsInputSerializer,
    CorrectionResolutionSerializer,
    DossiersInputSerializer,
    EntretienInputSerializer,
    EntretienSerializer,
    EpreuveCreateSerializer,
    EpreuveSerializer,
    EpreuveUpdateSerializer,
    FraudeDecisionSerializer,
    IncidentSerializer,
    InscriptionSerializer,
    MarkInputSerializer,
    PresenceInputSerializer,
    ReadinessRowSerializer,
    ResolutionInputSerializer,
    ResultatChangeSerializer,
    ResultatInputSerializer,
    ResultatSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
)
from organisations.api import TenantAPIView
from organisations.roles import has_capability
from referentiels.models import Bloc, Capacite, Critere, Modalite
from referentiels.public_ids import Ref, parse_ref, part_pks_by_code_or_id, pks_of


class _ListView(TenantAPIView, ListAPIView):
    filter_backends: list = []


# --- sessions and épreuves -----------------------------------------------------------------------


class SessionListCreateView(_ListView):
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

        data = SessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        from referentiels.selectors import referentiel_resolve

        referentiel = referentiel_resolve(
            referentiels_for_dossiers(organisation=self.membership.organisation),
            data.validated_data["referentiel"],
        )
        if referentiel is None:
            raise ApplicationError(
                "Référentiel inconnu ou hors des habilitations du centre.", field="referentiel"
            )
        session = services.session_create(
            by=self.membership,
            referentiel=referentiel,
            intitule=data.validated_data["intitule"],
            lieu=data.validated_data["lieu"],
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
        data = SessionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_update(session=session, by=self.membership, **data.validated_data)
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
    ids = [v for v in values if _is_uuid(v)]
    if not ids:
        return list(values)
    codes = dict(
        Capacite.objects.filter(referentiel=session.referentiel_id, public_id__in=ids).values_list(
            "public_id", "code"
        )
    )
    return [codes.get(uuid.UUID(str(v)), v) if _is_uuid(v) else v for v in values]


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class SessionEpreuveListCreateView(_ListView):
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
        data = EpreuveCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
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
        data = EpreuveUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
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
        data = ResolutionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        dossier = _visible_dossier(self.membership, fields.pop("dossier"))
        resolution = services.correction_resolve(
            epreuve=epreuve, dossier=dossier, by=self.membership, **fields
        )
        return Response(CorrectionResolutionSerializer(resolution).data, status=status.HTTP_201_CREATED)


class EpreuveInscriptionListCreateView(_ListView):
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
        data = DossiersInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = set(data.validated_data["dossiers"])
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
        data = ConvocationsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
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
        data = MarkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = dossier_get(public_id=data.validated_data["dossier"], actor=self.membership)
        out = services.epreuve_mark(
            epreuve=epreuve,
            dossier=dossier,
            by=self.membership,
            cible=data.validated_data["cible"],
            valeur=data.validated_data["valeur"],
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
        data = PresenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inscription = services.presence_record(
            inscription=inscription, by=self.membership, **data.validated_data
        )
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
        data = IncidentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_record(
            inscription=inscription, by=self.membership, **data.validated_data
        )
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)


# --- results -------------------------------------------------------------------------------------


def _targets(dossier: Dossier, row: dict) -> dict:
    """Codes or ids (UUID) → référentiel objects of the dossier (unknown → a clear error);
    critères observés by id → the internal keys the result keeps."""
    fields = dict(row)
    for name, model in (("capacite", Capacite), ("bloc", Bloc)):
        code = fields.pop(name, "") or ""
        if code:
            as_id = uuid.UUID(code) if _is_uuid(code) else None
            lookup = {"code": code} if as_id is None else {"public_id": as_id}
            obj = model.objects.filter(referentiel_id=dossier.referentiel_id, **lookup).first()
            if obj is None:
                raise ApplicationError(
                    f"{'Capacité' if name == 'capacite' else 'Bloc'} {code} absent du référentiel du dossier.",
                    field=name,
                )
            fields[name] = obj
    if fields.get("criteres_observes"):
        found = pks_of(Critere, fields["criteres_observes"], field="criteres_observes")
        fields["criteres_observes"] = [found[c] for c in fields["criteres_observes"]]
    return fields


BLOC_PARTS = ("controle_continu", "epreuves", "absence_non_justifiee")


def _sent_parts_only(fields: dict, raw) -> dict:
    """Each part of a bloc result is its own value: a part the caller did not send is left out,
    so the service keeps it as it is (sending only ``controle_continu`` never erases the
    évaluateur's ``epreuves``)."""
    raw = raw if hasattr(raw, "keys") else {}
    return {k: v for k, v in fields.items() if k not in BLOC_PARTS or k in raw}


def _visible_dossier(membership, public_id) -> Dossier:
    """The dossier if ``membership`` may see it (évaluateur: their épreuves, jury: their juries), else 404."""
    return dossier_get(public_id=public_id, actor=membership)


def _visible_dossiers(membership, public_ids) -> dict:
    """``{public_id: dossier}`` of those ``membership`` may see; the others are simply absent."""
    return {d.public_id: d for d in dossier_list(actor=membership).filter(public_id__in=public_ids)}


class DossierResultatListCreateView(_ListView):
    required_permission = {"GET": "results.view", "POST": "results.record"}
    serializer_class = ResultatSerializer

    def get_queryset(self):
        return (
            selectors.resultats_of(_visible_dossier(self.membership, self.kwargs["dossier_id"]))
            .select_related("dossier")
            .order_by("pk")
        )

    @extend_schema(
        request=ResultatInputSerializer,
        responses={201: ResultatSerializer},
        summary="Enregistrer un résultat (capacité, bloc ou composante)",
    )
    def post(self, request, org_slug, dossier_id):
        dossier = _visible_dossier(self.membership, dossier_id)
        data = ResultatInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = _sent_parts_only(_targets(dossier, data.validated_data), request.data)
        validate = fields.pop("valider")
        with transaction.atomic():
            resultat = services.resultat_record(dossier=dossier, by=self.membership, **fields)
            if validate:
                resultat = services.resultat_validate(resultat=resultat, by=self.membership)
        return Response(ResultatSerializer(resultat).data, status=status.HTTP_201_CREATED)


class ResultatBulkView(TenantAPIView):
    required_permission = "results.record"

    @extend_schema(
        request=BulkInputSerializer,
        responses={201: ResultatSerializer(many=True)},
        summary="Saisie en masse, validée en bloc : une ligne fausse → rien n'est écrit",
    )
    def post(self, request, org_slug):
        data = BulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = data.validated_data["resultats"]
        dossiers = _visible_dossiers(self.membership, {r["dossier"] for r in rows})
        errors = {i: "Dossier introuvable." for i, r in enumerate(rows) if r["dossier"] not in dossiers}
        parsed = []
        for i, row in enumerate(rows):
            if i in errors:
                continue
            try:
                fields = dict(row)
                dossier = dossiers[fields.pop("dossier")]
                sent = request.data["resultats"][i]
                parsed.append(dict(_sent_parts_only(_targets(dossier, fields), sent), dossier=dossier))
            except ApplicationError as exc:
                errors[i] = exc.message
        if errors:
            first = min(errors)
            raise ApplicationError(
                f"{len(errors)} ligne(s) refusée(s), rien n'a été enregistré. Ligne {first + 1} : {errors[first]}",
                field="resultats",
                extra={"rows": errors},
            )
        out = services.resultats_bulk_record(by=self.membership, rows=parsed)
        return Response(ResultatSerializer(out, many=True).data, status=status.HTTP_201_CREATED)


class ResultatValidateView(TenantAPIView):
    required_permission = "results.validate"

    @extend_schema(
        request=None, responses=ResultatSerializer, summary="Validation par la commission d'évaluation"
    )
    def post(self, request, org_slug, resultat_id):
        resultat = Resultat.objects.filter(public_id=resultat_id).select_related("dossier").first()
        if resultat is None:
            raise Http404
        _visible_dossier(self.membership, resultat.dossier.public_id)
        return Response(
            ResultatSerializer(services.resultat_validate(resultat=resultat, by=self.membership)).data
        )


class ResultatCommissionView(TenantAPIView):
    required_permission = "results.validate"

    @extend_schema(
        request=CommissionInputSerializer,
        responses=ResultatSerializer,
        summary="Décision de la commission d'évaluation sur une capacité (motivée si elle s'écarte)",
    )
    def post(self, request, org_slug, resultat_id):
        resultat = Resultat.objects.filter(public_id=resultat_id).select_related("dossier").first()
        if resultat is None:
            raise Http404
        _visible_dossier(self.membership, resultat.dossier.public_id)
        data = CommissionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resultat = services.commission_decide(resultat=resultat, by=self.membership, **data.validated_data)
        return Response(ResultatSerializer(resultat).data)


class DossierCommissionView(TenantAPIView):
    required_permission = "results.view"

    @extend_schema(
        responses=CommissionRowSerializer(many=True),
        summary="Ce que la commission d'évaluation pèse, par capacité : évaluations, avis, entretien",
    )
    def get(self, request, org_slug, dossier_id):
        dossier = _visible_dossier(self.membership, dossier_id)
        rows = selectors.commission_rows(dossier=dossier)
        for row in rows:
            if row.resultat is not None:
                row.resultat.dossier = dossier
        return Response(CommissionRowSerializer(rows, many=True).data)


class DossierAbsenceView(TenantAPIView):
    """Record an absence as a fact with its motive (seed 004), on a bloc épreuve, a bloc's
    contrôle continu or a composante of the évaluation professionnelle."""

    required_permission = "attendance.record"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request=AbsenceInputSerializer,
        responses={201: ResultatSerializer},
        summary="Absence (justifiée par un motif recevable et sa pièce, ou non justifiée)",
    )
    def post(self, request, org_slug, dossier_id):
        from candidates.models import Piece
        from evaluations.absences import absence_record

        dossier = _visible_dossier(self.membership, dossier_id)
        data = AbsenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["composante"]:
            partie = f"composante:{v['composante']}"
        elif v["bloc"] and v["partie"]:
            partie = f"{v['partie']}:{v['bloc']}"
        else:
            raise ApplicationError(
                "Indiquez le bloc et la partie (epreuves ou controle_continu), ou la composante.",
                field="partie",
            )
        piece = None
        if v["piece"]:
            piece = Piece.objects.filter(dossier=dossier, public_id=v["piece"]).first()
            if piece is None:
                raise ApplicationError("Pièce introuvable dans ce dossier.", field="piece")
        resultat = absence_record(
            dossier=dossier,
            by=self.membership,
            partie=partie,
            motif=v["motif"],
            justification=v["justification"],
            piece=piece,
            uploaded_file=v["justificatif"],
        )
        return Response(ResultatSerializer(resultat).data, status=status.HTTP_201_CREATED)


class DossierFraudeView(TenantAPIView):
    """The jury decides on the PV d'incident for fraud awaiting its decision."""

    required_permission = "juries.deliberate"

    @extend_schema(
        request=FraudeDecisionSerializer,
        responses={200: IncidentSerializer(many=True)},
        summary="Décision du jury sur un procès-verbal d'incident pour fraude",
    )
    def post(self, request, org_slug, dossier_id):
        from evaluations.hooks import fraud_decide

        dossier = _visible_dossier(self.membership, dossier_id)
        data = FraudeDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fraud_decide(dossier=dossier, by=self.membership, **data.validated_data)
        return Response(IncidentSerializer(selectors.fraud_incidents(dossier), many=True).data)


class DossierEntretienView(TenantAPIView):
    required_permission = "results.validate"

    @extend_schema(
        request=EntretienInputSerializer,
        responses={201: EntretienSerializer},
        summary="Entretien avec le candidat : date, participants, conclusion par capacité (compétence)",
    )
    def post(self, request, org_slug, dossier_id):
        dossier = _visible_dossier(self.membership, dossier_id)
        data = EntretienInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conclusions: dict[str, tuple[str, str]] = {}
        for row in data.validated_data["conclusions"]:
            if row["capacite"] in conclusions:
                raise ApplicationError(f"« {row['capacite']} » figure deux fois.", field="conclusions")
            conclusions[row["capacite"]] = (row["conclusion"], row["commentaire"])
        entretien = entretien_record(
            dossier=dossier,
            by=self.membership,
            date=data.validated_data["date"],
            participants=data.validated_data["participants"],
            conclusions=conclusions,
        )
        return Response(EntretienSerializer(entretien).data, status=status.HTTP_201_CREATED)


class ResultatHistoryView(_ListView):
    required_permission = "results.view"
    serializer_class = ResultatChangeSerializer

    def get_queryset(self):
        resultat = (
            Resultat.objects.filter(public_id=self.kwargs["resultat_id"]).select_related("dossier").first()
        )
        if resultat is None:
            raise Http404
        _visible_dossier(self.membership, resultat.dossier.public_id)
        return resultat.changes.select_related("by").order_by("at", "pk")


# --- avis de l'entreprise -----------------------------------------------------------------------------


class AvisListCreateView(_ListView):
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
        data = AvisRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = dossier_get(public_id=data.validated_data["dossier"], actor=self.membership)
        avis = services.avis_request(
            dossier=dossier, by=self.membership, date_limite=data.validated_data["date_limite"]
        )
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
        data = AvisSaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        capacites = _avis_rows_by_pk(data.validated_data["capacites"])
        avis = services.avis_save(
            avis=avis,
            by=self.membership,
            capacites=capacites,
            commentaire=data.validated_data["commentaire"],
            submit=data.validated_data["soumettre"],
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
        data = AvisExtendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        avis = services.avis_extend(
            avis=avis, by=self.membership, date_limite=data.validated_data["date_limite"]
        )
        return Response(AvisSerializer(avis).data)
