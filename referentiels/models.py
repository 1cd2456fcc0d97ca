"""The national catalogue: référentiel versions and their structure.

National data: no tenant key. A référentiel belongs to a certificateur organisation and is
readable by the centres that hold a ``Habilitation`` for its code. A published version is
immutable (service layer + database trigger); a new version is a copy edited as a draft.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.dates import date_fr
from core.storage import private_storage


def public_id_field():
    """The id the API shows and accepts for a bloc, capacité, critère or modalité (the integer
    primary key stays internal)."""
    return models.UUIDField(default=uuid.uuid4, unique=True, editable=False)


class Kind(models.TextChoices):
    CQPM = "CQPM", "CQPM (métallurgie)"
    CQPI = "CQPI", "CQPI (inter-branches)"
    CQP = "CQP", "CQP"
    RNCP = "RNCP", "Titre RNCP"
    RS = "RS", "Répertoire spécifique"


class Referentiel(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        PUBLISHED = "published", "Publié"
        ARCHIVED = "archived", "Archivé"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="referentiels"
    )
    kind = models.CharField("type", max_length=8, choices=Kind.choices)
    code = models.CharField("code", max_length=60, db_index=True)
    version = models.PositiveIntegerField("version", default=1)
    intitule = models.CharField("intitulé", max_length=800)
    certificateur_nom = models.CharField("certificateur (nom légal)", max_length=300)
    certificateur_siret = models.CharField("SIRET du certificateur", max_length=14, blank=True, null=True)  # noqa: DJ001 - null = unknown, as in the exchange format
    niveau_national = models.CharField("niveau national", max_length=20, blank=True)
    niveau_europeen = models.CharField("niveau européen", max_length=10, blank=True)
    codes_nsf = models.JSONField("codes NSF", default=list, blank=True)
    codes_rome = models.JSONField("codes ROME", default=list, blank=True)
    objectif = models.TextField("objectif / description", blank=True)
    date_enregistrement = models.DateField("date d'enregistrement", null=True, blank=True)
    date_fin_enregistrement = models.DateField("date de fin d'enregistrement", null=True, blank=True)
    regle = models.JSONField("règle d'obtention", default=dict)
    # The jury's composition rules (referentiels.jury_composition): keys absent take the family's
    # default, so ``{}`` is « as every référentiel of this family ».
    composition_jury = models.JSONField("composition du jury", default=dict, blank=True)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Facts kept from an RNCP export that the exchange format does not carry (raw texts,
    # certificateurs and partenaires as published by France compétences).
    source = models.JSONField("données source", default=dict, blank=True)
    # The RNCP import's fingerprint of the fiche it wrote this draft from, and the digest of what
    # the draft held then (referentiels.rncp_import): an unchanged fiche is skipped while the
    # draft still holds it. Columns of their own, so that storing them leaves ``source`` as it is.
    import_empreinte = models.CharField(
        "empreinte de la fiche importée", max_length=64, blank=True, default=""
    )
    import_contenu = models.CharField("empreinte du contenu importé", max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="referentiel_unique_code_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="referentiel_version_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in Kind]), name="referentiel_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="referentiel_published_has_date",
            ),
            # Exactly one version of a code is the published one (services.referentiel_publish).
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="published"), name="referentiel_one_published_per_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} — {self.intitule}"

    @property
    def mot_capacite(self) -> str:
        """The seed's word for an evaluated unit: « capacité » in a CQPM (seeds 000–002),
        « compétence » in a CQPI or an RNCP title (seeds 003, 004)."""
        return "capacité" if self.kind == Kind.CQPM else "compétence"

    @property
    def mot_capacites(self) -> str:
        return f"{self.mot_capacite}s"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Bloc(models.Model):
    public_id = public_id_field()
    referentiel = models.ForeignKey(Referentiel, on_delete=models.CASCADE, related_name="blocs")
    code = models.CharField(max_length=60)
    intitule = models.TextField("intitulé")
    implicite = models.BooleanField("bloc implicite", default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["referentiel", "code"], name="bloc_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} — {self.intitule[:60]}"


class Capacite(models.Model):
    public_id = public_id_field()
    referentiel = models.ForeignKey(Referentiel, on_delete=models.CASCADE, related_name="capacites")
    bloc = models.ForeignKey(Bloc, on_delete=models.CASCADE, related_name="capacites")
    code = models.CharField(max_length=60)
    intitule = models.TextField("intitulé")
    conditions = models.TextField("conditions de réalisation", blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["bloc__order", "order"]
        constraints = [models.UniqueConstraint(fields=["referentiel", "code"], name="capacite_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} — {self.intitule[:60]}"


class Critere(models.Model):
    public_id = public_id_field()
    capacite = models.ForeignKey(Capacite, on_delete=models.CASCADE, related_name="criteres")
    texte = models.TextField()
    groupe = models.CharField(max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.texte[:80]


class ModaliteType(models.TextChoices):
    SITUATION_REELLE = "situation_professionnelle_reelle", "Situation professionnelle réelle"
    PROJETS = "presentation_projets", "Présentation de projets (rapport + soutenance)"
    SITUATION_RECONSTITUEE = "situation_reconstituee", "Situation reconstituée"
    AVIS_ENTREPRISE = "avis_entreprise", "Avis de l'entreprise"
    ENTRETIEN = "entretien", "Entretien"
    ETUDE_DE_CAS = "etude_de_cas", "Étude de cas"
    EPREUVE_ORALE = "epreuve_orale", "Épreuve orale"
    PORTEFEUILLE = "portefeuille_preuves", "Portefeuille de preuves"
    CONTROLE_CONTINU = "controle_continu", "Contrôle continu"
    MEMOIRE = "memoire_soutenance", "Mémoire + soutenance"
    OBSERVATION = "observation", "Observation"
    DOCUMENT_ECRIT = "document_ecrit", "Document écrit"


class Modalite(models.Model):
    """An allowed evaluation modality, declared for one bloc or for one capacité."""

    class Forme(models.TextChoices):
        NONE = "", "—"
        ECRIT = "ecrit", "Écrit"
        ORAL = "oral", "Oral"
        PRATIQUE = "pratique", "Pratique"

    public_id = public_id_field()
    referentiel = models.ForeignKey(Referentiel, on_delete=models.CASCADE, related_name="modalites")
    bloc = models.ForeignKey(Bloc, on_delete=models.CASCADE, null=True, blank=True, related_name="modalites")
    capacite = models.ForeignKey(
        Capacite, on_delete=models.CASCADE, null=True, blank=True, related_name="modalites"
    )
    type = models.CharField(max_length=40, choices=ModaliteType.choices)
    intitule = models.TextField(blank=True)
    duree_minutes = models.PositiveIntegerField(null=True, blank=True)
    points = models.PositiveIntegerField(null=True, blank=True)
    forme = models.CharField(max_length=10, choices=Forme.choices, blank=True)
    notes = models.TextField(blank=True)
    double_correction = models.BooleanField(
        "double correction",
        default=False,
        help_text="Le référentiel exige deux évaluateurs : les épreuves de cette modalité sont en double correction.",
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(bloc__isnull=False) & Q(capacite__isnull=True))
                | (Q(bloc__isnull=True) & Q(capacite__isnull=False)),
                name="modalite_bloc_xor_capacite",
            ),
        ]

    def __str__(self) -> str:
        return self.get_type_display()


class Activite(models.Model):
    referentiel = models.ForeignKey(Referentiel, on_delete=models.CASCADE, related_name="activites")
    code = models.CharField(max_length=60)
    intitule = models.TextField()
    capacites = models.ManyToManyField(Capacite, related_name="activites", blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["referentiel", "code"], name="activite_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} — {self.intitule[:60]}"


class Habilitation(models.Model):
    """A centre's right to deliver a certification (every version of a code), with dates."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="habilitations"
    )
    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="habilitations_accordees"
    )
    referentiel_code = models.CharField("code de la certification", max_length=60)
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin", null=True, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["referentiel_code", "centre__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "referentiel_code", "date_debut"], name="habilitation_unique"
            ),
            models.CheckConstraint(
                condition=Q(date_fin__isnull=True) | Q(date_fin__gte=models.F("date_debut")),
                name="habilitation_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} — {self.referentiel_code}"

    def is_valid_on(self, day) -> bool:
        return self.date_debut <= day and (self.date_fin is None or day <= self.date_fin)


class RncpImportJob(models.Model):
    """A France compétences export imported from the page by a Celery worker: checked (dry run,
    a preview) then, once confirmed, written. National data like the référentiels it writes: it
    belongs to the certificateur that uploaded it, with no tenant key. Live progress of a running
    step is in the cache (the step's writes are one transaction); the row keeps each step's outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        VALIDATING = "validating", "Vérification en cours"
        VALIDATED = "validated", "Prêt à importer"
        REJECTED = "rejected", "Refusé (erreurs)"
        IMPORTING = "importing", "Import en cours"
        DONE = "done", "Importé"
        FAILED = "failed", "Échec"
        EXPIRED = "expired", "Expiré (non confirmé à temps)"

    RUNNING = (Status.PENDING, Status.VALIDATING, Status.IMPORTING)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="rncp_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(storage=private_storage, max_length=200, blank=True)
    original_name = models.CharField("fichier", max_length=255)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    numeros = models.JSONField("fiches demandées", default=list, blank=True)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    total = models.PositiveIntegerField("fiches à importer", default=0)
    imported = models.PositiveIntegerField("fiches importées", default=0)
    skipped_total = models.PositiveIntegerField("fiches ignorées", default=0)
    habilitations = models.PositiveIntegerField(default=0)
    preview = models.JSONField("aperçu", default=dict, blank=True)
    errors = models.JSONField("erreurs", default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="rncp_import_progress_percent")
        ]

    def __str__(self) -> str:
        return f"Import {self.original_name} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING


class Enregistrement(models.Model):
    """The registration of a certification in a national répertoire (RNCP or RS), per code.

    A fact about the certification, not about one version of its référentiel: it holds across
    versions and stays editable by the certificateur when a version is published (France
    compétences renews or corrects it). Filled by the RNCP import (``NOMENCLATURE_EUROPE``,
    ``CODES_NSF``, ``DATE_DECISION``, ``DUREE_ENREGISTREMENT``…) or entered by the certificateur.
    A code without a row is not registered (a CQPM, a CQPI): its documents print no
    registration sentence, no niveau and no NSF code. National data like ``Referentiel``.
    """

    class Repertoire(models.TextChoices):
        RNCP = "RNCP", "Répertoire national des certifications professionnelles"
        RS = "RS", "Répertoire spécifique"

    class Type(models.TextChoices):
        SUR_DEMANDE = "sur_demande", "Enregistrement sur demande"
        DE_DROIT = "de_droit", "Enregistrement de droit"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="enregistrements"
    )
    code = models.CharField("code de la certification", max_length=60, unique=True)
    repertoire = models.CharField("répertoire", max_length=4, choices=Repertoire.choices)
    numero = models.CharField("numéro d'enregistrement", max_length=20)
    type_enregistrement = models.CharField(
        "type d'enregistrement", max_length=12, choices=Type.choices, default=Type.SUR_DEMANDE
    )
    date_decision = models.DateField("date de la décision de France compétences", null=True, blank=True)
    duree_ans = models.PositiveSmallIntegerField("durée d'enregistrement (ans)", null=True, blank=True)
    reference_jo = models.CharField("référence de publication (JO, arrêté)", max_length=500, blank=True)
    date_fin = models.DateField("fin d'enregistrement", null=True, blank=True)
    niveau = models.PositiveSmallIntegerField(
        "niveau (nomenclature nationale de 2019)",
        null=True,
        blank=True,
        help_text="Décret n° 2019-14 du 8 janvier 2019 : le niveau du cadre européen (CEC) est le même.",
    )
    codes_nsf = models.JSONField("codes NSF", default=list, blank=True)
    source = models.CharField(
        "origine", max_length=20, choices=[("import", "Import RNCP"), ("saisie", "Saisie du certificateur")]
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(repertoire="RNCP") & Q(numero__regex=r"^RNCP[0-9]{3,6}$"))
                | (Q(repertoire="RS") & Q(numero__regex=r"^RS[0-9]{3,6}$")),
                name="enregistrement_numero_matches_repertoire",
            ),
            models.CheckConstraint(
                condition=Q(niveau__isnull=True) | Q(niveau__gte=1, niveau__lte=8),
                name="enregistrement_niveau_range",
            ),
            models.CheckConstraint(
                condition=Q(repertoire="RNCP") | Q(niveau__isnull=True), name="enregistrement_rs_sans_niveau"
            ),
            models.CheckConstraint(
                condition=Q(duree_ans__isnull=True) | Q(duree_ans__gte=1, duree_ans__lte=10),
                name="enregistrement_duree_range",
            ),
            # A registration is stated with its legal reference: the decision's date (sur
            # demande) or the publication (de droit).
            models.CheckConstraint(
                condition=(Q(type_enregistrement="sur_demande") & Q(date_decision__isnull=False))
                | (Q(type_enregistrement="de_droit") & ~Q(reference_jo="")),
                name="enregistrement_reference_legale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.numero}"

    @property
    def niveau_cec(self) -> int | None:
        return self.niveau

    def nsf_text(self) -> str:
        return ", ".join(
            f"{c.get('code', '')} {c.get('libelle', '')}".strip() if isinstance(c, dict) else str(c)
            for c in self.codes_nsf or []
        )

    def phrase(self) -> str:
        """The registration sentence of a parchemin (formats/README.md, mentions obligatoires)."""
        repertoire = self.get_repertoire_display()
        if self.type_enregistrement == self.Type.DE_DROIT:
            return (
                f"Certification enregistrée de droit au {repertoire} sous le numéro {self.numero} "
                f"({self.reference_jo.strip().rstrip('.')})."
            )
        duree = f", pour une durée de {self.duree_ans} ans" if self.duree_ans and self.duree_ans > 1 else ""
        if self.duree_ans == 1:
            duree = ", pour une durée d'un an"
        return (
            f"Certification enregistrée au {repertoire} sous le numéro {self.numero} par décision du "
            f"directeur général de France compétences en date du {date_fr(self.date_decision, empty='')}{duree}."
        )
