"""API shapes. Input serializers parse; output serializers render. No rule lives here."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.drainage import set_override
from rest_framework import serializers

from candidates.models import Candidate, Dossier, DossierTransition, Entreprise, ImportJob, Piece, Tuteur
from candidates.services import CANDIDATE_FIELDS, DOSSIER_FIELDS, ENTREPRISE_FIELDS
from core.schema import BLANK_OR_EMAIL
from referentiels.public_ids import PartIdField


class InlineEnums:
    """Describe choice fields inline in the schema.

    Several apps have fields named ``status`` or ``kind`` with different choices; as shared
    components their names would collide (drf-spectacular W001, which ``check --deploy``
    treats as a failure). Inline enums keep the values documented without a global name.
    (The lasting fix is ``ENUM_NAME_OVERRIDES`` in the settings, shared by every app.)

    Blank values are described too: a read-only field renders whatever the model holds, and DRF
    drops ``allow_blank`` from read-only fields, so a model field with ``blank=True`` (a dossier
    without decision yet, a candidate without e-mail) publishes its empty string as well.
    """

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            if isinstance(field, serializers.ChoiceField):
                blank = self._blank_allowed(name, field)
                values = [v for v in field.choices if v != ""]
                if blank:  # a blank model field holds "" whether or not its choices name it
                    values = ["", *values]
                # Wrapped in allOf: the enum post-processing hook only names top-level enums.
                schema = {"allOf": [{"type": "string", "enum": values}]}
                if field.allow_null:
                    schema["nullable"] = True
                set_override(field, "field", schema)
            elif isinstance(field, serializers.EmailField) and self._blank_allowed(name, field):
                set_override(field, "field", BLANK_OR_EMAIL)
        return fields

    def _blank_allowed(self, name, field) -> bool:
        if getattr(field, "allow_blank", False):
            return True
        model = getattr(getattr(self, "Meta", None), "model", None)
        source = field.source or name
        if not field.read_only or model is None or "." in source:
            return False
        try:
            return model._meta.get_field(source).blank
        except FieldDoesNotExist:
            return False


BIRTH_HELP = "date de naissance ISO 8601 : aaaa-mm-jj, ou aaaa-mm, ou aaaa quand seule l'année est connue"
BIRTH_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def birth_iso(candidate) -> str:
    """The candidate's birth date as ISO 8601 at its precision: 1999-03-12, 1999-03 or 1999."""
    parts = [f"{candidate.naissance_annee:04d}"]
    if candidate.naissance_mois:
        parts.append(f"{candidate.naissance_mois:02d}")
        if candidate.naissance_jour:
            parts.append(f"{candidate.naissance_jour:02d}")
    return "-".join(parts)


