"""API shapes of evaluations. Input serializers parse; output serializers render. No rule lives here."""

import json
import re
import uuid

from rest_framework import serializers

from core.schema import EmailOrBlankField, KnownFieldsSerializer, LocalTimeField
from evaluations.durees import duree_candidat
from evaluations.models import (
    MARK_FIELDS,
    AvisCapacite,
    AvisEntreprise,
    Convocation,
    CorrectionResolution,
    Epreuve,
    Incident,
    InscriptionEpreuve,
    Resultat,
    ResultatChange,
    SessionExamen,
)
from referentiels.models import Capacite
from referentiels.public_ids import CritereIdsListSerializer, PartIdField, critere_ids, ids_of_codes


class SessionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    referentiel = serializers.CharField(source="referentiel.code", read_only=True)
    referentiel_id = serializers.UUIDField(source="referentiel.public_id", read_only=True)

    class Meta:
        model = SessionExamen
        fields = ["id", "intitule", "referentiel", "referentiel_id", "lieu", "created_at"]
        read_only_fields = fields


class SessionCreateSerializer(serializers.Serializer):
    intitule = serializers.CharField(max_length=200)
    referentiel = serializers.CharField(
        required=False,
        max_length=60,
        help_text="id du référentiel (cette version) ou son code (la version publiée la plus récente)",
    )
    referentiel_id = serializers.UUIDField(
        required=False, help_text="ancien nom de « referentiel » (id seulement), toujours accepté"
    )
    lieu = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        legacy = attrs.pop("referentiel_id", None)
        if not attrs.get("referentiel"):
            if legacy is None:
                raise serializers.ValidationError({"referentiel": ["Ce champ est obligatoire."]})
            attrs["referentiel"] = str(legacy)
        return attrs


class SessionUpdateSerializer(KnownFieldsSerializer):
    intitule = serializers.CharField(max_length=200, required=False)
    lieu = serializers.CharField(max_length=200, required=False, allow_blank=True)


class EpreuveSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    session = serializers.UUIDField(source="session.public_id", read_only=True)
    bloc = serializers.CharField(source="bloc.code", read_only=True, allow_null=True, default=None)
    bloc_id = serializers.UUIDField(
        source="bloc.public_id", read_only=True, allow_null=True, default=None, help_text="id du bloc"
    )
    capacite_ids = serializers.SerializerMethodField(
        help_text="ids des capacités (dans l'ordre de « capacites »)"
    )
    modalite = serializers.CharField(source="modalite.type", read_only=True, allow_null=True, default=None)
    modalite_id = serializers.UUIDField(
        source="modalite.public_id",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="id de la modalité",
    )
    heure_debut = LocalTimeField(read_only=True)
    duree_tiers_temps_minutes = serializers.SerializerMethodField()
    evaluateurs = serializers.SerializerMethodField()

    class Meta:
        model = Epreuve
        fields = [
            "id",
            "session",
            "intitule",
            "date",
            "heure_debut",
            "duree_minutes",
            "duree_tiers_temps_minutes",
            "lieu",
            "salle",
            "surveillants",
            "modalite",
            "modalite_id",
            "bloc",
            "bloc_id",
            "capacites",
            "capacite_ids",
            "composante",
            "double_correction",
            "documents_a_apporter",
            "evaluateurs",
        ]
        read_only_fields = fields

    def get_capacite_ids(self, obj) -> list[uuid.UUID]:
        return ids_of_codes(self, Capacite, obj.session.referentiel_id, obj.capacites)

    def get_duree_tiers_temps_minutes(self, obj) -> int:
        return duree_candidat(obj.duree_minutes, tiers_temps=True)

    def get_evaluateurs(self, obj) -> list[str]:
        return [e.user.email for e in obj.evaluateurs.all()]


