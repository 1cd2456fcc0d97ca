"""Juries: composition, deliberation (engine proposals and sovereign decisions), signed PVs.

Every table belongs to one centre (``TenantModel``, forced RLS in the migration). Once the
initial procès-verbal carries its last signature (the président's), ``Jury.frozen_at`` is set
and the database refuses any change to the deliberation (triggers in ``0001_initial``): the
jury, its members and its decisions. A later correction is a ``Rectification`` with its own
procès-verbal and signatures.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from organisations.tenancy import TenantModel

DECISION_LABELS = {"certifie": "Certifié", "partiel": "Validation partielle (blocs)", "ajourne": "Ajourné"}


class Jury(TenantModel):
    class Status(models.TextChoices):
        COMPOSITION = "composition", "En composition"
        DELIBERATION = "deliberation", "En délibération"
        SIGNATURE = "signature", "En signature"
        SIGNE = "signe", "Signé (figé)"

    referentiel = models.ForeignKey(
        "referentiels.Referentiel", on_delete=models.PROTECT, related_name="+", verbose_name="référentiel"
    )
    intitule = models.CharField("intitulé", max_length=200)
    date = models.DateField("date de délibération")
    lieu = models.CharField("lieu", max_length=200)
    date_dernier_examen = models.DateField(
        "date du dernier examen", help_text="Point de départ du délai de publication des résultats."
    )
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.COMPOSITION)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField("ouvert le", null=True, blank=True)
    closed_at = models.DateTimeField("clos le", null=True, blank=True)
    frozen_at = models.DateTimeField("figé le", null=True, blank=True)
    results_published_at = models.DateTimeField("résultats publiés le", null=True, blank=True)
    results_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["composition", "deliberation", "signature", "signe"]),
                name="jury_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(frozen_at__isnull=True) | Q(status="signe"), name="jury_frozen_only_when_signed"
            ),
            models.CheckConstraint(
                condition=Q(results_published_at__isnull=True) | Q(frozen_at__isnull=False),
                name="jury_published_only_when_frozen",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intitule} ({self.date:%d/%m/%Y})"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def group_key(self) -> str:
        """The documents layer's grouping key: one ZIP per jury."""
        return f"jury:{self.public_id}"


#: What the centre enters about a jury member, in the form and the API (one list).
MEMBER_FIELDS = (
    "email",
    "prenom",
    "nom",
    "role",
    "college",
    "personnalite_qualifiee",
    "structure",
    "metier",
    "annees_metier",
    "annees_inactivite",
    "a_forme_candidats",
    "conflit_interets",
)


