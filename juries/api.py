"""Juries API: one ``APIView`` per operation; parse, call the service, serialize."""

import uuid

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from candidates.models import Dossier
from core.errors import ApplicationError
from juries import selectors, services
from juries.models import MEMBER_FIELDS, Decision, Jury, JuryMember, ProcesVerbal, Rectification, Signature
from juries.views import client_ip
from organisations.api import TenantAPIView
from referentiels.models import Bloc
from referentiels.public_ids import bloc_codes, ids_by_code, ids_of_codes
from referentiels.selectors import referentiel_list, referentiel_resolve

# --- serializers ---------------------------------------------------------------------------


# The centre's signatories: a list of free-form rows (one per title the centre names).
LIST_OF_OBJECTS = {"type": "array", "items": {"type": "object", "additionalProperties": {}}}


class MemberSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = JuryMember
        fields = ["id", *MEMBER_FIELDS]


class DecisionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    dossier = serializers.UUIDField(source="dossier.public_id", read_only=True)
    candidat = serializers.CharField(source="dossier.candidate.nom_complet", read_only=True)
    derogation = serializers.BooleanField(source="is_override", read_only=True)
    proposition_blocs_ids = serializers.SerializerMethodField(
        help_text="ids des blocs de « proposition_blocs », dans le même ordre"
    )
    blocs_valides_ids = serializers.SerializerMethodField(
        help_text="ids des blocs de « blocs_valides », dans le même ordre"
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "dossier",
            "candidat",
            "proposition",
            "proposition_blocs",
            "proposition_blocs_ids",
            "raisons",
            "details",
            "decision",
            "blocs_valides",
            "blocs_valides_ids",
            "motivation",
            "derogation",
            "decided_at",
        ]

    def get_proposition_blocs_ids(self, obj) -> list[uuid.UUID]:
        return ids_of_codes(self, Bloc, obj.dossier.referentiel_id, obj.proposition_blocs)

    def get_blocs_valides_ids(self, obj) -> list[uuid.UUID]:
        return ids_of_codes(self, Bloc, obj.dossier.referentiel_id, obj.blocs_valides)


class JurySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    referentiel = serializers.CharField(source="referentiel.code", read_only=True)
    referentiel_id = serializers.UUIDField(source="referentiel.public_id", read_only=True)
    referentiel_version = serializers.IntegerField(source="referentiel.version", read_only=True)
    group_key = serializers.CharField(read_only=True)

    class Meta:
        model = Jury
        fields = [
            "id",
            "referentiel",
            "referentiel_id",
            "referentiel_version",
            "intitule",
            "date",
            "lieu",
            "date_dernier_examen",
            "status",
            "opened_at",
            "closed_at",
            "frozen_at",
            "results_published_at",
            "group_key",
        ]


class JuryCreateSerializer(serializers.Serializer):
    referentiel = serializers.CharField(
        max_length=60,
        help_text="id du référentiel (cette version) ou son code (la version publiée la plus récente)",
    )
    intitule = serializers.CharField(max_length=200)
    date = serializers.DateField()
    lieu = serializers.CharField(max_length=200)
    date_dernier_examen = serializers.DateField(required=False)


class PublishedBlocSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True, help_text="id du bloc")
    code = serializers.CharField()
    valide = serializers.BooleanField()
    controle_continu = serializers.FloatField(allow_null=True, required=False)
    epreuves = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="absent quand le référentiel garde les notes confidentielles",
    )
    points = serializers.FloatField(allow_null=True, required=False)
    note_sur_20 = serializers.FloatField(allow_null=True, required=False)


class PublishedResultSerializer(serializers.Serializer):
    dossier = serializers.UUIDField()
    candidat = serializers.CharField()
    decision = serializers.CharField()
    decision_label = serializers.CharField()
    blocs_valides = serializers.ListField(child=serializers.CharField())
    blocs_valides_ids = serializers.ListField(
        child=serializers.UUIDField(), help_text="ids des blocs de « blocs_valides », dans le même ordre"
    )
    blocs = PublishedBlocSerializer(many=True)


class JuryDocumentRowSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    holder_name = serializers.CharField()
    number = serializers.CharField(allow_null=True)
    verification_code = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    revoked = serializers.BooleanField()


class JuryDocumentsSerializer(serializers.Serializer):
    progression = serializers.DictField(help_text="avancement de la génération (comme …/documents/progress)")
    documents = JuryDocumentRowSerializer(many=True)


class SignatureSerializer(serializers.ModelSerializer):
    membre = serializers.CharField(source="member.nom_complet", read_only=True)
    role = serializers.CharField(source="member.role", read_only=True)

    class Meta:
        model = Signature
        fields = ["membre", "role", "signed_at", "ip", "sha256", "second_facteur"]


class ProcesVerbalSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    signatures = SignatureSerializer(many=True, read_only=True)

    class Meta:
        model = ProcesVerbal
        fields = ["id", "kind", "contenu", "sha256", "created_at", "completed_at", "signatures"]


class RectificationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    decision = serializers.UUIDField(source="decision.public_id", read_only=True)
    proces_verbal = serializers.UUIDField(source="proces_verbal.public_id", read_only=True)
    blocs_valides_ids = serializers.SerializerMethodField(
        help_text="ids des blocs de « blocs_valides », dans le même ordre"
    )

    class Meta:
        model = Rectification
        fields = [
            "id",
            "decision",
            "nouvelle_decision",
            "blocs_valides",
            "blocs_valides_ids",
            "motif",
            "proces_verbal",
            "created_at",
            "applied_at",
        ]

    def get_blocs_valides_ids(self, obj) -> list[uuid.UUID]:
        return ids_of_codes(self, Bloc, obj.decision.dossier.referentiel_id, obj.blocs_valides)


class DecisionInputSerializer(serializers.Serializer):
    accept = serializers.BooleanField(default=False)
    decision = serializers.ChoiceField(choices=[c for c in Dossier.Decision.values if c], required=False)
    blocs_valides = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    motivation = serializers.CharField(required=False, allow_blank=True, default="")


class SignInputSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=10, help_text="Code TOTP actuel de l'application d'authentification du membre."
    )


class JuryDossiersInputSerializer(serializers.Serializer):
    dossiers = serializers.ListField(child=serializers.UUIDField(), min_length=1)


class RectificationInputSerializer(serializers.Serializer):
    decision = serializers.UUIDField()
    nouvelle_decision = serializers.ChoiceField(choices=[c for c in Dossier.Decision.values if c])
    blocs_valides = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    motif = serializers.CharField()


# --- views ---------------------------------------------------------------------------------


class _JuryView(TenantAPIView):
    def jury(self, jury_id) -> Jury:
        return selectors.jury_get(membership=self.membership, public_id=jury_id)


class JuryListCreateView(TenantAPIView, ListAPIView):
    required_permission = {"GET": "juries.view", "POST": "juries.manage"}
    queryset = Jury.objects.none()  # for the OpenAPI schema only: get_queryset() scopes it
    serializer_class = JurySerializer
    filterset_fields = ["status"]
    ordering_fields = ["date", "created_at"]

    def get_queryset(self):
        return selectors.jury_list(membership=self.membership)

    @extend_schema(request=JuryCreateSerializer, responses={201: JurySerializer}, summary="Créer un jury")
    def post(self, request, org_slug):
        data = JuryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        code = values.pop("referentiel")
        refs = referentiel_list(organisation=self.membership.organisation, status="published")
        ref = referentiel_resolve(refs, code)
        if ref is None:
            raise ApplicationError(f"Référentiel publié inconnu : « {code[:60]} ».", field="referentiel")
        jury = services.jury_create(by=self.membership, referentiel=ref, **values)
        return Response(JurySerializer(jury).data, status=status.HTTP_201_CREATED)