class EpreuveCreateSerializer(serializers.Serializer):
    intitule = serializers.CharField(max_length=200)
    date = serializers.DateField()
    heure_debut = LocalTimeField()
    duree_minutes = serializers.IntegerField(min_value=1, max_value=1440)
    lieu = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    salle = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    surveillants = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    bloc = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="code ou id du bloc (grille de points)"
    )
    capacites = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="codes ou ids des capacités"
    )
    composante = serializers.CharField(required=False, allow_blank=True, default="")
    modalite_id = PartIdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="id d'une modalité du référentiel de la session ; si elle exige la double correction, "
        "l'épreuve est en double correction",
    )
    double_correction = serializers.BooleanField(
        required=False,
        default=False,
        help_text="demander la double correction ; celle qu'exige la modalité s'applique de toute façon",
    )
    evaluateurs = serializers.ListField(
        child=serializers.EmailField(), required=False, default=list, help_text="e-mails des évaluateurs"
    )


class EpreuveUpdateSerializer(KnownFieldsSerializer):
    """Every field optional (PATCH). What the épreuve covers (bloc, capacités, composante) is fixed:
    sending it is refused (400 naming the field), as is any other undeclared field."""

    fixed_fields = {
        name: (
            "Champ non modifiable : ce que couvre l'épreuve (bloc, capacités, composante) est fixé ; "
            "supprimez l'épreuve et recréez-la."
        )
        for name in ("bloc", "capacites", "composante")
    } | {"session": "Champ non modifiable : une épreuve ne change pas de session."}

    intitule = serializers.CharField(max_length=200, required=False)
    date = serializers.DateField(required=False)
    heure_debut = LocalTimeField(required=False)
    duree_minutes = serializers.IntegerField(min_value=1, max_value=1440, required=False)
    lieu = serializers.CharField(max_length=200, required=False)
    salle = serializers.CharField(max_length=100, required=False, allow_blank=True)
    surveillants = serializers.CharField(max_length=300, required=False, allow_blank=True)
    documents_a_apporter = serializers.CharField(required=False, allow_blank=True)
    modalite_id = PartIdField(
        required=False,
        allow_null=True,
        help_text="id d'une modalité du référentiel de la session, ou null pour aucune",
    )
    double_correction = serializers.BooleanField(
        required=False,
        help_text="ne peut pas être retirée si la modalité l'exige, ni changer après des notes",
    )
    evaluateurs = serializers.ListField(
        child=serializers.EmailField(),
        required=False,
        help_text="e-mails des évaluateurs (remplace la liste)",
    )


class ResolutionInputSerializer(serializers.Serializer):
    dossier = serializers.UUIDField()
    cible = serializers.CharField(max_length=60, help_text="code de la capacité, du bloc ou de la composante")
    valeur = serializers.CharField(max_length=20, help_text="acquis / non_acquis / absent, ou des points")
    motif = serializers.CharField()


class CorrectionResolutionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    epreuve = serializers.UUIDField(source="epreuve.public_id", read_only=True)
    dossier = serializers.UUIDField(source="dossier.public_id", read_only=True)
    by = serializers.EmailField(source="by.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = CorrectionResolution
        fields = ["id", "epreuve", "dossier", "cible", "valeur", "motif", "by", "at"]
        read_only_fields = fields


class InscriptionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    dossier = serializers.UUIDField(source="dossier.public_id", read_only=True)
    candidate_name = serializers.CharField(source="dossier.candidate.nom_complet", read_only=True)
    tiers_temps = serializers.BooleanField(source="dossier.amenagement_tiers_temps", read_only=True)
    duree_minutes = serializers.SerializerMethodField()

    class Meta:
        model = InscriptionEpreuve
        fields = [
            "id",
            "dossier",
            "candidate_name",
            "tiers_temps",
            "duree_minutes",
            "presence",
            "motif_absence",
            "justification",
            "rattrapage_avant",
        ]
        read_only_fields = fields

    def get_duree_minutes(self, obj) -> int:
        return duree_candidat(obj.epreuve.duree_minutes, tiers_temps=obj.dossier.amenagement_tiers_temps)

    def to_representation(self, obj):
        """Least privilege: an absence's motif and justification (often medical) only to the
        centre's administrators and gestionnaires (the list itself only holds the candidates the
        member may see: ``selectors.epreuve_inscriptions``)."""
        from candidates.selectors import may_see_health_data

        data = super().to_representation(obj)
        request = self.context.get("request")
        membership = getattr(request, "membership", None) if request is not None else None
        if request is not None and not may_see_health_data(membership):
            data["motif_absence"] = ""
            data["justification"] = ""
        return data


class DossiersInputSerializer(serializers.Serializer):
    dossiers = serializers.ListField(child=serializers.UUIDField(), min_length=1)


class ConvocationsInputSerializer(serializers.Serializer):
    force = serializers.BooleanField(required=False, default=False)
    motif_forcage = serializers.CharField(required=False, allow_blank=True, default="")
    renvoi = serializers.BooleanField(required=False, default=False)
    motif_renvoi = serializers.CharField(required=False, allow_blank=True, default="")
    dossiers = serializers.ListField(
        child=serializers.UUIDField(), required=False, help_text="par défaut : tous les candidats"
    )


class ConvocationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    inscription = serializers.UUIDField(source="inscription.public_id", read_only=True)
    email = EmailOrBlankField(read_only=True)  # blank until sent

    class Meta:
        model = Convocation
        fields = [
            "id",
            "inscription",
            "numero_envoi",
            "status",
            "forcee",
            "motif_forcage",
            "motif_renvoi",
            "email",
            "created_at",
            "sent_at",
            "error",
        ]
        read_only_fields = fields


class PresenceInputSerializer(serializers.Serializer):
    presence = serializers.ChoiceField(choices=InscriptionEpreuve.Presence.values[1:])
    motif = serializers.ChoiceField(choices=InscriptionEpreuve.Motif.values, required=False, default="")
    justification = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    decision = serializers.CharField(
        read_only=True,
        help_text="décision du jury : vide (en attente), fraude, falsification ou non_retenue",
    )

    class Meta:
        model = Incident
        fields = ["id", "kind", "pv", "contreseing", "recorded_at", "decision", "decision_motif", "decide_le"]
        read_only_fields = ["id", "recorded_at", "decision", "decision_motif", "decide_le"]


class MarkInputSerializer(serializers.Serializer):
    dossier = serializers.UUIDField()
    cible = serializers.CharField(help_text="code de la capacité, du bloc ou de la composante")
    valeur = serializers.CharField(help_text="acquis / non_acquis / absent, ou des points")


class ResultatChangeSerializer(serializers.ModelSerializer):
    by = serializers.EmailField(source="by.email", allow_null=True, read_only=True, default=None)

    class Meta:
        model = ResultatChange
        fields = ["at", "by", "field", "old", "new", "reason"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.field == "criteres_observes":  # kept as internal keys: shown as their ids
            for side in ("old", "new"):
                if data[side]:
                    data[side] = json.dumps(critere_ids(self, re.findall(r"\d+", data[side])))
        return data


class ResultatSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    dossier = serializers.UUIDField(source="dossier.public_id", read_only=True)
    capacite = serializers.CharField(source="capacite.code", read_only=True, allow_null=True, default=None)
    capacite_id = serializers.UUIDField(
        source="capacite.public_id",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="id de la capacité",
    )
    bloc = serializers.CharField(source="bloc.code", read_only=True, allow_null=True, default=None)
    bloc_id = serializers.UUIDField(
        source="bloc.public_id", read_only=True, allow_null=True, default=None, help_text="id du bloc"
    )
    evaluateur = serializers.EmailField(
        source="evaluateur.email", read_only=True, allow_null=True, default=None
    )
    criteres_observes = serializers.SerializerMethodField(help_text="ids des critères observés")
    valide_par = serializers.EmailField(
        source="valide_par.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Resultat
        fields = [
            "id",
            "dossier",
            "kind",
            "capacite",
            "capacite_id",
            "bloc",
            "bloc_id",
            "composante",
            *MARK_FIELDS,
            "criteres_observes",
            "commentaire",
            "evaluateur",
            "valide",
            "valide_par",
            "valide_le",
            "motivation_commission",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = CritereIdsListSerializer

    @staticmethod
    def critere_keys(obj) -> list:
        return list(obj.criteres_observes or [])

    def get_criteres_observes(self, obj) -> list[uuid.UUID]:
        return [uuid.UUID(i) for i in critere_ids(self, obj.criteres_observes)]


class CommissionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[("acquis", "Acquis"), ("non_acquis", "Non acquis"), ("absent", "Absent")],
        help_text="« absent » seulement pour confirmer l'absence saisie à l'évaluation",
    )
    motivation = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="obligatoire quand la décision s'écarte des évaluations, de l'avis de l'entreprise ou de l'entretien",
    )
    membres = serializers.CharField(
        required=False,
        allow_blank=True,
        default=None,
        allow_null=True,
        help_text="membres de la commission d'évaluation qui statuent (noms et qualités, un par ligne)",
    )


class CommissionAvisSerializer(serializers.Serializer):
    avis = serializers.CharField(help_text="favorable, reserve ou defavorable")
    commentaire = serializers.CharField(allow_blank=True)


class CommissionEntretienSerializer(serializers.Serializer):
    epreuve = serializers.UUIDField(source="epreuve.public_id", allow_null=True, default=None)
    intitule = serializers.CharField(source="epreuve.intitule", allow_null=True, default=None)
    date = serializers.DateField(source="epreuve.date", allow_null=True, default=None)
    presence = serializers.CharField(default="", allow_blank=True)
    valeur = serializers.CharField(
        default="", allow_blank=True, help_text="acquis, non_acquis, absent ou vide (non noté)"
    )
    modalite_prevue = serializers.CharField(
        source="planifie.type",
        allow_null=True,
        default=None,
        help_text="modalité entretien prévue au dossier, sans épreuve planifiée",
    )


class CommissionRowSerializer(serializers.Serializer):
    capacite = serializers.CharField(source="capacite.code")
    capacite_id = serializers.UUIDField(source="capacite.public_id", help_text="id de la capacité")
    intitule = serializers.CharField(source="capacite.intitule")
    resultat = ResultatSerializer(
        allow_null=True, help_text="les évaluations et, une fois validée, la décision"
    )
    avis = CommissionAvisSerializer(allow_null=True, help_text="avis transmis par le tuteur, sinon null")
    entretien = CommissionEntretienSerializer(many=True)


class ResultatInputSerializer(serializers.Serializer):
    capacite = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="code ou id de la capacité"
    )
    bloc = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="code ou id du bloc (grille de points)"
    )
    composante = serializers.CharField(required=False, allow_blank=True, default="")
    etat = serializers.CharField(required=False, allow_blank=True, default="")
    controle_continu = serializers.CharField(required=False, allow_null=True, default=None)
    epreuves = serializers.CharField(required=False, allow_null=True, default=None)
    points = serializers.CharField(required=False, allow_null=True, default=None)
    absence_non_justifiee = serializers.BooleanField(required=False, default=False)
    commentaire = serializers.CharField(required=False, allow_blank=True, default="")
    criteres_observes = serializers.ListField(
        child=PartIdField(),
        required=False,
        allow_null=True,
        default=None,
        help_text="ids des critères observés (ceux de la capacité, lus dans le référentiel)",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    valider = serializers.BooleanField(required=False, default=False)


class BulkRowSerializer(ResultatInputSerializer):
    dossier = serializers.UUIDField()


class BulkInputSerializer(serializers.Serializer):
    resultats = BulkRowSerializer(many=True, allow_empty=False)


class AvisCapaciteSerializer(serializers.ModelSerializer):
    capacite = serializers.CharField(source="capacite.code", read_only=True)
    capacite_id = serializers.UUIDField(
        source="capacite.public_id", read_only=True, help_text="id de la capacité"
    )
    criteres = serializers.SerializerMethodField(help_text="id du critère → avis")
    # blank until the tuteur gives it
    avis = serializers.ChoiceField(choices=AvisCapacite.Avis.choices, allow_blank=True, read_only=True)

    class Meta:
        model = AvisCapacite
        fields = ["capacite", "capacite_id", "avis", "commentaire", "criteres"]
        read_only_fields = fields
        list_serializer_class = CritereIdsListSerializer

    @staticmethod
    def critere_keys(obj) -> list:
        return list((obj.criteres or {}).keys())

    def get_criteres(self, obj) -> dict[str, str]:
        out = {}
        for key, value in (obj.criteres or {}).items():
            for critere_id in critere_ids(self, [key]):
                out[critere_id] = value
        return out


class AvisSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    dossier = serializers.UUIDField(source="dossier.public_id", read_only=True)
    candidate_name = serializers.CharField(source="dossier.candidate.nom_complet", read_only=True)
    tuteur = serializers.EmailField(source="tuteur.email", read_only=True)
    capacites = AvisCapaciteSerializer(many=True, read_only=True)

    class Meta:
        model = AvisEntreprise
        fields = [
            "id",
            "dossier",
            "candidate_name",
            "tuteur",
            "date_limite",
            "demande_le",
            "relances",
            "prolongations",
            "commentaire",
            "soumis_le",
            "capacites",
        ]
        read_only_fields = fields


class AvisRequestSerializer(serializers.Serializer):
    dossier = serializers.UUIDField()
    date_limite = serializers.DateField()


class AvisExtendSerializer(KnownFieldsSerializer):
    date_limite = serializers.DateField(
        help_text="nouvelle date limite : dans le futur, pas avant l'actuelle (AAAA-MM-JJ)"
    )


class AvisCapaciteInputSerializer(serializers.Serializer):
    capacite_id = PartIdField(help_text="id de la capacité")
    avis = serializers.CharField(required=False, allow_blank=True, default="")
    commentaire = serializers.CharField(required=False, allow_blank=True, default="")
    criteres = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )


class AvisSaveSerializer(serializers.Serializer):
    capacites = AvisCapaciteInputSerializer(many=True, required=False, default=list)
    commentaire = serializers.CharField(required=False, allow_blank=True, default="")
    soumettre = serializers.BooleanField(required=False, default=False)


class ReadinessRowSerializer(serializers.Serializer):
    dossier = serializers.UUIDField(source="dossier.public_id")
    candidate_name = serializers.CharField(source="candidate.nom_complet")
    status = serializers.CharField(source="dossier.status")
    ready = serializers.BooleanField()
    fraude = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class EntretienConclusionInputSerializer(serializers.Serializer):
    capacite = serializers.CharField(help_text="code de la capacité (compétence) visée par le dossier")
    conclusion = serializers.ChoiceField(choices=[("acquis", "Acquis"), ("non_acquis", "Non acquis")])
    commentaire = serializers.CharField(required=False, allow_blank=True, default="")


class EntretienInputSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="date de l'entretien (ISO 8601), jamais à venir")
    participants = serializers.CharField(help_text="noms et qualités, un par ligne")
    conclusions = EntretienConclusionInputSerializer(many=True)


class EntretienSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    date = serializers.DateField(read_only=True)
    participants = serializers.CharField(read_only=True)


class AbsenceInputSerializer(serializers.Serializer):
    """An absence on one part: ``bloc`` + ``partie`` (``epreuves`` or ``controle_continu``), or
    ``composante``; ``motif`` empty = non justifiée, else a motif recevable with its pièce
    (``justificatif`` file, multipart, or ``piece``: the id of a pièce already in the dossier)."""

    bloc = serializers.CharField(required=False, allow_blank=True, default="")
    partie = serializers.ChoiceField(
        choices=[("epreuves", "Épreuve de validation"), ("controle_continu", "Contrôle continu")],
        required=False,
        allow_blank=True,
        default="",
    )
    composante = serializers.CharField(required=False, allow_blank=True, default="")
    motif = serializers.ChoiceField(
        choices=[("", "Absence non justifiée"), *InscriptionEpreuve.Motif.choices[1:]],
        required=False,
        allow_blank=True,
        default="",
    )
    justification = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    piece = serializers.UUIDField(required=False, allow_null=True, default=None)
    justificatif = serializers.FileField(required=False, allow_null=True, default=None)


