"""The certificateur's own records: CDC accrochage (account, flux, passages) and signing keys.

``CdcCompte``, ``CdcFlux`` and ``CdcPassage`` belong to the certificateur organisation (tenant
= the certificateur). They point at centre data by UUID only (``dossier_public_id``), never by
a foreign key into a centre's table. ``SigningKey`` is national, like a référentiel: its public
half is published, its private half is stored encrypted. ``VerifiableCredential`` belongs to
the holder's centre (it travels with the parchemin) and names its certificateur.
"""

import uuid

from django.conf import settings
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models import Q

from core.storage import private_storage
from organisations.tenancy import TenantModel

DELAI_DECLARATION_MOIS = 3  # R6113-17-2 code du travail: declare within 3 months of délivrance
DELAI_TRANSMISSION_CQPM_MOIS = 3  # UIMM GTP « Certifications »: PV within 3 months of the jury


class CdcCompte(TenantModel):
    """The identifiers the Caisse des Dépôts gave the certificateur at onboarding."""

    id_client = models.CharField(
        "idClient du certificateur", max_length=8, validators=[MinLengthValidator(8)]
    )
    id_contrat = models.CharField("idContrat", max_length=20)
    emetteur_id_client = models.CharField(
        "idClient de l'émetteur (déposant)",
        max_length=8,
        blank=True,
        validators=[MinLengthValidator(8)],
        help_text="Laisser vide quand le certificateur dépose lui-même.",
    )
    tiers_de_confiance = models.BooleanField("dépôt par un tiers de confiance", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="cdccompte_one_per_certificateur")
        ]

    def __str__(self) -> str:
        return f"CDC {self.id_client} / {self.id_contrat}"


class CdcFlux(TenantModel):
    """One XML file produced for the CDC, and what its processing report said."""

    class Action(models.TextChoices):
        CREATION = "CREATION", "Déclaration (CREATION)"
        SUPPRESSION = "SUPPRESSION", "Retrait (SUPPRESSION)"

    id_flux = models.CharField("idFlux", max_length=50, unique=True)
    # XSD 1.1.5: ``flux/action``. A withdrawal file (revoked documents already declared) is a
    # 1.1.5 file with action SUPPRESSION; declarations stay valid 1.1.2 files.
    action = models.CharField("action", max_length=12, choices=Action.choices, default=Action.CREATION)
    schema_version = models.CharField("version du schéma", max_length=10, default="1.1.2")
    file = models.FileField(storage=private_storage, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField("taille (octets)")
    nb_passages = models.PositiveIntegerField("passages")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rapport_imported_at = models.DateTimeField("rapport importé le", null=True, blank=True)
    id_traitement = models.CharField("idTraitement", max_length=100, blank=True)
    nb_ok = models.PositiveIntegerField(default=0)
    nb_ko = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Flux {self.id_flux}"

    @property
    def filename(self) -> str:
        return f"accrochage-{self.created_at:%Y%m%d-%H%M%S}-{self.id_flux[:8]}.xml"


class CdcPassage(TenantModel):
    """One holder of one certification, as declared (or to declare) to the CDC.

    ``id_technique`` is stable (UUID5 of certificateur, dossier, certification): a rejected
    passage is corrected at the centre and re-sent under the same key; an accepted one is never
    sent again (``cdc_passages_selectable``).
    """

    class Etat(models.TextChoices):
        A_DECLARER = "a_declarer", "À déclarer"
        DECLARE = "declare", "Déclaré (en attente du rapport)"
        ACCEPTE = "accepte", "Accepté"
        REJETE = "rejete", "Rejeté"
        # Issue 13, point 7: the document was revoked.
        RETIRE = "retire", "Retiré (document révoqué, jamais déclaré)"
        A_SUPPRIMER = "a_supprimer", "Document révoqué : retrait à déclarer (SUPPRESSION)"
        SUPPRIME = "supprime", "Retrait déclaré (SUPPRESSION)"

    id_technique = models.CharField("idTechnique", max_length=255)
    centre = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name="centre"
    )
    dossier_public_id = models.UUIDField("dossier")
    certification_type = models.CharField("type", max_length=10)
    certification_code = models.CharField("code", max_length=100)
    titulaire = models.CharField("titulaire", max_length=200)
    date_delivrance = models.DateField("date de délivrance")
    echeance = models.DateField("à déclarer avant le")
    etat = models.CharField("état", max_length=12, choices=Etat.choices, default=Etat.A_DECLARER)
    flux = models.ForeignKey(
        CdcFlux, on_delete=models.PROTECT, null=True, blank=True, related_name="passages"
    )
    flux_suppression = models.ForeignKey(
        CdcFlux, on_delete=models.PROTECT, null=True, blank=True, related_name="retraits"
    )
    retire_le = models.DateTimeField("révocation constatée le", null=True, blank=True)
    message = models.TextField("message de la CDC", blank=True)
    nb_envois = models.PositiveSmallIntegerField("envois", default=0)
    declared_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["echeance", "titulaire"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "id_technique"], name="cdcpassage_unique_id"),
            models.UniqueConstraint(
                fields=["organisation", "dossier_public_id", "certification_code"],
                name="cdcpassage_unique_dossier",
            ),
            models.CheckConstraint(
                condition=Q(
                    etat__in=[
                        "a_declarer",
                        "declare",
                        "accepte",
                        "rejete",
                        "retire",
                        "a_supprimer",
                        "supprime",
                    ]
                ),
                name="cdcpassage_etat_valid",
            ),
            models.CheckConstraint(
                condition=Q(etat__in=["a_declarer", "retire"]) | Q(flux__isnull=False),
                name="cdcpassage_sent_has_flux",
            ),
            models.CheckConstraint(
                condition=~Q(etat="supprime") | Q(flux_suppression__isnull=False),
                name="cdcpassage_withdrawn_has_flux",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certification_code} — {self.titulaire} ({self.get_etat_display()})"

    @property
    def en_retard(self) -> bool:
        from django.utils import timezone

        return self.etat in (self.Etat.A_DECLARER, self.Etat.REJETE) and self.echeance < timezone.localdate()