class JuryDetailView(_JuryView):
    required_permission = "juries.view"

    @extend_schema(responses=JurySerializer, summary="Un jury, sa composition et l'état de sa publication")
    def get(self, request, org_slug, jury_id):
        jury = self.jury(jury_id)
        data = JurySerializer(jury).data
        data["membres"] = MemberSerializer(jury.members.all(), many=True).data
        data["composition_echecs"] = (
            services.jury_composition_failures(jury) if jury.status == Jury.Status.COMPOSITION else []
        )
        info = selectors.publication_info(jury)
        data["publication"] = {
            "echeance": info["deadline"],
            "en_retard": info["late"],
            "notes_confidentielles": info["confidential"],
        }
        return Response(data)


class MemberListCreateView(_JuryView, ListAPIView):
    # seating a member is the administrator's (issue 16: separation of duties)
    required_permission = {"GET": "juries.view", "POST": "juries.compose"}
    queryset = JuryMember.objects.none()  # for the OpenAPI schema only: get_queryset() scopes it
    serializer_class = MemberSerializer

    def get_queryset(self):
        return self.jury(self.kwargs["jury_id"]).members.all()

    @extend_schema(
        request=MemberSerializer,
        responses={201: MemberSerializer},
        summary="Ajouter un membre (administrateur ; invité s'il n'a pas de compte)",
    )
    def post(self, request, org_slug, jury_id):
        jury = self.jury(jury_id)
        data = MemberSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.jury_member_add(jury=jury, by=self.membership, **data.validated_data)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetailView(_JuryView):
    required_permission = "juries.compose"

    @extend_schema(responses={204: None}, summary="Retirer un membre (administrateur)")
    def delete(self, request, org_slug, jury_id, member_id):
        jury = self.jury(jury_id)
        services.jury_member_remove(
            member=selectors.member_get(jury=jury, public_id=member_id), by=self.membership
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class JuryDossiersView(_JuryView):
    required_permission = "juries.manage"

    @extend_schema(
        request=JuryDossiersInputSerializer,
        responses={201: DecisionSerializer(many=True)},
        summary="Ajouter des dossiers prêts pour le jury",
    )
    def post(self, request, org_slug, jury_id):
        jury = self.jury(jury_id)
        data = JuryDossiersInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = set(data.validated_data["dossiers"])
        dossiers = list(Dossier.objects.filter(public_id__in=wanted))
        if len(dossiers) != len(wanted):
            raise ApplicationError("Dossier inconnu dans la liste.", field="dossiers")
        created = services.jury_dossiers_add(jury=jury, by=self.membership, dossiers=dossiers)
        return Response(DecisionSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class JuryOpenView(_JuryView):
    required_permission = "juries.manage"

    @extend_schema(
        request=None,
        responses=JurySerializer,
        summary="Ouvrir la délibération (règle de composition vérifiée)",
    )
    def post(self, request, org_slug, jury_id):
        return Response(JurySerializer(services.jury_open(jury=self.jury(jury_id), by=self.membership)).data)


class DecisionListView(_JuryView, ListAPIView):
    required_permission = "juries.view"
    queryset = Decision.objects.none()  # for the OpenAPI schema only: get_queryset() scopes it
    serializer_class = DecisionSerializer

    def get_queryset(self):
        return selectors.decision_list(jury=self.jury(self.kwargs["jury_id"]))


class DecisionDetailView(_JuryView):
    required_permission = {"GET": "juries.view", "POST": "juries.deliberate"}

    @extend_schema(responses=DecisionSerializer, summary="Proposition et décision pour un candidat")
    def get(self, request, org_slug, jury_id, decision_id):
        return Response(
            DecisionSerializer(selectors.decision_get(jury=self.jury(jury_id), public_id=decision_id)).data
        )

    @extend_schema(
        request=DecisionInputSerializer,
        responses=DecisionSerializer,
        summary="Accepter la proposition ou décider autrement (motivation obligatoire)",
    )
    def post(self, request, org_slug, jury_id, decision_id):
        decision = selectors.decision_get(jury=self.jury(jury_id), public_id=decision_id)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        decision = services.decision_record(
            decision=decision,
            by=self.membership,
            accept=v["accept"],
            decision_value=v.get("decision", ""),
            blocs_valides=bloc_codes(lambda: decision.dossier.referentiel_id, v["blocs_valides"]),
            motivation=v["motivation"],
        )
        return Response(DecisionSerializer(decision).data)


class JuryCloseView(_JuryView):
    required_permission = "juries.deliberate"

    @extend_schema(
        request=None, responses={201: ProcesVerbalSerializer}, summary="Clore la délibération (président)"
    )
    def post(self, request, org_slug, jury_id):
        pv = services.jury_close(jury=self.jury(jury_id), by=self.membership)
        return Response(ProcesVerbalSerializer(pv).data, status=status.HTTP_201_CREATED)


class ProcesVerbalListView(_JuryView, ListAPIView):
    required_permission = "juries.view"
    queryset = ProcesVerbal.objects.none()  # for the OpenAPI schema only: get_queryset() scopes it
    serializer_class = ProcesVerbalSerializer

    def get_queryset(self):
        return self.jury(self.kwargs["jury_id"]).proces_verbaux.prefetch_related("signatures__member")


class SignatureCreateView(_JuryView):
    required_permission = "juries.sign"

    @extend_schema(
        request=SignInputSerializer,
        responses={201: SignatureSerializer},
        summary="Signer un procès-verbal (second facteur TOTP)",
    )
    def post(self, request, org_slug, jury_id, pv_id):
        pv = selectors.proces_verbal_get(jury=self.jury(jury_id), public_id=pv_id)
        data = SignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signature = services.proces_verbal_sign(
            proces_verbal=pv,
            by=self.membership,
            code=data.validated_data["code"],
            ip=client_ip(request._request),
        )
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)


class RectificationListCreateView(_JuryView, ListAPIView):
    required_permission = {"GET": "juries.view", "POST": "juries.manage"}
    queryset = Rectification.objects.none()  # for the OpenAPI schema only: get_queryset() scopes it
    serializer_class = RectificationSerializer

    def get_queryset(self):
        return selectors.rectification_list(jury=self.jury(self.kwargs["jury_id"]))

    @extend_schema(
        request=RectificationInputSerializer,
        responses={201: RectificationSerializer},
        summary="Rectifier une décision figée",
    )
    def post(self, request, org_slug, jury_id):
        jury = self.jury(jury_id)
        data = RectificationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        decision = selectors.decision_get(jury=jury, public_id=v["decision"])
        rect = services.rectification_create(
            decision=decision,
            by=self.membership,
            nouvelle_decision=v["nouvelle_decision"],
            blocs_valides=bloc_codes(lambda: decision.dossier.referentiel_id, v["blocs_valides"]),
            motif=v["motif"],
        )
        return Response(RectificationSerializer(rect).data, status=status.HTTP_201_CREATED)


class JuryPublishView(_JuryView):
    required_permission = "juries.manage"

    @extend_schema(request=None, responses=JurySerializer, summary="Publier les résultats (PV complet exigé)")
    def post(self, request, org_slug, jury_id):
        return Response(
            JurySerializer(services.jury_results_publish(jury=self.jury(jury_id), by=self.membership)).data
        )


def _with_bloc_ids(rows: list[dict], jury: Jury) -> list[dict]:
    """The published results with each bloc's id beside its code (one query: the jury's blocs)."""
    ids = ids_by_code(Bloc, jury.referentiel_id)
    for row in rows:
        row["blocs_valides_ids"] = [ids[c] for c in row["blocs_valides"] if c in ids]
        for bloc in row["blocs"]:
            bloc["id"] = ids.get(bloc["code"])
    return rows


class JuryResultsView(_JuryView):
    required_permission = "juries.view"

    @extend_schema(
        responses={200: PublishedResultSerializer(many=True)},
        summary="Résultats publiés (notes confidentielles omises)",
    )
    def get(self, request, org_slug, jury_id):
        jury = self.jury(jury_id)
        if not jury.results_published_at:
            raise ApplicationError("Les résultats de ce jury ne sont pas encore publiés.")
        return Response(_with_bloc_ids(selectors.published_results(jury=jury), jury))


class JuryDocumentsView(_JuryView):
    required_permission = "documents.view"

    @extend_schema(
        responses=JuryDocumentsSerializer, summary="Documents du jury et progression de leur génération"
    )
    def get(self, request, org_slug, jury_id):
        jury = self.jury(jury_id)
        if not jury.is_frozen:
            raise Http404("Aucun document avant la dernière signature.")
        from documents.selectors import batch_progress, document_list

        docs = document_list(actor=self.membership, group_key=jury.group_key).order_by(
            "kind", "number", "holder_name"
        )
        return Response(
            {
                "progression": batch_progress(group_key=jury.group_key),
                "documents": [
                    {
                        "id": str(d.public_id),
                        "kind": d.kind,
                        "holder_name": d.holder_name,
                        "number": d.number,
                        "verification_code": d.verification_code,
                        "status": d.status,
                        "revoked": d.revoked_at is not None,
                    }
                    for d in docs
                ],
            }
        )


# --- who issues and who signs: the centre's side (issue 13, point 1) ---------------------------


class CentreSignatorySerializer(serializers.Serializer):
    signataire = serializers.UUIDField(help_text="identifiant du signataire (liste GET)")
    nom = serializers.CharField(allow_blank=True)


class CentreSignatoriesView(TenantAPIView):
    required_permission = "signataires.manage"

    @extend_schema(
        responses={200: LIST_OF_OBJECTS},
        summary="Signataires que le centre nomme sur les documents des certificateurs",
    )
    def get(self, request, org_slug):
        from juries.issuance import centre_signatories

        return Response(_signatory_rows(centre_signatories(centre=request.organisation)))

    @extend_schema(
        request=CentreSignatorySerializer,
        responses={200: LIST_OF_OBJECTS},
        summary="Nommer le signataire du centre (ex. le Président de la CCI dont dépend l'établissement)",
    )
    def post(self, request, org_slug):
        from juries.issuance import centre_signatories, centre_signatory_name_set

        data = CentreSignatorySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        centre_signatory_name_set(
            by=self.membership,
            signatory_public_id=data.validated_data["signataire"],
            name=data.validated_data["nom"],
        )
        return Response(_signatory_rows(centre_signatories(centre=request.organisation)))


def _signatory_rows(rows) -> list[dict]:
    return [
        {
            "signataire": str(r["signatory"].public_id),
            "certificateur": r["certificateur"],
            "document": r["document"],
            "certification": r["certification"],
            "qualite": r["signatory"].title,
            "nom": r["name"],
        }
        for r in rows
    ]


class JuryTransmissionView(_JuryView):
    required_permission = {"GET": "juries.view", "POST": "juries.manage"}

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="Transmission du PV signé au certificateur qui émet les parchemins",
    )
    def get(self, request, org_slug, jury_id):
        from juries.issuance import transmission_of

        t = transmission_of(self.jury(jury_id))
        if t is None:
            raise Http404
        return Response(_transmission_data(t))

    @extend_schema(
        request=None,
        responses=OpenApiTypes.OBJECT,
        summary="Transmettre à nouveau un PV retourné par le certificateur",
    )
    def post(self, request, org_slug, jury_id):
        from juries.issuance import pv_transmit_again, transmission_of

        t = transmission_of(self.jury(jury_id))
        if t is None:
            raise Http404
        return Response(_transmission_data(pv_transmit_again(transmission=t, by=self.membership)))


def _transmission_data(t) -> dict:
    return {
        "etat": t.status,
        "transmis_le": t.transmitted_at,
        "emis_le": t.issued_at,
        "retourne_le": t.returned_at,
        "motif_retour": t.return_reason,
    }