class CandidateSerializer(InlineEnums, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    date_naissance = serializers.SerializerMethodField(help_text=BIRTH_HELP)

    class Meta:
        model = Candidate
        fields = ["id", *CANDIDATE_FIELDS, "date_naissance", "created_at", "updated_at", "erased_at"]
        read_only_fields = fields

    def get_date_naissance(self, obj) -> str:
        return birth_iso(obj)


class DossierSummarySerializer(InlineEnums, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    referentiel = serializers.CharField(source="referentiel.code", read_only=True)

    class Meta:
        model = Dossier
        fields = ["id", "referentiel", "status", "decision", "attempt"]
        read_only_fields = fields


class CandidateListSerializer(CandidateSerializer):
    dossiers = DossierSummarySerializer(many=True, read_only=True)

    class Meta(CandidateSerializer.Meta):
        fields = [*CandidateSerializer.Meta.fields, "dossiers"]
        read_only_fields = fields


class CandidateInputSerializer(InlineEnums, serializers.ModelSerializer):
    """The birth date is ``date_naissance`` (ISO 8601, full date or year), as the candidate's
    answer gives it; ``naissance_annee`` / ``_mois`` / ``_jour`` stay accepted (older clients)."""

    date_naissance = serializers.RegexField(
        BIRTH_PATTERN,
        required=False,
        help_text=BIRTH_HELP,
        error_messages={"invalid": "Date de naissance à écrire aaaa-mm-jj, aaaa-mm ou aaaa (ISO 8601)."},
    )

    class Meta:
        model = Candidate
        fields = [*CANDIDATE_FIELDS, "date_naissance"]
        # Checks are the model's (run by the service); keep DRF from duplicating them.
        extra_kwargs = {
            **{f: {"validators": []} for f in CANDIDATE_FIELDS},
            "naissance_annee": {"validators": [], "required": False},
        }

    def validate(self, attrs):
        iso = attrs.pop("date_naissance", None)
        if iso is not None:
            year, month, day = ([int(p) for p in iso.split("-")] + [None, None])[:3]
            parts = {"naissance_annee": year, "naissance_mois": month, "naissance_jour": day}
            clash = [k for k, v in parts.items() if k in attrs and attrs[k] != v]
            if clash:
                raise serializers.ValidationError(
                    {"date_naissance": [f"Contredit {', '.join(clash)} : n'envoyez que « date_naissance »."]}
                )
            attrs.update(parts)
        if self.instance is None and not attrs.get("naissance_annee"):
            raise serializers.ValidationError({"date_naissance": ["La date de naissance est obligatoire."]})
        return attrs


class EntrepriseSerializer(InlineEnums, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Entreprise
        fields = ["id", *ENTREPRISE_FIELDS, "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs: dict[str, dict[str, list]] = {"siret": {"validators": []}}


class TuteurSerializer(InlineEnums, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True, allow_null=True)
    entreprise = serializers.SlugRelatedField(slug_field="public_id", read_only=True, allow_null=True)

    class Meta:
        model = Tuteur
        fields = ["id", "entreprise", "nom", "prenom", "email", "telephone", "fonction", "created_at"]
        read_only_fields = fields


class TuteurInputSerializer(InlineEnums, serializers.Serializer):
    entreprise = serializers.UUIDField(required=False, allow_null=True, help_text="id de l'entreprise")
    nom = serializers.CharField(max_length=60)
    prenom = serializers.CharField(max_length=60)
    email = serializers.EmailField()
    telephone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    fonction = serializers.CharField(max_length=100, required=False, allow_blank=True)


class DossierBlocSerializer(InlineEnums, serializers.Serializer):
    id = serializers.UUIDField(source="bloc.public_id", help_text="id du bloc")
    code = serializers.CharField(source="bloc.code")
    intitule = serializers.CharField(source="bloc.intitule")
    acquis = serializers.BooleanField()
    acquis_anterieur = serializers.BooleanField()
    acquis_le = serializers.DateField(allow_null=True)
    # seed 004: « substituer les épreuves de blocs par un portefeuille de preuves » (salariés);
    # read-only here, recorded through ``~/dossiers/{id}/parcours/``
    portefeuille = serializers.BooleanField(
        help_text="épreuves du bloc remplacées par un portefeuille de preuves"
    )
    portefeuille_fin_parcours = serializers.DateField(allow_null=True)
    portefeuille_presentation_le = serializers.DateField(allow_null=True)
    portefeuille_justification = serializers.CharField(allow_blank=True)
    portefeuille_evaluateur = serializers.CharField(allow_blank=True)
    portefeuille_piece = serializers.UUIDField(
        source="portefeuille_piece.public_id", allow_null=True, default=None, help_text="id de la pièce"
    )


class DossierModaliteSerializer(InlineEnums, serializers.Serializer):
    capacite = serializers.CharField(source="capacite.code")
    capacite_id = serializers.UUIDField(source="capacite.public_id", help_text="id de la capacité")
    modalite_id = serializers.UUIDField(source="modalite.public_id", help_text="id de la modalité choisie")
    modalite = serializers.CharField(source="modalite.type")


class TransitionSerializer(InlineEnums, serializers.ModelSerializer):
    by = serializers.EmailField(source="by.email", allow_null=True, read_only=True, default=None)

    class Meta:
        model = DossierTransition
        fields = ["from_status", "to_status", "by", "at", "reason"]
        read_only_fields = fields


class DossierSerializer(InlineEnums, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    candidate = serializers.UUIDField(source="candidate.public_id", read_only=True)
    candidate_name = serializers.CharField(source="candidate.nom_complet", read_only=True)
    referentiel = serializers.CharField(source="referentiel.code", read_only=True)
    referentiel_id = serializers.UUIDField(source="referentiel.public_id", read_only=True)
    referentiel_version = serializers.IntegerField(source="referentiel.version", read_only=True)
    entreprise = serializers.UUIDField(
        source="entreprise.public_id", read_only=True, allow_null=True, default=None
    )
    tuteur = serializers.UUIDField(source="tuteur.public_id", read_only=True, allow_null=True, default=None)
    previous_attempt = serializers.UUIDField(
        source="previous_attempt.public_id", read_only=True, allow_null=True, default=None
    )
    # seed 004's parcours, read-only here (recorded through ``~/dossiers/{id}/parcours/``)
    exemption_epreuve_professionnelle = serializers.BooleanField(
        source="exemption_epreuve_pro",
        read_only=True,
        help_text="exempté d'épreuve professionnelle (« positionnement effectué en amont »)",
    )
    exemption_piece = serializers.UUIDField(
        source="exemption_piece.public_id",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="id de la pièce du positionnement",
    )

    class Meta:
        model = Dossier
        fields = [
            "id",
            "candidate",
            "candidate_name",
            "referentiel",
            "referentiel_id",
            "referentiel_version",
            "status",
            "decision",
            *DOSSIER_FIELDS,
            "date_deliberation",
            "attempt",
            "previous_attempt",
            "reprise",
            "reprise_courrier_le",
            "exemption_epreuve_professionnelle",
            "exemption_positionnement_le",
            "exemption_justification",
            "exemption_piece",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, obj):
        """The précisions on aménagements are health data: administrators and gestionnaires only."""
        from candidates.selectors import may_see_health_data

        data = super().to_representation(obj)
        request = self.context.get("request")
        if request is not None and not may_see_health_data(getattr(request, "membership", None)):
            data["amenagement_note"] = ""
        return data


class DossierDetailSerializer(DossierSerializer):
    blocs = DossierBlocSerializer(source="blocs_vises", many=True, read_only=True)
    modalites = DossierModaliteSerializer(source="modalites_choisies", many=True, read_only=True)
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta(DossierSerializer.Meta):
        fields = [*DossierSerializer.Meta.fields, "blocs", "modalites", "transitions"]
        read_only_fields = fields


class DossierFieldsSerializer(InlineEnums, serializers.Serializer):
    voie_acces = serializers.ChoiceField(choices=Dossier.VoieAcces.choices)
    statut_professionnel = serializers.ChoiceField(
        choices=Dossier.StatutProfessionnel.choices, required=False, allow_blank=True
    )
    entreprise = serializers.UUIDField(required=False, allow_null=True)
    tuteur = serializers.UUIDField(required=False, allow_null=True)
    amenagement_tiers_temps = serializers.BooleanField(required=False)
    amenagement_pauses = serializers.BooleanField(required=False)
    amenagement_secretaire = serializers.BooleanField(required=False)
    amenagement_interprete = serializers.BooleanField(required=False)
    amenagement_equipement = serializers.BooleanField(required=False)
    amenagement_note = serializers.CharField(required=False, allow_blank=True)
    date_inscription = serializers.DateField(required=False)
    date_remise_rapport = serializers.DateField(required=False, allow_null=True)


class DossierCreateSerializer(DossierFieldsSerializer):
    candidate = serializers.UUIDField(help_text="id du candidat")
    referentiel = serializers.CharField(
        max_length=60,
        help_text="id du référentiel (cette version) ou son code (la version publiée la plus récente)",
    )
    blocs = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="codes ou ids des blocs visés (tous si absent)",
    )
    modalites = serializers.DictField(
        child=PartIdField(),
        required=False,
        help_text="capacité (code ou id) → id de la modalité choisie",
    )


class DossierPlanSerializer(InlineEnums, serializers.Serializer):
    blocs = serializers.ListField(child=serializers.CharField(), help_text="codes ou ids des blocs visés")
    modalites = serializers.DictField(
        child=PartIdField(), required=False, help_text="capacité (code ou id) → id de la modalité choisie"
    )


class TransitionInputSerializer(InlineEnums, serializers.Serializer):
    to = serializers.ChoiceField(choices=Dossier.Status.choices, help_text="état visé")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DeliberationInputSerializer(InlineEnums, serializers.Serializer):
    decision = serializers.ChoiceField(choices=[c for c in Dossier.Decision.choices if c[0]])
    blocs_acquis = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    date = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)


class RattrapageInputSerializer(InlineEnums, serializers.Serializer):
    blocs = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="codes ou ids des blocs à repasser (tous les blocs échoués éligibles si absent)",
    )
    date_inscription = serializers.DateField(required=False)
    reprise = serializers.ChoiceField(
        choices=[c for c in Dossier.Reprise.choices if c[0]],
        required=False,
        help_text="grille de points (seed 004) : rattrapage (par défaut, seules les évaluations de blocs"
        " sont repassées) ou redoublement (modules et évaluations de blocs de l'année)",
    )
    courrier_le = serializers.DateField(
        required=False, help_text="demande du candidat par courrier recommandé reçue le"
    )


class PieceSerializer(InlineEnums, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    dossier = serializers.UUIDField(source="dossier.public_id", read_only=True)
    uploaded_by = serializers.EmailField(
        source="uploaded_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Piece
        fields = [
            "id",
            "dossier",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields


class PieceUploadSerializer(InlineEnums, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Piece.Kind.choices)
    file = serializers.FileField()


class ImportDuplicateSerializer(serializers.Serializer):
    """A row whose candidate already exists in the centre (same name, first name, birth date)."""

    row = serializers.IntegerField(help_text="Numéro de ligne (l'en-tête est la ligne 1)")
    candidat = serializers.CharField()
    naissance = serializers.CharField()
    referentiel = serializers.CharField()
    candidat_existant = serializers.UUIDField(help_text="Identifiant du candidat existant")
    existant = serializers.CharField(help_text="Le candidat existant, en clair")
    fusion_possible = serializers.BooleanField(
        help_text="Faux quand le candidat existant a déjà un dossier en cours pour ce référentiel"
    )
    choix = serializers.ChoiceField(
        choices=[("", "à choisir"), ("fusionner", "fusionner"), ("creer", "creer"), ("ignorer", "ignorer")],
        help_text="Choix retenu pour l'instant (vide : à faire avant de confirmer)",
    )


class ImportJobSerializer(InlineEnums, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    progress = serializers.SerializerMethodField()
    duplicates = ImportDuplicateSerializer(many=True, read_only=True)
    duplicate_choices = serializers.DictField(
        child=serializers.ChoiceField(choices=["fusionner", "creer", "ignorer"]),
        read_only=True,
        help_text="Choix confirmés par ligne de doublon (numéro de ligne → choix)",
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "status",
            "original_name",
            "file_format",
            "merge_duplicates",
            "total_rows",
            "progress",
            "errors",
            "warnings",
            "preview",
            "duplicates",
            "duplicate_choices",
            "result",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, job) -> int:
        from candidates.services import import_job_progress

        return import_job_progress(job)


class ImportConfirmSerializer(serializers.Serializer):
    choix = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text=(
            "Pour chaque ligne de doublon (voir « duplicates ») : numéro de ligne → fusionner "
            "(rattacher au candidat existant), creer (nouveau candidat) ou ignorer. Les lignes "
            "absentes gardent leur choix par défaut ; une ligne sans choix refuse la confirmation."
        ),
    )


class ImportCreateSerializer(InlineEnums, serializers.Serializer):
    file = serializers.FileField(help_text="CSV (séparateur ; ou ,) ou XLSX")
    merge_duplicates = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Choix par défaut « fusionner » pour les doublons (modifiable par ligne à la confirmation)",
    )


class EraseInputSerializer(InlineEnums, serializers.Serializer):
    reason = serializers.CharField(max_length=500)
