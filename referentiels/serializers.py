from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referentiels.models import Bloc, Capacite, Critere, Habilitation, Modalite, Referentiel, RncpImportJob


class ReferentielSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    certificateur = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Referentiel
        fields = [
            "id",
            "code",
            "version",
            "kind",
            "intitule",
            "status",
            "certificateur",
            "certificateur_nom",
            "niveau_national",
            "niveau_europeen",
            "date_enregistrement",
            "date_fin_enregistrement",
            "published_at",
        ]


class ModaliteSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Modalite
        fields = ["id", "type", "intitule", "forme", "duree_minutes", "points", "double_correction"]
        read_only_fields = fields


class CritereSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Critere
        fields = ["id", "texte", "groupe"]
        read_only_fields = fields


class CapaciteSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    criteres = CritereSerializer(many=True, read_only=True)
    modalites = ModaliteSerializer(many=True, read_only=True)

    class Meta:
        model = Capacite
        fields = ["id", "code", "intitule", "criteres", "modalites"]
        read_only_fields = fields


class BlocSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    capacites = CapaciteSerializer(many=True, read_only=True)
    modalites = ModaliteSerializer(
        many=True, read_only=True, help_text="Modalités déclarées pour le bloc entier."
    )

    class Meta:
        model = Bloc
        fields = ["id", "code", "intitule", "implicite", "capacites", "modalites"]
        read_only_fields = fields


class ReferentielDetailSerializer(ReferentielSerializer):
    document = serializers.SerializerMethodField(
        help_text="Le référentiel complet au format certif-referentiel/1."
    )
    blocs = serializers.SerializerMethodField(
        help_text="Blocs, capacités, critères et modalités avec leurs id (UUID) : celui d'une modalité "
        "est ce que le plan d'un dossier (PUT …/dossiers/{id}/plan/) et une épreuve (modalite_id) "
        "attendent, celui d'un critère ce qu'attendent criteres_observes et l'avis de l'entreprise."
    )

    class Meta(ReferentielSerializer.Meta):
        fields = ReferentielSerializer.Meta.fields + ["blocs", "document"]

    @extend_schema_field(BlocSerializer(many=True))
    def get_blocs(self, obj) -> list:
        blocs = Bloc.objects.filter(referentiel=obj).prefetch_related(
            "modalites", "capacites__criteres", "capacites__modalites"
        )
        return BlocSerializer(blocs, many=True).data

    def get_document(self, obj) -> dict:
        from referentiels.services import referentiel_export

        return referentiel_export(referentiel=obj)


class ImportSerializer(serializers.Serializer):
    fichier = serializers.FileField(help_text="JSON/YAML certif-referentiel/1 ou export RNCP XML.")
    dry_run = serializers.BooleanField(default=False)
    remplacer = serializers.BooleanField(default=False)
    fiches = serializers.ListField(
        child=serializers.RegexField(r"^(RNCP|RS)\d+$"), required=False, default=list
    )


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    referentiels = serializers.ListField(child=serializers.DictField())
    total = serializers.IntegerField()
    habilitations = serializers.IntegerField()
    total_ignorees = serializers.IntegerField(
        help_text="Fiches RNCP que l'organisation ne certifie pas : non importées."
    )
    ignorees = serializers.ListField(
        child=serializers.DictField(), help_text="Les fiches ignorées (500 au plus) : code, intitule, raison."
    )


class HabilitationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    centre = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    certificateur = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Habilitation
        fields = ["id", "centre", "certificateur", "referentiel_code", "date_debut", "date_fin", "note"]


class HabilitationCreateSerializer(serializers.Serializer):
    centre = serializers.SlugField()
    referentiel_code = serializers.CharField(max_length=60)
    date_debut = serializers.DateField()
    date_fin = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class HabilitationEndSerializer(serializers.Serializer):
    date_fin = serializers.DateField(help_text="Dernier jour de l'habilitation (pas avant son début).")


class RegleSerializer(serializers.Serializer):
    regle = serializers.JSONField(
        help_text="La règle d'obtention typée (toutes_capacites, tous_blocs ou grille_points)."
    )
    description = serializers.SerializerMethodField(help_text="La règle en français.")

    def get_description(self, obj) -> list[str]:
        from referentiels.describe import regle_describe

        return regle_describe(obj.regle, {b.code: f"Bloc {b.code} — {b.intitule}" for b in obj.blocs.all()})


class CompositionJurySerializer(serializers.Serializer):
    composition_jury = serializers.JSONField(
        help_text="Les règles propres à cette version (clés de referentiels/jury_composition.py), "
        "chacune sur la règle par défaut de la famille ; {} : la règle par défaut."
    )
    appliquee = serializers.SerializerMethodField(
        help_text="La composition qui s'applique : les règles propres sur la règle par défaut."
    )

    def get_appliquee(self, obj) -> dict:
        from referentiels.jury_composition import composition_of

        return composition_of(obj).as_data()


class RncpImportJobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    fichier = serializers.CharField(source="original_name", read_only=True)
    progress = serializers.SerializerMethodField(
        help_text="Avancement de l'étape en cours (percent 0-100, fiches traitées)."
    )
    errors = serializers.ListField(child=serializers.CharField(), read_only=True)
    preview = serializers.JSONField(
        read_only=True, help_text="Aperçu après vérification : fiches (500 au plus) et fiches ignorées."
    )

    class Meta:
        model = RncpImportJob
        fields = [
            "id",
            "status",
            "status_display",
            "fichier",
            "size",
            "numeros",
            "progress",
            "total",
            "imported",
            "skipped_total",
            "habilitations",
            "errors",
            "preview",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, obj) -> dict[str, int]:
        from referentiels.import_jobs import rncp_import_job_progress

        return rncp_import_job_progress(obj)


class NsfSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=5, help_text="Code NSF : trois chiffres, éventuellement une lettre (324, 315p)."
    )
    libelle = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EnregistrementSerializer(serializers.Serializer):
    """A certification's registration in the RNCP or the RS (printed on its parchemins)."""

    numero = serializers.CharField(max_length=20, help_text="RNCP36390, RS5000…")
    repertoire = serializers.CharField(read_only=True)
    type_enregistrement = serializers.ChoiceField(choices=["sur_demande", "de_droit"], default="sur_demande")
    date_decision = serializers.DateField(required=False, allow_null=True, default=None)
    duree_ans = serializers.IntegerField(required=False, allow_null=True, default=None)
    reference_jo = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    date_fin = serializers.DateField(required=False, allow_null=True, default=None)
    niveau = serializers.IntegerField(required=False, allow_null=True, default=None)
    codes_nsf = NsfSerializer(many=True, required=False, default=list)
    mention = serializers.CharField(
        source="phrase", read_only=True, help_text="La phrase imprimée sur le parchemin."
    )
    source = serializers.CharField(read_only=True)
    enregistree = serializers.SerializerMethodField(help_text="Vrai : la certification est enregistrée.")

    def get_enregistree(self, obj) -> bool:
        return True


class EnregistrementReadSerializer(EnregistrementSerializer):
    """The registration as GET reads it: « enregistree » alone (faux) when the certification is not
    registered, every field otherwise; only « enregistree » is required in the schema, so that a
    client (and the fuzz test) takes the unregistered answer for what it is."""

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            if name != "enregistree":
                field.read_only, field.required = False, False
        return fields