class FraudeDecisionSerializer(serializers.Serializer):
    """The jury's decision on a PV d'incident for fraud (seed 004)."""

    nature = serializers.CharField(
        max_length=20, help_text="fraude (avérée), falsification (des résultats) ou non_retenue"
    )
    motif = serializers.CharField(max_length=2000)


class PortefeuilleSerializer(serializers.Serializer):
    """A bloc whose épreuves are replaced by a portefeuille de preuves (seed 004, salariés)."""

    bloc = serializers.CharField(source="bloc.code", help_text="code du bloc")
    bloc_id = serializers.UUIDField(source="bloc.public_id")
    fin_parcours = serializers.DateField(source="portefeuille_fin_parcours")
    presentation_le = serializers.DateField(source="portefeuille_presentation_le")
    justification = serializers.CharField(source="portefeuille_justification")
    evaluateur = serializers.CharField(source="portefeuille_evaluateur")
    piece = serializers.UUIDField(source="portefeuille_piece.public_id", allow_null=True, default=None)


class ParcoursSerializer(serializers.Serializer):
    """What seed 004 lets a candidate do instead of an evaluation, and the période en entreprise."""

    applicable = serializers.BooleanField(
        help_text="faux quand la règle d'obtention n'est pas une grille de points (rien à enregistrer)"
    )

    reprise = serializers.CharField(
        source="dossier.reprise", help_text="rattrapage, redoublement, ou vide (première présentation)"
    )
    reprise_courrier_le = serializers.DateField(source="dossier.reprise_courrier_le", allow_null=True)
    exemption_epreuve_professionnelle = serializers.BooleanField(source="dossier.exemption_epreuve_pro")
    exemption_positionnement_le = serializers.DateField(
        source="dossier.exemption_positionnement_le", allow_null=True
    )
    exemption_justification = serializers.CharField(source="dossier.exemption_justification")
    exemption_piece = serializers.UUIDField(
        source="dossier.exemption_piece.public_id", allow_null=True, default=None
    )
    portefeuilles = PortefeuilleSerializer(many=True)
    periode_entreprise_absente = serializers.BooleanField(
        source="periode_absente", help_text="période en entreprise non effectuée, sans motif recevable"
    )
    periode_entreprise_motif = serializers.CharField(
        source="periode_motif", help_text="motif recevable quand l'absence est justifiée"
    )


