"""The candidate's own space: access, requests to the centre, the follow-up after certification.

Every table but ``Preference`` belongs to one centre (``TenantModel``, forced RLS in the
migration). A person with dossiers in several centres has one user and one ``CandidateAccess``
per centre; each centre's rows are read under that centre's ``tenant_context``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from organisations.tenancy import TenantModel


def private_storage():
    """Justificatifs never live under a public URL."""
    from django.core.files.storage import storages

    return storages["private"]


class CandidateAccess(TenantModel):
    """Links a user (the person) to the ``Candidate`` row of this centre: « this person's own dossiers »."""

    candidate = models.OneToOneField(
        "candidates.Candidate", on_delete=models.CASCADE, related_name="espace_access"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField("invité le", auto_now_add=True)
    last_invited_at = models.DateTimeField("dernière invitation le", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="candidateaccess_one_per_centre")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.candidate_id}"


class IdentityCorrection(TenantModel):
    """A correction of identity data asked by the candidate; the centre applies or refuses it.

    Never edits a signed document: applying it changes the candidate row only (a parchemin
    already issued is re-issued through the documents' own civil-status procedure)."""

    class Status(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente"
        APPLIQUEE = "appliquee", "Appliquée"
        REFUSEE = "refusee", "Refusée"
        # the jury signed before the centre decided: the request is closed with its reason (a
        # signed document is corrected by the centre's re-issue, not by this pre-jury path)
        CLOSE = "close", "Close à la signature du jury"

    candidate = models.ForeignKey("candidates.Candidate", on_delete=models.CASCADE, related_name="+")
    confirme = models.BooleanField("données confirmées sans correction", default=False)
    changes = models.JSONField("corrections demandées", default=dict, blank=True)
    commentaire = models.TextField("commentaire du candidat", blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.EN_ATTENTE)
    reponse = models.TextField("réponse du centre", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="en_attente") | Q(decided_at__isnull=False),
                name="identitycorrection_decided",
            ),
            models.CheckConstraint(
                condition=~Q(status="refusee") | ~Q(reponse=""), name="identitycorrection_refus_motive"
            ),
            models.CheckConstraint(
                condition=~Q(status="close") | ~Q(reponse=""), name="identitycorrection_close_motivee"
            ),
        ]


class RattrapageRequest(TenantModel):
    """The candidate's written request for a rattrapage (seed 004 §2: recevable motives only)."""

    class Motif(models.TextChoices):
        # Seed 004 §2 « Motifs recevables de non-présentation aux évaluations de bloc et à
        # l'évaluation professionnelle ».
        CERTIFICAT_MEDICAL = "certificat_medical", "Certificat médical"
        ARRET_TRAVAIL = "arret_travail", "Arrêt de travail"
        FORCE_MAJEURE = "force_majeure", "Cas de force majeure justifié (certificat de décès d'un proche...)"

    class Status(models.TextChoices):
        EN_ATTENTE = "en_attente", "En attente"
        ACCEPTEE = "acceptee", "Acceptée"
        REFUSEE = "refusee", "Refusée"

    dossier = models.ForeignKey("candidates.Dossier", on_delete=models.CASCADE, related_name="+")
    motif = models.CharField("motif", max_length=30, choices=Motif.choices)
    justification = models.TextField("justification")
    # the dossier is closed (délibéré) when a rattrapage is asked: the justificatif is kept here,
    # privately, after the same checks as the dossier's pièces
    justificatif = models.FileField(storage=private_storage, max_length=200, blank=True)
    justificatif_nom = models.CharField("nom du justificatif", max_length=255, blank=True)
    justificatif_type = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.EN_ATTENTE)
    reponse = models.TextField("réponse du centre", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(status="en_attente"), name="rattrapagerequest_one_pending"
            ),
            models.CheckConstraint(condition=~Q(justification=""), name="rattrapagerequest_justified"),
        ]


class Situation(models.TextChoices):
    EMPLOI = "emploi", "En emploi"
    ETUDES = "etudes", "En poursuite d'études ou en formation"
    RECHERCHE = "recherche", "En recherche d'emploi"
    AUTRE = "autre", "Autre situation"


class Contrat(models.TextChoices):
    CDI = "cdi", "CDI (ou fonctionnaire)"
    CDD = "cdd", "CDD"
    INTERIM = "interim", "Intérim"
    ALTERNANCE = "alternance", "Contrat d'apprentissage ou de professionnalisation"
    INDEPENDANT = "independant", "Indépendant, création ou reprise d'entreprise"
    AUTRE = "autre", "Autre"


