"""Results of a dossier: what the commission d'évaluation validated, per capacité, bloc or composante.

``Resultat`` is the one result the rules engine reads (``evaluations.selectors.engine_inputs``):
- ``capacite``: acquis / non acquis / absent (CQPM, CQPI families);
- ``bloc``: contrôle continu and épreuves points, unjustified absence (points grid);
- ``composante``: points of one part of the évaluation professionnelle (écrit, oral, tuteur).
Every change is appended to ``ResultatChange`` (who, field, old → new, why).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from organisations.tenancy import TenantModel

#: A result's marks and absences, as the API shows them and the history tracks them (one list).
MARK_FIELDS = (
    "etat",
    "controle_continu",
    "epreuves",
    "points",
    "absence_non_justifiee",
    "absence_motif",
    "cc_absence_non_justifiee",
    "cc_absence_motif",
)


class Resultat(TenantModel):
    class Kind(models.TextChoices):
        CAPACITE = "capacite", "Capacité"
        BLOC = "bloc", "Bloc (points)"
        COMPOSANTE = "composante", "Évaluation professionnelle"

    class Etat(models.TextChoices):
        NONE = "", "—"
        ACQUIS = "acquis", "Acquis"
        NON_ACQUIS = "non_acquis", "Non acquis"
        ABSENT = "absent", "Absent"

    dossier = models.ForeignKey("candidates.Dossier", on_delete=models.CASCADE, related_name="resultats")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    capacite = models.ForeignKey(
        "referentiels.Capacite", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bloc = models.ForeignKey(
        "referentiels.Bloc", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    composante = models.CharField(max_length=20, blank=True)
    etat = models.CharField("état", max_length=12, choices=Etat.choices, blank=True)
    controle_continu = models.DecimalField(
        "contrôle continu", max_digits=7, decimal_places=2, null=True, blank=True
    )
    epreuves = models.DecimalField("épreuves", max_digits=7, decimal_places=2, null=True, blank=True)
    points = models.DecimalField("points", max_digits=7, decimal_places=2, null=True, blank=True)
    absence_non_justifiee = models.BooleanField("absence non justifiée", default=False)
    absence_motif = models.CharField(
        "absence justifiée par",
        max_length=20,
        blank=True,
        help_text="Motif recevable (seed 004) : certificat médical, arrêt de travail, force majeure justifié.",
    )
    absence_piece = models.ForeignKey(
        "candidates.Piece",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="justificatif d'absence",
    )
    cc_absence_non_justifiee = models.BooleanField(
        "absence injustifiée au contrôle continu",
        default=False,
        help_text="Seed 004 : « Toute absence injustifiée à une évaluation de contrôle continu est sanctionnée par l'attribution d'un zéro à l'épreuve. »",
    )
    cc_absence_motif = models.CharField(
        "absence au contrôle continu justifiée par", max_length=20, blank=True
    )
    cc_absence_piece = models.ForeignKey(
        "candidates.Piece",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="justificatif d'absence au contrôle continu",
    )
    criteres_observes = models.JSONField("critères observés", default=list, blank=True)
    commentaire = models.TextField(blank=True)
    evaluateur = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    valide = models.BooleanField("validé par la commission", default=False)
    valide_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    valide_le = models.DateTimeField(null=True, blank=True)
    motivation_commission = models.TextField(
        "motivation de la commission",
        blank=True,
        help_text="Exigée quand la décision s'écarte des évaluations, de l'avis de l'entreprise ou de l'entretien.",
    )
    commission_membres = models.TextField(
        "membres de la commission d'évaluation",
        blank=True,
        help_text="Les membres qui ont statué (noms et qualités), un par ligne.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "capacite"], condition=Q(kind="capacite"), name="resultat_unique_capacite"
            ),
            models.UniqueConstraint(
                fields=["dossier", "bloc"], condition=Q(kind="bloc"), name="resultat_unique_bloc"
            ),
            models.UniqueConstraint(
                fields=["dossier", "composante"],
                condition=Q(kind="composante"),
                name="resultat_unique_composante",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="capacite") & Q(capacite__isnull=False) & Q(bloc__isnull=True) & Q(composante="")
                )
                | (Q(kind="bloc") & Q(bloc__isnull=False) & Q(capacite__isnull=True) & Q(composante=""))
                | (
                    Q(kind="composante") & ~Q(composante="") & Q(capacite__isnull=True) & Q(bloc__isnull=True)
                ),
                name="resultat_kind_fields",
            ),
            models.CheckConstraint(
                condition=(Q(controle_continu__isnull=True) | Q(controle_continu__gte=0))
                & (Q(epreuves__isnull=True) | Q(epreuves__gte=0))
                & (Q(points__isnull=True) | Q(points__gte=0)),
                name="resultat_points_positive",
            ),
        ]

    def __str__(self) -> str:
        target = self.capacite or self.bloc or self.composante
        return f"{self.get_kind_display()} {target}"

    @property
    def cible_code(self) -> str:
        """The code of what the result marks: its capacité's, its bloc's, or its composante (the
        ``resultat_kind_fields`` constraint sets exactly one of them, as ``kind`` says)."""
        if self.capacite is not None:
            return self.capacite.code
        if self.bloc is not None:
            return self.bloc.code
        return self.composante


class ResultatChange(TenantModel):
    """Append-only history of a result (the database refuses updates and deletes)."""

    resultat = models.ForeignKey(Resultat, on_delete=models.CASCADE, related_name="changes")
    epreuve = models.ForeignKey(
        "Epreuve",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="L'épreuve dont la saisie a produit ce changement (grille, présence).",
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    field = models.CharField(max_length=40)
    old = models.CharField(max_length=200, blank=True)
    new = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old} → {self.new}"


class SuiviDossier(TenantModel):
    """Facts about a dossier's session that the rules need beyond results: absences, fraud."""

    dossier = models.OneToOneField("candidates.Dossier", on_delete=models.CASCADE, related_name="suivi")
    taux_absence = models.DecimalField(
        "taux d'absence en formation (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Part du temps de formation manqué sans justification, pour la pénalité sur la note du tuteur.",
    )
    fraude = models.BooleanField("fraude constatée", default=False)
    fraude_motif = models.TextField(blank=True)
    fraude_en_attente = models.BooleanField(
        "suspicion de fraude en attente de la décision du jury",
        default=False,
        help_text="Un procès-verbal d'incident pour fraude attend la décision du jury (seed 004).",
    )
    # Seed 004: « l'absence de période en entreprise […] induisent la non-obtention du diplôme mais
    # il conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne » — a fact of its own.
    periode_absente = models.BooleanField("période en entreprise non effectuée", default=False)
    periode_motif = models.CharField(
        "période en entreprise manquée, justifiée par", max_length=20, blank=True
    )
    periode_piece = models.ForeignKey(
        "candidates.Piece",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="justificatif de la période manquée",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(taux_absence__isnull=True) | (Q(taux_absence__gte=0) & Q(taux_absence__lte=100)),
                name="suivi_taux_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Suivi {self.dossier_id}"


# --- épreuves, sessions, convocations, attendance ---------------------------------------------


class SessionExamen(TenantModel):
    """A session d'examen of one référentiel: it groups the épreuves candidates sit."""

    intitule = models.CharField("intitulé", max_length=200)
    referentiel = models.ForeignKey(
        "referentiels.Referentiel", on_delete=models.PROTECT, related_name="+", verbose_name="référentiel"
    )
    lieu = models.CharField("lieu", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.intitule


class Epreuve(TenantModel):
    """A scheduled évaluation: when, where, how long, what it covers, who supervises and marks it.

    It covers a bloc (points grid: its « épreuves » points), capacités (codes, capacité
    families) or a composante of the évaluation professionnelle (``ecrit``, ``oral``).
    """

    session = models.ForeignKey(SessionExamen, on_delete=models.CASCADE, related_name="epreuves")
    intitule = models.CharField("intitulé", max_length=200)
    modalite = models.ForeignKey(
        "referentiels.Modalite",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="modalité",
    )
    bloc = models.ForeignKey(
        "referentiels.Bloc", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    capacites = models.JSONField("capacités couvertes (codes)", default=list, blank=True)
    composante = models.CharField("composante de l'évaluation professionnelle", max_length=20, blank=True)
    date = models.DateField("date")
    heure_debut = models.TimeField("heure de début")
    duree_minutes = models.PositiveIntegerField("durée (minutes)")
    lieu = models.CharField("lieu", max_length=200)
    salle = models.CharField("salle", max_length=100, blank=True)
    surveillants = models.CharField("surveillants", max_length=300, blank=True)
    #: The feuille d'émargement's human reference (``EMARG-2026-0031``), taken once from the
    #: centre's yearly counter when the first sheet is issued: no database id on a legal record.
    reference_emargement = models.CharField("référence de la feuille d'émargement", max_length=40, blank=True)
    documents_a_apporter = models.TextField(
        "documents à apporter",
        blank=True,
        default="Pièce d'identité en cours de validité (carte d'identité, passeport ou titre de séjour) ; la présente convocation.",
    )
    double_correction = models.BooleanField(
        "double correction",
        default=False,
        help_text="Deux évaluateurs notent chaque candidat ; un désaccord bloque le passage au jury jusqu'à sa résolution.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "heure_debut", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duree_minutes__gt=0) & Q(duree_minutes__lte=1440), name="epreuve_duree_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intitule} ({self.date:%d/%m/%Y})"


class EpreuveEvaluateur(TenantModel):
    """An évaluateur assigned to an épreuve (correcteur 1 or 2 under double marking)."""

    epreuve = models.ForeignKey(Epreuve, on_delete=models.CASCADE, related_name="evaluateurs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["epreuve", "user"], name="epreuveevaluateur_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.epreuve_id}"


class InscriptionEpreuve(TenantModel):
    """A dossier's candidate sitting an épreuve, with their attendance (émargement)."""

    class Presence(models.TextChoices):
        NON_RENSEIGNE = "", "Non renseigné"
        PRESENT = "present", "Présent"
        ABSENT_JUSTIFIE = "absent_justifie", "Absent justifié"
        ABSENT_NON_JUSTIFIE = "absent_non_justifie", "Absent non justifié"

    class Motif(models.TextChoices):
        NONE = "", "—"
        CERTIFICAT_MEDICAL = "certificat_medical", "Certificat médical"
        ARRET_TRAVAIL = "arret_travail", "Arrêt de travail"
        FORCE_MAJEURE = "force_majeure", "Cas de force majeure justifié"

    epreuve = models.ForeignKey(Epreuve, on_delete=models.CASCADE, related_name="inscriptions")
    dossier = models.ForeignKey(
        "candidates.Dossier", on_delete=models.CASCADE, related_name="inscriptions_epreuves"
    )
    presence = models.CharField("présence", max_length=20, choices=Presence.choices, blank=True)
    motif_absence = models.CharField("motif d'absence", max_length=20, choices=Motif.choices, blank=True)
    justification = models.TextField("justification", blank=True)
    justificatif = models.ForeignKey(
        "candidates.Piece",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="pièce justificative de l'absence",
    )
    rattrapage_avant = models.DateField("rattrapage à organiser avant le", null=True, blank=True)
    presence_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    presence_le = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier__candidate__nom_naissance", "dossier__candidate__prenom1", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["epreuve", "dossier"], name="inscriptionepreuve_unique"),
            models.CheckConstraint(
                condition=~Q(presence="absent_justifie") | ~Q(motif_absence=""),
                name="inscriptionepreuve_justifiee_a_motif",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} @ {self.epreuve_id}"


class Convocation(TenantModel):
    """One sending of a convocation (PDF + e-mail). Re-sends are new rows: nothing is overwritten."""

    class Status(models.TextChoices):
        PENDING = "pending", "En préparation"
        SENT = "sent", "Envoyée"
        A_REMETTRE = "a_remettre", "À remettre en main propre (pas d'adresse e-mail)"
        FAILED = "failed", "Échec d'envoi"

    inscription = models.ForeignKey(InscriptionEpreuve, on_delete=models.CASCADE, related_name="convocations")
    numero_envoi = models.PositiveSmallIntegerField("envoi n°", default=1)
    #: The printed reference (``CONV-2026-0412``, ``CONV-2026-0412-2`` for the second sending):
    #: one number of the centre's yearly counter per candidate and épreuve, kept by every re-send.
    reference = models.CharField("référence", max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    forcee = models.BooleanField("envoyée moins d'un mois avant l'épreuve", default=False)
    motif_forcage = models.TextField("motif du forçage", blank=True)
    motif_renvoi = models.TextField("motif du renvoi", blank=True)
    email = models.EmailField("envoyée à", blank=True)
    document = models.ForeignKey(
        "documents.IssuedDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Le PDF scellé, délivré par la couche documents.",
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["inscription", "numero_envoi"]
        constraints = [
            models.UniqueConstraint(fields=["inscription", "numero_envoi"], name="convocation_unique_envoi"),
            models.CheckConstraint(
                condition=Q(forcee=False) | ~Q(motif_forcage=""), name="convocation_forcee_a_motif"
            ),
        ]

    def __str__(self) -> str:
        return f"Convocation {self.inscription_id} n°{self.numero_envoi}"


class Incident(TenantModel):
    """An incident during an épreuve; a fraud invalidates the candidate's session (règlement d'examen)."""

    class Kind(models.TextChoices):
        FRAUDE = "fraude", "Fraude ou tentative de fraude"
        AUTRE = "autre", "Autre incident"

    class Contreseing(models.TextChoices):
        SIGNE = "signe", "Procès-verbal contresigné par le candidat"
        REFUS = "refus", "Le candidat a refusé de contresigner"

    inscription = models.ForeignKey(InscriptionEpreuve, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField("nature", max_length=10, choices=Kind.choices)
    pv = models.TextField("procès-verbal d'incident")
    contreseing = models.CharField("contreseing du candidat", max_length=10, choices=Contreseing.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # A fraud PV is a suspicion until the jury decides (seed 004: « Tout candidat dont la fraude
    # est avérée voit sa session d'examen invalidée »).
    decision = models.CharField(
        "décision du jury",
        max_length=15,
        blank=True,
        choices=[
            ("", "En attente de la décision du jury"),
            ("fraude", "Fraude avérée"),
            ("falsification", "Falsification des résultats"),
            ("non_retenue", "Fraude non retenue"),
        ],
    )
    decision_motif = models.TextField("motivation du jury", blank=True)
    decide_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decide_le = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.inscription_id})"


class Correction(TenantModel):
    """One évaluateur's mark under double marking, per dossier, épreuve and target.

    Two agreeing corrections write the ``Resultat``; a disagreement stays visible (and blocks
    ``pret_pour_jury``) until the commission resolves it with the final value.
    """

    epreuve = models.ForeignKey(Epreuve, on_delete=models.CASCADE, related_name="corrections")
    dossier = models.ForeignKey("candidates.Dossier", on_delete=models.CASCADE, related_name="corrections")
    cible = models.CharField("capacité, bloc ou composante (code)", max_length=60)
    correcteur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    etat = models.CharField("état", max_length=12, choices=Resultat.Etat.choices, blank=True)
    points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["epreuve", "dossier", "cible", "correcteur"], name="correction_unique"
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gte=0), name="correction_points_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cible}: {self.etat or self.points}"

    @property
    def valeur(self) -> str:
        return self.etat or ("" if self.points is None else str(self.points))


class CorrectionResolution(TenantModel):
    """How the commission settled a double-marking disagreement (the value then goes to ``Resultat``)."""

    epreuve = models.ForeignKey(Epreuve, on_delete=models.CASCADE, related_name="resolutions")
    dossier = models.ForeignKey("candidates.Dossier", on_delete=models.CASCADE, related_name="+")
    cible = models.CharField(max_length=60)
    valeur = models.CharField(max_length=20)
    motif = models.TextField("motif")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.cible} → {self.valeur}"


# --- avis de l'entreprise -----------------------------------------------------------------------


class AvisEntreprise(TenantModel):
    """The tuteur's avis on a dossier: requested with a deadline, reminded, locked once submitted."""

    dossier = models.ForeignKey(
        "candidates.Dossier", on_delete=models.CASCADE, related_name="avis_entreprise"
    )
    tuteur = models.ForeignKey("candidates.Tuteur", on_delete=models.PROTECT, related_name="avis")
    date_limite = models.DateField("date limite")
    demande_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    demande_le = models.DateTimeField(auto_now_add=True)
    lien_utilise_le = models.DateTimeField("lien ouvert le", null=True, blank=True)
    # Signed into the tuteur link: a new link (``avis_extend``) bumps it, the previous ones stop working.
    lien_version = models.PositiveSmallIntegerField("version du lien", default=1)
    prolongations = models.PositiveSmallIntegerField("prolongations", default=0)
    relances = models.PositiveSmallIntegerField("relances envoyées", default=0)
    derniere_relance_le = models.DateField(null=True, blank=True)
    commentaire = models.TextField("appréciation générale", blank=True)
    soumis_le = models.DateTimeField("soumis le", null=True, blank=True)
    soumis_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["date_limite", "pk"]
        constraints = [models.UniqueConstraint(fields=["dossier"], name="avisentreprise_one_per_dossier")]

    def __str__(self) -> str:
        return f"Avis {self.dossier_id} ({self.tuteur})"

    @property
    def is_submitted(self) -> bool:
        return self.soumis_le is not None


class AvisCapacite(TenantModel):
    class Avis(models.TextChoices):
        FAVORABLE = "favorable", "Favorable"
        RESERVE = "reserve", "Réservé"
        DEFAVORABLE = "defavorable", "Défavorable"

    avis_entreprise = models.ForeignKey(AvisEntreprise, on_delete=models.CASCADE, related_name="capacites")
    capacite = models.ForeignKey("referentiels.Capacite", on_delete=models.PROTECT, related_name="+")
    avis = models.CharField("avis", max_length=12, choices=Avis.choices, blank=True)
    commentaire = models.TextField("commentaire", blank=True)
    criteres = models.JSONField("avis par critère", default=dict, blank=True)

    class Meta:
        ordering = ["capacite__bloc__order", "capacite__order"]
        constraints = [
            models.UniqueConstraint(fields=["avis_entreprise", "capacite"], name="aviscapacite_unique")
        ]

    def __str__(self) -> str:
        return f"{self.capacite_id}: {self.avis}"


class Entretien(TenantModel):
    """The entretien with the candidate, one of the bases of the commission's decision.

    Seeds 000–002 (CQPM): « L'acquisition de chacune des capacités professionnelles est validée
    par une commission d'évaluation sur la base : des différentes évaluations, de l'avis de
    l'entreprise, de l'entretien avec le candidat ». Seed 003 (CQPI): each compétence is evaluated
    by « Observation en situation de travail » and « Entretien avec les membres du jury
    d'évaluation ». Recorded with its date, its participants and a conclusion per capacité.
    """

    dossier = models.ForeignKey("candidates.Dossier", on_delete=models.CASCADE, related_name="entretiens")
    date = models.DateField("date de l'entretien")
    participants = models.TextField("participants", help_text="Noms et qualités, un par ligne.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"Entretien du {self.date:%d/%m/%Y}"


class EntretienConclusion(TenantModel):
    """The entretien's conclusion for one capacité (compétence)."""

    class Conclusion(models.TextChoices):
        ACQUIS = "acquis", "Acquis"
        NON_ACQUIS = "non_acquis", "Non acquis"

    entretien = models.ForeignKey(Entretien, on_delete=models.CASCADE, related_name="conclusions")
    capacite = models.ForeignKey("referentiels.Capacite", on_delete=models.PROTECT, related_name="+")
    conclusion = models.CharField("conclusion", max_length=12, choices=Conclusion.choices)
    commentaire = models.TextField("commentaire", blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["entretien", "capacite"], name="entretienconclusion_unique"),
            models.CheckConstraint(
                condition=Q(conclusion__in=["acquis", "non_acquis"]), name="entretienconclusion_valid"
            ),
        ]