class ParcoursInputSerializer(serializers.Serializer):
    """One change of the parcours: ``objet`` ``exemption`` (positionnement_le, justification,
    pièce), ``portefeuille`` (bloc, fin_parcours, presentation_le, justification, evaluateur,
    pièce) or ``periode_entreprise`` (motif, pièce for a justified absence); ``retirer`` undoes it.
    The pièce is ``fichier`` (multipart) or ``piece``, the id of a pièce already in the dossier."""

    objet = serializers.ChoiceField(
        choices=[
            ("exemption", "Exemption d'épreuve professionnelle"),
            ("portefeuille", "Portefeuille de preuves"),
            ("periode_entreprise", "Période en entreprise non effectuée"),
        ]
    )
    retirer = serializers.BooleanField(required=False, default=False)
    positionnement_le = serializers.DateField(required=False, allow_null=True, default=None)
    bloc = serializers.CharField(required=False, allow_blank=True, default="", help_text="code ou id du bloc")
    fin_parcours = serializers.DateField(required=False, allow_null=True, default=None)
    presentation_le = serializers.DateField(required=False, allow_null=True, default=None)
    evaluateur = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    justification = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    motif = serializers.ChoiceField(
        choices=[("", "Absence non justifiée"), *InscriptionEpreuve.Motif.choices[1:]],
        required=False,
        allow_blank=True,
        default="",
    )
    piece = serializers.UUIDField(required=False, allow_null=True, default=None)
    fichier = serializers.FileField(required=False, allow_null=True, default=None)
