"""Candidates, their entreprises and tuteurs, and the dossiers de certification.

Every table here belongs to one centre (``TenantModel``: organisation FK, UUID ``public_id``,
scoped manager, forced RLS in the migration). Dossiers point at the national catalogue
(``referentiels``), never the other way round.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from candidates.validators import validate_code_insee, validate_code_pays, validate_siret
from core.storage import private_storage
from organisations.tenancy import TenantModel


class Candidate(TenantModel):
    """The person seeking a certification, with what a parchemin and the CDC declaration need."""

    class Civilite(models.TextChoices):
        MONSIEUR = "M", "M."
        MADAME = "MME", "Mme"

    class Sexe(models.TextChoices):
        M = "M", "Masculin"
        F = "F", "Féminin"

    civilite = models.CharField("civilité", max_length=3, choices=Civilite.choices)
    sexe = models.CharField("sexe", max_length=1, choices=Sexe.choices)
    nom_naissance = models.CharField("nom de naissance", max_length=60)
    nom_usage = models.CharField("nom d'usage", max_length=60, blank=True)
    prenom1 = models.CharField("premier prénom", max_length=60)
    prenom2 = models.CharField("deuxième prénom", max_length=60, blank=True)
    prenom3 = models.CharField("troisième prénom", max_length=60, blank=True)
    # Three integers, as the CDC declares them: some civil registers only know the year.
    naissance_annee = models.PositiveSmallIntegerField(
        "année de naissance", validators=[MinValueValidator(1900), MaxValueValidator(2099)]
    )
    naissance_mois = models.PositiveSmallIntegerField(
        "mois de naissance", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    naissance_jour = models.PositiveSmallIntegerField(
        "jour de naissance", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    naissance_commune = models.CharField("commune de naissance", max_length=60, blank=True)
    naissance_code_insee = models.CharField(
        "code INSEE de la commune de naissance", max_length=5, blank=True, validators=[validate_code_insee]
    )
    naissance_pays_code = models.CharField(
        "code du pays de naissance", max_length=3, blank=True, validators=[validate_code_pays]
    )
    naissance_pays = models.CharField("pays de naissance", max_length=60, blank=True)
    email = models.EmailField("adresse e-mail", blank=True)
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    adresse = models.CharField("adresse", max_length=200, blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    ville = models.CharField("ville", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField("données effacées le", null=True, blank=True)

    class Meta:
        ordering = ["nom_naissance", "prenom1"]
        indexes = [
            models.Index(fields=["organisation", "nom_naissance", "prenom1"], name="candidate_org_name"),
            models.Index(
                fields=["organisation", "naissance_annee", "naissance_mois", "naissance_jour"],
                name="candidate_org_birth",
            ),
            models.Index(fields=["organisation", "created_at", "id"], name="candidate_org_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(naissance_annee__gte=1900, naissance_annee__lte=2099),
                name="candidate_birth_year_range",
            ),
            models.CheckConstraint(
                condition=Q(naissance_jour__isnull=True) | Q(naissance_mois__isnull=False),
                name="candidate_day_needs_month",
            ),
            models.CheckConstraint(condition=Q(sexe__in=["M", "F"]), name="candidate_sexe_valid"),
        ]

    def __str__(self) -> str:
        return self.nom_complet

    def clean(self) -> None:
        if self.naissance_jour is not None and self.naissance_mois is None:
            raise ValidationError({"naissance_jour": "Le jour de naissance exige le mois."})
        if self.naissance_annee and self.naissance_mois and self.naissance_jour:
            try:
                born = dt.date(self.naissance_annee, self.naissance_mois, self.naissance_jour)
            except ValueError:
                raise ValidationError(
                    {"naissance_jour": f"Date de naissance inexistante : {self.naissance_date_affichee}."}
                ) from None
            if born > dt.date.today():
                raise ValidationError({"naissance_annee": "La date de naissance est dans le futur."})

    @property
    def prenoms(self) -> str:
        return " ".join(p for p in (self.prenom1, self.prenom2, self.prenom3) if p)

    @property
    def accord(self) -> str:
        """The feminine agreement of the civilité (« convoquée », « née »), empty for Monsieur."""
        return "e" if self.civilite == self.Civilite.MADAME else ""

    @property
    def nom_complet(self) -> str:
        usage = f" ({self.nom_usage})" if self.nom_usage and self.nom_usage != self.nom_naissance else ""
        return f"{self.nom_naissance}{usage} {self.prenom1}".strip()

    @property
    def naissance_date(self) -> dt.date | None:
        try:
            return dt.date(self.naissance_annee, self.naissance_mois, self.naissance_jour)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    @property
    def naissance_date_affichee(self) -> str:
        day = f"{self.naissance_jour:02d}/" if self.naissance_jour else ""
        month = f"{self.naissance_mois:02d}/" if self.naissance_mois else ""
        return f"{day}{month}{self.naissance_annee}"

    def naissance_mention(self, *, lieu: bool = True) -> str:
        """« née le 14/03/1998 à Ajaccio », « née en mars 1998 », « né en 1990 »."""
        return naissance_mention(self, lieu=lieu)


MOIS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def naissance_mention(person, *, lieu: bool = True) -> str:
    """« née le 14/03/1998 à Ajaccio », « née en mars 1998 », « né en 1990 »: the wording
    follows the civilité; a date known only in part is never printed as if it were whole."""
    e = "e" if person.civilite == "MME" else ""
    where = f" à {person.naissance_commune}" if lieu and person.naissance_commune else ""
    if not person.naissance_annee:
        return f"né{e}{where}" if where else ""
    if person.naissance_jour and person.naissance_mois:
        when = f"le {person.naissance_jour:02d}/{person.naissance_mois:02d}/{person.naissance_annee}"
    elif person.naissance_mois:
        when = f"en {MOIS_FR[person.naissance_mois - 1]} {person.naissance_annee}"
    else:
        when = f"en {person.naissance_annee}"
    return f"né{e} {when}{where}"


class Entreprise(TenantModel):
    raison_sociale = models.CharField("raison sociale", max_length=200)
    siret = models.CharField("SIRET", max_length=14, validators=[validate_siret])
    adresse = models.CharField("adresse", max_length=200, blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    ville = models.CharField("ville", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["raison_sociale"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "siret"], name="entreprise_unique_siret")
        ]

    def __str__(self) -> str:
        return f"{self.raison_sociale} ({self.siret})"


class Tuteur(TenantModel):
    """The person at the entreprise who follows the candidate (gives the avis de l'entreprise)."""

    entreprise = models.ForeignKey(
        Entreprise, on_delete=models.PROTECT, related_name="tuteurs", null=True, blank=True
    )
    nom = models.CharField("nom", max_length=60)
    prenom = models.CharField("prénom", max_length=60)
    email = models.EmailField("adresse e-mail")
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    fonction = models.CharField("fonction", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["nom", "prenom"]
        constraints = [models.UniqueConstraint(fields=["organisation", "email"], name="tuteur_unique_email")]

    def __str__(self) -> str:
        return f"{self.prenom} {self.nom}"


class Dossier(TenantModel):
    """A candidate's registration for one published référentiel version, in one centre."""

    class Status(models.TextChoices):
        BROUILLON = "brouillon", "Brouillon"
        INSCRIT = "inscrit", "Inscrit"
        EN_EVALUATION = "en_evaluation", "En évaluation"
        PRET_POUR_JURY = "pret_pour_jury", "Prêt pour le jury"
        DELIBERE = "delibere", "Délibéré"
        ABANDON = "abandon", "Abandon"

    class Decision(models.TextChoices):
        NONE = "", "—"
        CERTIFIE = "certifie", "Certifié"
        PARTIEL = "partiel", "Validation partielle (blocs)"
        AJOURNE = "ajourne", "Ajourné"

    class VoieAcces(models.TextChoices):
        """France compétences' list, as the CDC declaration spells it (``modaliteAcces``)."""

        FORMATION_INITIALE = (
            "FORMATION_INITIALE_HORS_APPRENTISSAGE",
            "Formation initiale (hors apprentissage)",
        )
        APPRENTISSAGE = "FORMATION_INITIALE_APPRENTISSAGE", "Apprentissage"
        FORMATION_CONTINUE = (
            "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
            "Formation continue (hors contrat de professionnalisation)",
        )
        CONTRAT_PRO = "FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION", "Contrat de professionnalisation"
        VAE = "VAE", "Validation des acquis de l'expérience (VAE)"
        EQUIVALENCE = "EQUIVALENCE_DIPLOME_ETRANGER", "Équivalence de diplôme étranger"
        CANDIDAT_LIBRE = "CANDIDAT_LIBRE", "Candidat libre"

    class Reprise(models.TextChoices):
        """Seed 004, « En cas d'échec »: how a failed candidate presents the blocs again."""

        AUCUNE = "", "—"
        RATTRAPAGE = "rattrapage", "Rattrapage"
        REDOUBLEMENT = "redoublement", "Redoublement"

    class StatutProfessionnel(models.TextChoices):
        SALARIE = "salarie", "Salarié(e)"
        APPRENTI = "apprenti", "Apprenti(e)"
        CONTRAT_PRO = "contrat_pro", "Salarié(e) en contrat de professionnalisation"
        DEMANDEUR_EMPLOI = "demandeur_emploi", "Demandeur d'emploi"
        ETUDIANT = "etudiant", "Étudiant(e) / stagiaire"
        INDEPENDANT = "independant", "Travailleur indépendant"
        AUTRE = "autre", "Autre"

    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="dossiers", verbose_name="candidat"
    )
    referentiel = models.ForeignKey(
        "referentiels.Referentiel", on_delete=models.PROTECT, related_name="+", verbose_name="référentiel"
    )
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.BROUILLON)
    decision = models.CharField("décision", max_length=10, choices=Decision.choices, blank=True, default="")
    voie_acces = models.CharField("voie d'accès", max_length=60, choices=VoieAcces.choices)
    statut_professionnel = models.CharField(
        "statut", max_length=20, choices=StatutProfessionnel.choices, blank=True
    )
    entreprise = models.ForeignKey(
        Entreprise, on_delete=models.PROTECT, null=True, blank=True, related_name="dossiers"
    )
    tuteur = models.ForeignKey(
        Tuteur, on_delete=models.PROTECT, null=True, blank=True, related_name="dossiers"
    )
    amenagement_tiers_temps = models.BooleanField("tiers-temps", default=False)
    amenagement_pauses = models.BooleanField("temps de pause", default=False)
    amenagement_secretaire = models.BooleanField("secrétaire (lecture, écriture)", default=False)
    amenagement_interprete = models.BooleanField("interprète", default=False)
    amenagement_equipement = models.BooleanField("équipement adapté", default=False)
    amenagement_note = models.TextField("précisions sur les aménagements", blank=True)
    date_inscription = models.DateField("date d'inscription", default=dt.date.today)
    date_remise_rapport = models.DateField("date limite de remise du rapport", null=True, blank=True)
    date_deliberation = models.DateField("date de délibération", null=True, blank=True)
    attempt = models.PositiveSmallIntegerField("tentative", default=1)
    previous_attempt = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retakes",
        verbose_name="tentative précédente",
    )
    reprise = models.CharField(
        "rattrapage ou redoublement", max_length=12, choices=Reprise.choices, blank=True, default=""
    )
    reprise_courrier_le = models.DateField(
        "demande par courrier recommandé reçue le",
        null=True,
        blank=True,
        help_text="Rattrapage : inscription à la prochaine session par courrier recommandé (seed 004).",
    )
    exemption_epreuve_pro = models.BooleanField("exempté d'épreuve professionnelle", default=False)
    exemption_positionnement_le = models.DateField("positionnement effectué le", null=True, blank=True)
    exemption_justification = models.TextField("justification de l'exemption", blank=True)
    exemption_piece = models.ForeignKey(
        "Piece",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="pièce du positionnement",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "status"], name="dossier_org_status"),
            models.Index(fields=["organisation", "referentiel"], name="dossier_org_referentiel"),
            models.Index(fields=["organisation", "created_at", "id"], name="dossier_org_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "brouillon",
                        "inscrit",
                        "en_evaluation",
                        "pret_pour_jury",
                        "delibere",
                        "abandon",
                    ]
                ),
                name="dossier_status_valid",
            ),
            models.CheckConstraint(
                condition=(Q(status="delibere") & ~Q(decision="")) | (~Q(status="delibere") & Q(decision="")),
                name="dossier_decision_iff_delibere",
            ),
            models.CheckConstraint(condition=Q(attempt__gte=1), name="dossier_attempt_positive"),
            models.CheckConstraint(
                condition=Q(attempt=1, previous_attempt__isnull=True)
                | Q(attempt__gt=1, previous_attempt__isnull=False),
                name="dossier_retake_has_previous",
            ),
            models.UniqueConstraint(
                fields=["previous_attempt"],
                condition=Q(previous_attempt__isnull=False),
                name="dossier_one_retake_per_attempt",
            ),
        ]

    # The badge colour of each status (candidates/partials/status_class.html, without an include
    # per row on the lists).
    STATUS_BADGES = {
        "inscrit": "badge-info",
        "en_evaluation": "badge-info",
        "pret_pour_jury": "badge-warn",
        "delibere": "badge-ok",
        "abandon": "badge-err",
    }

    @property
    def status_badge(self) -> str:
        return self.STATUS_BADGES.get(self.status, "")

    def __str__(self) -> str:
        return f"{self.candidate} — {self.referentiel.code} (tentative {self.attempt})"

    @property
    def amenagements(self) -> list[str]:
        labels = []
        for name in ("tiers_temps", "pauses", "secretaire", "interprete", "equipement"):
            if getattr(self, f"amenagement_{name}"):
                field = self._meta.get_field(f"amenagement_{name}")
                assert isinstance(field, models.Field)  # a column, not a relation
                labels.append(str(field.verbose_name))
        return labels

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.BROUILLON

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DELIBERE, self.Status.ABANDON)