class SigningKey(models.Model):
    """A certificateur's Ed25519 key for verifiable credentials (national, like a référentiel)."""

    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="signing_keys"
    )
    kid = models.CharField(max_length=100, unique=True)
    public_key = models.CharField("clé publique (base64url, 32 octets)", max_length=64)
    private_key_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificateur"], condition=Q(retired_at__isnull=True), name="signingkey_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.kid


class StatusList(models.Model):
    """A certificateur's revocation bitstring (W3C Bitstring Status List): allocates indexes.

    National so that any centre issuing a credential for this certificateur can take the next
    index under a row lock, without seeing the other centres' credentials.
    """

    certificateur = models.OneToOneField(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="status_list"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    next_index = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=131072)  # 16 KiB: the spec's minimum, for herd privacy

    def __str__(self) -> str:
        return f"Liste de statut — {self.certificateur}"


class VerifiableCredential(TenantModel):
    """An Open Badges 3.0 credential (VC-JWT, EdDSA) issued to a holder of the centre.

    ``subject_ref`` names what it certifies ("dossier:<uuid>" today, "document:<uuid>" for a
    parchemin); ``status_index`` is its bit in the certificateur's status list.
    """

    class Kind(models.TextChoices):
        PARCHEMIN = "parchemin", "Parchemin (certification totale)"
        BLOC = "bloc", "Certificat de bloc"

    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    subject_ref = models.CharField(max_length=100)
    referentiel_code = models.CharField(max_length=100)
    titulaire = models.CharField(max_length=200)
    status_index = models.PositiveIntegerField()
    token = models.TextField("VC-JWT")
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["certificateur", "status_index"], name="vc_unique_status_index"),
            models.UniqueConstraint(
                fields=["organisation", "subject_ref", "kind", "referentiel_code"], name="vc_unique_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.referentiel_code} — {self.titulaire}"


class JuryTransmission(TenantModel):
    """A centre's CQPM jury file (PV, composition, émargements) recorded as transmitted.

    Belongs to the certificateur (tenant = the certificateur) and names the centre's jury by
    UUID only, like ``CdcPassage``: the oversight pages no longer show it late once recorded.
    """

    jury_public_id = models.UUIDField("jury")
    centre = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name="centre"
    )
    transmis_le = models.DateField("transmis le")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-transmis_le"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "jury_public_id"], name="jurytransmission_one_per_jury"
            )
        ]

    def __str__(self) -> str:
        return f"Jury {self.jury_public_id} transmis le {self.transmis_le:%d/%m/%Y}"