class Suivi(TenantModel):
    """Seed 004 §10: the candidate validates their contact and situation data at certification."""

    dossier = models.OneToOneField("candidates.Dossier", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField("adresse e-mail pour les enquêtes")
    telephone = models.CharField("téléphone", max_length=30, blank=True)
    adresse = models.CharField("adresse", max_length=200, blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    ville = models.CharField("ville", max_length=100, blank=True)
    situation = models.CharField("situation à la certification", max_length=12, choices=Situation.choices)
    validated_at = models.DateTimeField("validées le", auto_now=True)


class Enquete(TenantModel):
    """A follow-up survey of a certified dossier, 6 months or 2 years after the certification."""

    class Kind(models.TextChoices):
        SIX_MOIS = "6m", "Enquête à 6 mois"
        DEUX_ANS = "2a", "Enquête à 2 ans"

    dossier = models.ForeignKey("candidates.Dossier", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=2, choices=Kind.choices)
    due_on = models.DateField("à envoyer le")
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)
    reminders = models.PositiveSmallIntegerField("relances", default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField("répondue le", null=True, blank=True)
    situation = models.CharField("situation", max_length=12, choices=Situation.choices, blank=True)
    en_lien = models.BooleanField("emploi en lien avec la certification", null=True, blank=True)
    contrat = models.CharField("type de contrat", max_length=12, choices=Contrat.choices, blank=True)
    poste = models.CharField("intitulé du poste", max_length=200, blank=True)

    class Meta:
        ordering = ["due_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "kind"], name="enquete_unique_kind"),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(situation=""), name="enquete_answer_has_situation"
            ),
            models.CheckConstraint(
                condition=Q(situation="emploi") | Q(en_lien__isnull=True), name="enquete_lien_only_if_emploi"
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.sent_at is not None and self.answered_at is None


class Transmission(TenantModel):
    """The figures of one certification and promotion year, sent by the centre to the certificateur
    (seed 004 §10: « les transmettre à CCI France »). Aggregates only: no personal data."""

    referentiel = models.ForeignKey("referentiels.Referentiel", on_delete=models.PROTECT, related_name="+")
    annee = models.PositiveSmallIntegerField("année de certification")
    nombre_certifies = models.PositiveIntegerField()
    nombre_certifies_vae = models.PositiveIntegerField()
    enquetes_6m = models.PositiveIntegerField("enquêtes à 6 mois envoyées")
    repondants_6m = models.PositiveIntegerField()
    en_emploi_6m = models.PositiveIntegerField()
    enquetes_2a = models.PositiveIntegerField("enquêtes à 2 ans envoyées")
    repondants_2a = models.PositiveIntegerField()
    en_emploi_metier_2a = models.PositiveIntegerField()
    transmitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    transmitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-transmitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(en_emploi_6m__lte=models.F("repondants_6m"))
                & Q(repondants_6m__lte=models.F("enquetes_6m"))
                & Q(en_emploi_metier_2a__lte=models.F("repondants_2a"))
                & Q(repondants_2a__lte=models.F("enquetes_2a")),
                name="transmission_counts_coherent",
            )
        ]


class CandidateNotification(TenantModel):
    """One e-mail sent to a candidate: what the centre sees as « who was told »."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation à l'espace candidat"
        RESULTATS = "resultats", "Résultats publiés"
        DOCUMENT = "document", "Document délivré"
        CONVOCATION = "convocation", "Convocation envoyée"
        ECHEANCE = "echeance", "Échéance proche"
        ENQUETE = "enquete", "Enquête de suivi"
        RATTRAPAGE = "rattrapage", "Demande de rattrapage possible"

    MANDATORY = {Kind.INVITATION, Kind.RESULTATS, Kind.DOCUMENT, Kind.CONVOCATION}

    candidate = models.ForeignKey("candidates.Candidate", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField("clé d'idempotence", max_length=200)
    email = models.EmailField("envoyé à")
    subject = models.CharField("objet", max_length=300)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key", "candidate"], name="notification_unique_key"
            )
        ]


class Preference(models.Model):
    """One person's choice, across every centre: no more non-mandatory e-mails (one unsubscribe)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    unsubscribed_at = models.DateTimeField("désabonné le", null=True, blank=True)

    def __str__(self) -> str:
        return (
            f"{self.user} — désabonné le {self.unsubscribed_at:%d/%m/%Y}"
            if self.unsubscribed_at
            else str(self.user)
        )


class WalletOffer(TenantModel):
    """One « Ajouter à mon portefeuille numérique » (OpenID4VCI pre-authorized code flow).

    Bound to one document of the candidate; single use at each step: the pre-authorized code is
    exchanged once for an access token, the access token gives one credential. Only SHA-256
    hashes of the code, the access token and the c_nonce are kept, and an HMAC of the PIN
    (``tx_code``). The code and the token carry the centre's public id (an opaque prefix), so the
    wallet's requests — which name no centre — are answered inside that centre's
    ``tenant_context``, under row-level security like every tenant table.
    """

    document = models.ForeignKey("documents.IssuedDocument", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField("empreinte du code pré-autorisé", max_length=64, unique=True)
    tx_code_hash = models.CharField("empreinte du code PIN", max_length=64, blank=True)
    tx_code_failures = models.PositiveSmallIntegerField("PIN erronés", default=0)
    expires_at = models.DateTimeField("offre valable jusqu'au")
    redeemed_at = models.DateTimeField("code échangé le", null=True, blank=True)
    token_hash = models.CharField(
        "empreinte du jeton d'accès", max_length=64, null=True, blank=True, unique=True
    )
    token_expires_at = models.DateTimeField("jeton valable jusqu'au", null=True, blank=True)
    nonce_hash = models.CharField("empreinte du c_nonce", max_length=64, blank=True)
    issued_at = models.DateTimeField("attestation remise le", null=True, blank=True)
    holder_id = models.TextField("clé du portefeuille (did:jwk)", blank=True)
    credential = models.ForeignKey(
        "certificateur.VerifiableCredential",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Offre portefeuille {self.public_id} ({self.expires_at:%d/%m/%Y %H:%M})"
