"""Evaluations API, a dossier's results: record (one or in bulk), validate, the commission
d'évaluation, absences, fraud, entretiens and a result's history."""

import uuid

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from candidates.models import Dossier
from core.errors import ApplicationError
from evaluations import selectors, services
from evaluations.api._common import ListView, is_uuid, validated, visible_dossier, visible_dossiers
from evaluations.entretiens import entretien_record
from evaluations.models import Resultat
from evaluations.serializers import (
    AbsenceInputSerializer,
    BulkInputSerializer,
    CommissionInputSerializer,
    CommissionRowSerializer,
    EntretienInputSerializer,
    EntretienSerializer,
    FraudeDecisionSerializer,
    IncidentSerializer,
    ParcoursInputSerializer,
    ParcoursSerializer,
    ResultatChangeSerializer,
    ResultatInputSerializer,
    ResultatSerializer,
)
from organisations.api import TenantAPIView
from organisations.models import Membership
from organisations.roles import has_capability
from referentiels.models import Bloc, Capacite, Critere
from referentiels.public_ids import pks_of

# --- results -------------------------------------------------------------------------------------


def _targets(dossier: Dossier, row: dict) -> dict:
    """Codes or ids (UUID) → référentiel objects of the dossier (unknown → a clear error);
    critères observés by id → the internal keys the result keeps."""
    fields = dict(row)
    for name, model in (("capacite", Capacite), ("bloc", Bloc)):
        code = fields.pop(name, "") or ""
        if code:
            as_id = uuid.UUID(code) if is_uuid(code) else None
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


def _visible_resultat(membership: Membership, public_id: uuid.UUID | str) -> Resultat:
    """The result if ``membership`` may see its dossier, else 404."""
    resultat = Resultat.objects.filter(public_id=public_id).select_related("dossier").first()
    if resultat is None:
        raise Http404
    visible_dossier(membership, resultat.dossier.public_id)
    return resultat


class DossierResultatListCreateView(ListView):
    required_permission = {"GET": "results.view", "POST": "results.record"}
    serializer_class = ResultatSerializer

    def get_queryset(self):
        return (
            selectors.resultats_of(visible_dossier(self.membership, self.kwargs["dossier_id"]))
            .select_related("dossier")
            .order_by("pk")
        )

    @extend_schema(
        request=ResultatInputSerializer,
        responses={201: ResultatSerializer},
        summary="Enregistrer un résultat (capacité, bloc ou composante)",
    )
    def post(self, request, org_slug, dossier_id):
        dossier = visible_dossier(self.membership, dossier_id)
        data = validated(ResultatInputSerializer, request)
        fields = _sent_parts_only(_targets(dossier, data), request.data)
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
        data = validated(BulkInputSerializer, request)
        rows = data["resultats"]
        dossiers = visible_dossiers(self.membership, {r["dossier"] for r in rows})
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
        resultat = _visible_resultat(self.membership, resultat_id)
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
        resultat = _visible_resultat(self.membership, resultat_id)
        data = validated(CommissionInputSerializer, request)
        resultat = services.commission_decide(resultat=resultat, by=self.membership, **data)
        return Response(ResultatSerializer(resultat).data)


class DossierCommissionView(TenantAPIView):
    required_permission = "results.view"

    @extend_schema(
        responses=CommissionRowSerializer(many=True),
        summary="Ce que la commission d'évaluation pèse, par capacité : évaluations, avis, entretien",
    )
    def get(self, request, org_slug, dossier_id):
        dossier = visible_dossier(self.membership, dossier_id)
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

        dossier = visible_dossier(self.membership, dossier_id)
        v = validated(AbsenceInputSerializer, request)
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