class JuryMember(TenantModel):
    """A person sitting on the jury, with the facts the composition rule checks.

    The person is a user with the ``jury`` role of the centre, identified by ``email``
    (invited when they have no account yet); ``membership`` is linked once they have one.
    """

    class Role(models.TextChoices):
        PRESIDENT = "president", "Président(e)"
        PROFESSIONNEL = "professionnel", "Professionnel(le) du métier"
        REPRESENTANT = "representant", "Représentant(e) de l'établissement"
        OBSERVATEUR = "observateur", "Observateur (sans voix)"

    class College(models.TextChoices):
        NONE = "", "—"
        EMPLOYEUR = "employeur", "Collège employeurs"
        SALARIE = "salarie", "Collège salariés"

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(
        "organisations.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.EmailField("adresse e-mail")
    nom = models.CharField("nom", max_length=60)
    prenom = models.CharField("prénom", max_length=60)
    role = models.CharField("rôle dans le jury", max_length=20, choices=Role.choices)
    college = models.CharField("collège", max_length=10, choices=College.choices, blank=True, default="")
    personnalite_qualifiee = models.BooleanField("personnalité qualifiée du monde économique", default=False)
    structure = models.CharField("organisation / entreprise", max_length=200, blank=True)
    metier = models.CharField("métier exercé", max_length=200, blank=True)
    annees_metier = models.DecimalField(
        "années d'exercice (ou d'encadrement) du métier cible", max_digits=4, decimal_places=1, default=0
    )
    annees_inactivite = models.DecimalField(
        "années depuis la dernière activité",
        max_digits=4,
        decimal_places=1,
        default=0,
        help_text="0 si la personne exerce toujours.",
    )
    a_forme_candidats = models.BooleanField("a formé des candidats de ce jury", default=False)
    conflit_interets = models.CharField(
        "conflit d'intérêts déclaré",
        max_length=300,
        blank=True,
        help_text="Laisser vide s'il n'y en a aucun.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who seated this member (separation of duties, shown on the PV): the account and, frozen at
    # that moment, its name and role in the centre.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_by_label = models.CharField("désigné(e) par", max_length=200, blank=True, default="")

    @property
    def seated_by(self) -> str:
        return self.added_by_label

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["jury", "email"], name="jurymember_unique_email"),
            models.UniqueConstraint(
                fields=["jury"], condition=Q(role="president"), name="jurymember_one_president"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["president", "professionnel", "representant", "observateur"]),
                name="jurymember_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(annees_metier__gte=0) & Q(annees_inactivite__gte=0),
                name="jurymember_years_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prenom} {self.nom} ({self.get_role_display()})"

    @property
    def nom_complet(self) -> str:
        return f"{self.prenom} {self.nom}"

    @property
    def votes(self) -> bool:
        """Observers attend without a voice: they neither decide nor sign."""
        return self.role != self.Role.OBSERVATEUR


class Decision(TenantModel):
    """One candidate before the jury: the engine's proposal and the jury's sovereign decision."""

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="decisions")
    dossier = models.ForeignKey("candidates.Dossier", on_delete=models.PROTECT, related_name="+")
    proposition = models.CharField("proposition du moteur", max_length=10)
    proposition_blocs = models.JSONField("blocs proposés", default=list)
    raisons = models.JSONField("raisons", default=list)
    details = models.JSONField("détails", default=dict)
    decision = models.CharField("décision du jury", max_length=10, blank=True)
    blocs_valides = models.JSONField("blocs validés", default=list)
    motivation = models.TextField("motivation", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["jury", "dossier"], name="decision_unique_dossier"),
            models.CheckConstraint(
                condition=Q(proposition__in=["certifie", "partiel", "ajourne"]),
                name="decision_proposition_valid",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["", "certifie", "partiel", "ajourne"]),
                name="decision_decision_valid",
            ),
            # The jury is sovereign, but departing from the proposal needs a written motivation.
            models.CheckConstraint(
                condition=Q(decision="")
                | (Q(decision=models.F("proposition")) & Q(blocs_valides=models.F("proposition_blocs")))
                | ~Q(motivation=""),
                name="decision_override_motivated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.decision or '…'}"

    @property
    def proposition_label(self) -> str:
        return DECISION_LABELS.get(self.proposition, self.proposition)

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS.get(self.decision, "")

    @property
    def is_override(self) -> bool:
        return bool(self.decision) and (
            self.decision != self.proposition or sorted(self.blocs_valides) != sorted(self.proposition_blocs)
        )


class ProcesVerbal(TenantModel):
    """The exact text the members sign: the initial PV of a jury, or a rectification's."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Procès-verbal de délibération"
        RECTIFICATIF = "rectificatif", "Procès-verbal rectificatif"

    jury = models.ForeignKey(Jury, on_delete=models.PROTECT, related_name="proces_verbaux")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    contenu = models.TextField("contenu signé")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField("signatures complètes le", null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["jury"], condition=Q(kind="initial"), name="procesverbal_one_initial"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sha256[:12]}"


class Signature(TenantModel):
    """Append-only: a member signed the exact content whose SHA-256 is recorded, from an IP."""

    proces_verbal = models.ForeignKey(ProcesVerbal, on_delete=models.PROTECT, related_name="signatures")
    member = models.ForeignKey(JuryMember, on_delete=models.PROTECT, related_name="signatures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    sha256 = models.CharField("SHA-256 du contenu signé", max_length=64)
    second_facteur = models.CharField(max_length=20, default="totp")

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proces_verbal", "member"], name="signature_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.signed_at:%d/%m/%Y %H:%M}"


class Rectification(TenantModel):
    """A correction of a frozen decision, applied only once its own PV is fully signed."""

    jury = models.ForeignKey(Jury, on_delete=models.PROTECT, related_name="rectifications")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="rectifications")
    nouvelle_decision = models.CharField("nouvelle décision", max_length=10)
    blocs_valides = models.JSONField("blocs validés", default=list)
    motif = models.TextField("motif de la rectification")
    proces_verbal = models.OneToOneField(ProcesVerbal, on_delete=models.PROTECT, related_name="rectification")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField("appliquée le", null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(motif=""), name="rectification_motif_required"),
            models.CheckConstraint(
                condition=Q(nouvelle_decision__in=["certifie", "partiel", "ajourne"]),
                name="rectification_decision_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Rectification {self.decision_id} → {self.nouvelle_decision}"

    @property
    def nouvelle_label(self) -> str:
        return DECISION_LABELS.get(self.nouvelle_decision, "")


class Sanction(models.Model):
    """A sanction the jury pronounced for a proven fraud or falsification, recorded with the
    certificateur (not with the centre): any centre that inscribes the same person to this
    certificateur's certifications is refused while it runs, and learns nothing more than
    « inscription impossible : sanction en cours ».

    Seed 004, « Fraude aux examens de validation de blocs » : « Tout candidat dont la fraude est
    avérée voit sa session d'examen invalidée, il ne valide aucun bloc. Pour obtenir la validation
    totale ou partielle du titre il devra, après un délai de carence de 6 mois, repasser l'ensemble
    des évaluations de blocs » ; « 9. Falsification : En cas de falsification des résultats le
    candidat se verra signifier une interdiction d'accès aux diplômes du réseau pour une durée de
    10 ans. »

    National like a référentiel (no row-level tenancy): it holds no name, only ``identite``, the
    SHA-256 of the person's folded birth name, first first name and birth date, so a centre can
    check a person it already knows and cannot list anyone.
    """

    class Nature(models.TextChoices):
        FRAUDE = "fraude", "Fraude avérée (délai de carence de 6 mois)"
        FALSIFICATION = "falsification", "Falsification des résultats (interdiction de 10 ans)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="sanctions"
    )
    identite = models.CharField("empreinte de l'identité", max_length=64, db_index=True)
    nature = models.CharField("nature", max_length=14, choices=Nature.choices)
    debut = models.DateField("début")
    fin = models.DateField("fin")
    centre = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name="centre"
    )
    dossier_public_id = models.UUIDField("dossier (centre)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debut", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(fin__gt=models.F("debut")), name="sanction_fin_after_debut"),
            models.CheckConstraint(
                condition=Q(nature__in=["fraude", "falsification"]), name="sanction_nature_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_nature_display()} jusqu'au {self.fin:%d/%m/%Y}"


class PvTransmission(TenantModel):
    """A signed PV transmitted to the certificateur that issues the jury's parchemins (seed 004:
    « … rédige le Procès-Verbal d'examen et le transmet à CCI France … pour émissions des
    parchemins du titre ou du/des bloc(s) validé(s) »).

    Belongs to the centre; the certificateur reads it through its oversight policy and changes
    it only through ``juries.issuance`` (review, issue, return), after checking it owns the
    référentiel."""

    class Status(models.TextChoices):
        TRANSMIS = "transmis", "Transmis au certificateur"
        EMISSION = "emission", "Émission en cours"
        EMIS = "emis", "Documents émis"
        RETOURNE = "retourne", "Retourné au centre"

    jury = models.OneToOneField(Jury, on_delete=models.PROTECT, related_name="transmission")
    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name="certificateur"
    )
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.TRANSMIS)
    transmitted_at = models.DateTimeField("transmis le")
    transmitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issue_started_at = models.DateTimeField("émission lancée le", null=True, blank=True)
    issued_at = models.DateTimeField("documents émis le", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField("retourné le", null=True, blank=True)
    return_reason = models.TextField("motif du retour", blank=True)

    class Meta:
        ordering = ["-transmitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["transmis", "emission", "emis", "retourne"]),
                name="pvtransmission_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="retourne") | (~Q(return_reason="") & Q(returned_at__isnull=False)),
                name="pvtransmission_returned_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="emis") | Q(issued_at__isnull=False),
                name="pvtransmission_issued_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"PV du jury {self.jury_id} — {self.get_status_display()}"