class DossierBloc(TenantModel):
    """A bloc the dossier targets; ``acquis_anterieur`` when carried from a previous attempt."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="blocs_vises")
    bloc = models.ForeignKey("referentiels.Bloc", on_delete=models.PROTECT, related_name="+")
    acquis = models.BooleanField("acquis", default=False)
    acquis_anterieur = models.BooleanField("acquis lors d'une tentative précédente", default=False)
    acquis_le = models.DateField("acquis le", null=True, blank=True)
    # Seed 004: « Les candidats salariés peuvent, dans le cadre de la validation d'un bloc de
    # compétences, substituer les épreuves de blocs par un portefeuille de preuves à présenter à un
    # jury, 3 à 6 mois après le parcours formatif »
    portefeuille = models.BooleanField("épreuves remplacées par un portefeuille de preuves", default=False)
    portefeuille_fin_parcours = models.DateField("fin du parcours formatif", null=True, blank=True)
    portefeuille_presentation_le = models.DateField(
        "présentation du portefeuille au jury", null=True, blank=True
    )
    portefeuille_justification = models.TextField(
        "contexte de l'entreprise favorable (justification)", blank=True
    )
    portefeuille_evaluateur = models.CharField(
        "évaluateur (n'ayant pas participé à la formation)", max_length=200, blank=True
    )
    portefeuille_piece = models.ForeignKey(
        "Piece",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="portefeuille de preuves signé",
    )

    class Meta:
        ordering = ["bloc__order"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "bloc"], name="dossierbloc_unique"),
            models.CheckConstraint(
                condition=Q(acquis_anterieur=False) | Q(acquis=True), name="dossierbloc_anterieur_is_acquis"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} / {self.bloc_id}"


class DossierModalite(TenantModel):
    """The modalité chosen for one capacité of a targeted bloc, among those the référentiel allows."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="modalites_choisies")
    capacite = models.ForeignKey("referentiels.Capacite", on_delete=models.PROTECT, related_name="+")
    modalite = models.ForeignKey("referentiels.Modalite", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dossier", "capacite"], name="dossiermodalite_unique")]

    def __str__(self) -> str:
        return f"{self.dossier_id} / {self.capacite_id} → {self.modalite_id}"


class DossierTransition(TenantModel):
    """One step of a dossier's life: who moved it, when, from where to where, and why."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField("de", max_length=20, choices=Dossier.Status.choices, blank=True)
    to_status = models.CharField("vers", max_length=20, choices=Dossier.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.TextField("motif", blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class Piece(TenantModel):
    """A document of the dossier (rapport, portefeuille de preuves, justificatif…), stored privately."""

    class Kind(models.TextChoices):
        RAPPORT = "rapport", "Rapport"
        PORTEFEUILLE = "portefeuille_preuves", "Portefeuille de preuves"
        MEMOIRE = "memoire", "Mémoire"
        JUSTIFICATIF_IDENTITE = "justificatif_identite", "Justificatif d'identité"
        JUSTIFICATIF_AMENAGEMENT = "justificatif_amenagement", "Justificatif d'aménagement"
        JUSTIFICATIF_ABSENCE = "justificatif_absence", "Justificatif d'absence"
        POSITIONNEMENT = "positionnement", "Positionnement (en amont de la formation)"
        AUTRE = "autre", "Autre"

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="pieces")
    kind = models.CharField("type de pièce", max_length=30, choices=Kind.choices)
    file = models.FileField(storage=private_storage, max_length=200)
    original_name = models.CharField("nom du fichier", max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField("taille (octets)")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.original_name}"


class ImportJob(TenantModel):
    """A bulk import of candidates and dossiers: validated (dry run) first, then applied."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        VALIDATING = "validating", "Vérification en cours"
        VALIDATED = "validated", "Prêt à importer"
        REJECTED = "rejected", "Refusé (erreurs)"
        IMPORTING = "importing", "Import en cours"
        DONE = "done", "Importé"
        FAILED = "failed", "Échec"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(storage=private_storage, max_length=200)
    original_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4)
    merge_duplicates = models.BooleanField("rattacher les doublons aux candidats existants", default=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    # Rows matching an existing candidate (``importer.Report.duplicates``) and the choice per
    # row confirmed with the import (row number as a string → fusionner | creer | ignorer).
    duplicates = models.JSONField(default=list, blank=True)
    duplicate_choices = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.original_name} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.VALIDATING, self.Status.IMPORTING)

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