class DossierParcoursView(TenantAPIView):
    """Seed 004: rattrapage or redoublement (read), exemption of the épreuve professionnelle,
    portefeuille de preuves per bloc, période en entreprise not done — each with its justification
    and pièce."""

    required_permission = {"GET": "results.view", "POST": "results.record"}
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _answer(self, dossier, code=status.HTTP_200_OK):
        from evaluations.dispositions import parcours_of

        return Response(ParcoursSerializer(parcours_of(dossier)).data, status=code)

    @extend_schema(responses={200: ParcoursSerializer}, summary="Parcours du candidat (seed 004)")
    def get(self, request, org_slug, dossier_id):
        return self._answer(visible_dossier(self.membership, dossier_id))

    @extend_schema(
        request=ParcoursInputSerializer,
        responses={200: ParcoursSerializer},
        summary="Exemption, portefeuille de preuves ou période en entreprise non effectuée",
    )
    def post(self, request, org_slug, dossier_id):
        from candidates.models import Piece
        from evaluations import dispositions
        from evaluations.absences import PERIODE_VALUE, absence_record, periode_absence_clear
        from referentiels.public_ids import bloc_codes

        dossier = visible_dossier(self.membership, dossier_id)
        data = ParcoursInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        piece = None
        if v["piece"]:
            piece = Piece.objects.filter(dossier=dossier, public_id=v["piece"]).first()
            if piece is None:
                raise ApplicationError("Pièce introuvable dans ce dossier.", field="piece")
        bloc = (bloc_codes(dossier.referentiel_id, [v["bloc"]]) or [""])[0] if v["bloc"] else ""
        if v["objet"] == "exemption" and v["retirer"]:
            dispositions.exemption_remove(dossier=dossier, by=self.membership)
        elif v["objet"] == "exemption":
            dispositions.exemption_record(
                dossier=dossier,
                by=self.membership,
                positionnement_le=v["positionnement_le"],
                justification=v["justification"],
                piece=piece,
                uploaded_file=v["fichier"],
            )
        elif v["objet"] == "portefeuille" and v["retirer"]:
            dispositions.portefeuille_remove(dossier=dossier, by=self.membership, bloc=bloc)
        elif v["objet"] == "portefeuille":
            dispositions.portefeuille_record(
                dossier=dossier,
                by=self.membership,
                bloc=bloc,
                fin_parcours=v["fin_parcours"],
                presentation_le=v["presentation_le"],
                justification=v["justification"],
                evaluateur=v["evaluateur"],
                piece=piece,
                uploaded_file=v["fichier"],
            )
        else:
            if not has_capability(self.membership.role, "attendance.record"):
                from rest_framework.exceptions import PermissionDenied

                raise PermissionDenied("Seule l'équipe qui suit l'assiduité enregistre cette absence.")
            if v["retirer"]:
                periode_absence_clear(dossier=dossier, by=self.membership)
            else:
                absence_record(
                    dossier=dossier,
                    by=self.membership,
                    partie=PERIODE_VALUE,
                    motif=v["motif"],
                    justification=v["justification"],
                    piece=piece,
                    uploaded_file=v["fichier"],
                )
        dossier.refresh_from_db()
        return self._answer(dossier)


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

        dossier = visible_dossier(self.membership, dossier_id)
        data = validated(FraudeDecisionSerializer, request)
        fraud_decide(dossier=dossier, by=self.membership, **data)
        return Response(IncidentSerializer(selectors.fraud_incidents(dossier), many=True).data)


class DossierEntretienView(TenantAPIView):
    required_permission = "results.validate"

    @extend_schema(
        request=EntretienInputSerializer,
        responses={201: EntretienSerializer},
        summary="Entretien avec le candidat : date, participants, conclusion par capacité (compétence)",
    )
    def post(self, request: Request, org_slug: str, dossier_id: uuid.UUID) -> Response:
        dossier = visible_dossier(self.membership, dossier_id)
        data = validated(EntretienInputSerializer, request)
        conclusions: dict[str, tuple[str, str]] = {}
        for row in data["conclusions"]:
            if row["capacite"] in conclusions:
                raise ApplicationError(f"« {row['capacite']} » figure deux fois.", field="conclusions")
            conclusions[row["capacite"]] = (row["conclusion"], row["commentaire"])
        entretien = entretien_record(
            dossier=dossier,
            by=self.membership,
            date=data["date"],
            participants=data["participants"],
            conclusions=conclusions,
        )
        return Response(EntretienSerializer(entretien).data, status=status.HTTP_201_CREATED)


class ResultatHistoryView(ListView):
    required_permission = "results.view"
    serializer_class = ResultatChangeSerializer

    def get_queryset(self):
        resultat = _visible_resultat(self.membership, self.kwargs["resultat_id"])
        return resultat.changes.select_related("by").order_by("at", "pk")
