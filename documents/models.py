"""Issued documents: numbering, the documents themselves, their versions, public verification.

- ``NumberSequence`` is national (one counter per certificateur and year, shared by every
  centre delivering its certifications): no tenant key, not under RLS.
- ``IssuedDocument`` and ``DocumentVersion`` belong to one centre (``TenantModel``, forced RLS).
- ``VerificationRecord`` is the public registry: national, no tenant key, and holds only what
  the public verification page may show. The page reads nothing else.

Database guards (migration 0002): a number or verification code never changes once set, a
numbered document is never deleted, a version row is never changed or deleted, a counter
never goes back.
"""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from core.identity import CIVIL_STATUS_FIELDS
from core.storage import private_storage
from organisations.tenancy import TenantModel


class DocumentKind(models.TextChoices):
    PROCES_VERBAL = "proces_verbal", "Procès-verbal de jury"
    PARCHEMIN = "parchemin", "Parchemin"
    CERTIFICAT_BLOC = "certificat_bloc", "Certificat de bloc de compétences"
    ATTESTATION = "attestation", "Attestation"
    CONVOCATION = "convocation", "Convocation"
    EMARGEMENT = "emargement", "Feuille d'émargement"
    PV_INCIDENT = "pv_incident", "Procès-verbal d'incident"


#: Kinds that carry a number (gap-free per certificateur and year) and a verification code.
NUMBERED_KINDS = frozenset({DocumentKind.PARCHEMIN, DocumentKind.CERTIFICAT_BLOC})
# A list in a fixed order for the check constraint (a frozenset would reorder between runs).
NUMBERED_KIND_VALUES = [DocumentKind.PARCHEMIN.value, DocumentKind.CERTIFICAT_BLOC.value]


class NumberSequence(models.Model):
    """The last number given for one organisation, one series and one year (national, not a
    tenant table).

    Series ``""``: the certificateur's numbers of parchemins and certificats de bloc. Other
    series (``CONV``, ``EMARG``) are a centre's own references of its convocations and feuilles
    d'émargement (``certificateur`` is then the centre): a human reference with no database id.
    Incremented under ``SELECT … FOR UPDATE`` inside the issuing transaction, so a rolled-back
    issue gives its number back and two issuers never get the same one.
    """

    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    series = models.CharField("série", max_length=10, blank=True, default="")
    year = models.PositiveIntegerField("année")
    last_value = models.PositiveIntegerField("dernier numéro attribué", default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["certificateur", "series", "year"], name="numbersequence_unique_series_year"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2999), name="numbersequence_year_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificateur_id}/{self.series or 'N'}/{self.year}: {self.last_value}"


class IssuedDocument(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        RENDERING = "rendering", "En cours de génération"
        READY = "ready", "Prêt"
        FAILED = "failed", "En échec"

    kind = models.CharField("type", max_length=20, choices=DocumentKind.choices)
    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    number = models.CharField("numéro", max_length=60, null=True, blank=True)  # noqa: DJ001 - NULL = unnumbered kind
    verification_code = models.CharField(
        "code de vérification", max_length=16, null=True, blank=True, unique=True
    )
    #: The body that issued the document, stored at issue time (issue 13, point 1): the centre,
    #: or the certificateur where its rule said so then. Approvals, the verification page and the
    #: PDF read it; a later change of the rule does not rewrite history.
    issued_by = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="délivré par",
    )
    issued_by_name = models.CharField("délivré par (nom)", max_length=300, blank=True)
    idempotency_key = models.CharField("clé d'idempotence", max_length=200)
    group_key = models.CharField("lot", max_length=200, blank=True, db_index=True)
    holder_name = models.CharField("titulaire", max_length=300, blank=True)
    title = models.CharField("intitulé", max_length=800)
    issued_on = models.DateField("date de délivrance")
    context = models.JSONField("données rendues", default=dict, encoder=DjangoJSONEncoder)
    file = models.FileField("fichier", storage=private_storage, upload_to="", max_length=300, blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    size = models.PositiveIntegerField("taille (octets)", default=0)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    rendered_at = models.DateTimeField("généré le", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    revocation_reason = models.TextField("motif de révocation", blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField("version", default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status"], name="issueddocument_org_status"),
            # The list (newest first) reads its page from the index at any centre size.
            models.Index(fields=["organisation", "created_at", "id"], name="issueddocument_org_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"], name="issueddocument_unique_key"
            ),
            # Numbers are unique per certificateur across every centre (the index sees all rows).
            models.UniqueConstraint(
                fields=["certificateur", "number"],
                condition=Q(number__isnull=False),
                name="issueddocument_unique_number",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in DocumentKind]), name="issueddocument_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "rendering", "ready", "failed"]),
                name="issueddocument_status_valid",
            ),
            # Numbered kinds carry a certificateur, a number and a code; the others none.
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=NUMBERED_KIND_VALUES,
                        certificateur__isnull=False,
                        number__isnull=False,
                        verification_code__isnull=False,
                    )
                    | (
                        ~Q(kind__in=NUMBERED_KIND_VALUES)
                        & Q(number__isnull=True, verification_code__isnull=True)
                    )
                ),
                name="issueddocument_numbered_kinds",
            ),
            # A ready document has a file and the SHA-256 of its bytes.
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file="") & Q(sha256__regex=r"^[0-9a-f]{64}$")),
                name="issueddocument_ready_has_file",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revocation_reason=""),
                name="issueddocument_revocation_has_reason",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="issueddocument_version_positive"),
        ]

    def __str__(self) -> str:
        label = self.number or self.get_kind_display()
        return f"{label} — {self.holder_name or self.title}"

    @property
    def is_numbered(self) -> bool:
        return self.kind in NUMBERED_KINDS

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def verification_code_display(self) -> str:
        return format_code(self.verification_code or "")


class DocumentVersion(TenantModel):
    """A previous file of a re-issued document, kept with its fingerprint and the reason."""

    document = models.ForeignKey(IssuedDocument, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("version")
    holder_name = models.CharField("titulaire", max_length=300, blank=True)
    context = models.JSONField("données rendues", default=dict, encoder=DjangoJSONEncoder)
    file = models.FileField("fichier", storage=private_storage, upload_to="", max_length=300, blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    rendered_at = models.DateTimeField("généré le", null=True, blank=True)
    reason = models.TextField("motif de la réédition")
    replaced_at = models.DateTimeField("remplacée le", auto_now_add=True)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["document", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["document", "version"], name="documentversion_unique"),
            models.CheckConstraint(condition=~Q(reason=""), name="documentversion_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.version}"


class RevocationCategory(models.TextChoices):
    """What a third party may read about a revocation: a fixed public category, never the
    internal free-text reason (which stays on the document, for the organisation)."""

    RECTIFICATION = "rectification", "Décision du jury rectifiée"
    ERREUR = "erreur", "Document délivré par erreur"
    RETRAIT = "retrait", "Retrait décidé par l'organisme"


class VerificationRecord(models.Model):
    """Public registry entry of a numbered document: exactly what ``/verifier/<code>`` shows."""

    class Status(models.TextChoices):
        VALID = "valid", "Valide"
        REVOKED = "revoked", "Révoqué"
        REISSUED = "reissued", "Réédité"

    code = models.CharField("code de vérification", max_length=16, unique=True)
    number = models.CharField("numéro", max_length=60)
    kind = models.CharField("type", max_length=20, choices=DocumentKind.choices)
    holder_name = models.CharField("titulaire", max_length=300)
    certification = models.CharField("certification", max_length=1000)
    niveau = models.CharField("niveau", max_length=200, blank=True)
    code_certification = models.CharField("code de la certification", max_length=60, blank=True)
    certificateur_nom = models.CharField("certificateur", max_length=300)
    issued_by_name = models.CharField("délivré par", max_length=300, blank=True)
    issued_on = models.DateField("date de délivrance")
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.VALID)
    version = models.PositiveIntegerField("version", default=1)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField("motif de révocation", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["valid", "revoked", "reissued"]),
                name="verificationrecord_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | ~Q(revocation_reason=""),
                name="verificationrecord_revoked_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"

    @property
    def code_display(self) -> str:
        return format_code(self.code)


#: No 0/O, 1/I/L: read aloud or typed from paper without ambiguity.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def format_code(code: str) -> str:
    """``7K2MQX4PH9TD`` → ``7K2M-QX4P-H9TD``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(raw: str) -> str:
    """What a person typed or scanned → the stored form (upper case, no separators)."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())[:32]


#: The holder's civil-status fields a re-issue may correct (issue 13, point 5): nothing else.
IDENTITY_FIELDS = CIVIL_STATUS_FIELDS


def _request_constraints(prefix: str) -> list:
    """The database rules of a request another person decides (re-issue, revocation): a reason, a
    known status, two people (whoever asked cannot approve or refuse), a decided request names its
    decider, one pending request per document. Named ``<prefix>_…``."""
    return [
        models.CheckConstraint(condition=~Q(reason=""), name=f"{prefix}_has_reason"),
        models.CheckConstraint(
            condition=Q(status__in=["pending", "approved", "refused"]), name=f"{prefix}_status_valid"
        ),
        # Two people: whoever asked cannot approve (or refuse) their own request.
        models.CheckConstraint(
            condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
            name=f"{prefix}_four_eyes",
        ),
        models.CheckConstraint(
            condition=Q(status="pending") | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
            name=f"{prefix}_decided_has_decider",
        ),
        models.UniqueConstraint(
            fields=["document"], condition=Q(status="pending"), name=f"{prefix}_one_pending"
        ),
    ]


def reissue_piece_path(instance, filename: str) -> str:
    return f"reeditions/{instance.organisation_id}/{uuid.uuid4().hex}.bin"


class ReissueRequest(TenantModel):
    """A civil-status correction of a numbered document: requested by the centre with a reason
    and a supporting pièce, approved by another person of the issuing body; the document is then
    derived again from the référentiel version and the signed decision, with the corrected identity."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente d'approbation"
        APPROVED = "approved", "Approuvée"
        REFUSED = "refused", "Refusée"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(IssuedDocument, on_delete=models.PROTECT, related_name="reissue_requests")
    identity = models.JSONField("état civil corrigé", default=dict)
    reason = models.TextField("motif")
    piece = models.FileField(
        "pièce justificative", storage=private_storage, upload_to=reissue_piece_path, max_length=300
    )
    piece_name = models.CharField("nom de la pièce", max_length=200)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("observation", blank=True)
    #: Where the certificateur issues the document (its ``IssuanceRule``), its staff approve the
    #: correction, not the centre (issue 13, point 5); empty: another person of the centre approves.
    approver_certificateur = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="approuvée par le certificateur",
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = _request_constraints("reissuerequest")

    def __str__(self) -> str:
        return f"Réédition {self.document_id} ({self.get_status_display()})"


class RevocationRequest(TenantModel):
    """The revocation of a document its certificateur issued (issue 13, point 5): the centre asks
    with a reason and the public category, the certificateur's staff approve or refuse; whoever
    asked never decides. (A document the centre issues is revoked by the centre, as before.)"""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente d'approbation"
        APPROVED = "approved", "Approuvée"
        REFUSED = "refused", "Refusée"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(IssuedDocument, on_delete=models.PROTECT, related_name="revocation_requests")
    approver_certificateur = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="approuvée par le certificateur",
    )
    reason = models.TextField("motif")
    category = models.CharField("catégorie publique", max_length=20, choices=RevocationCategory.choices)
    #: What caused the request when the centre did not type it: ``jury:<id>:rectification:<id>``
    #: for a signed rectification (its documents are revoked and issued again once every request
    #: of that basis is approved). Empty: a request typed by the centre.
    basis = models.CharField("fondement", max_length=200, blank=True, default="", db_index=True)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("observation", blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            *_request_constraints("revocationrequest"),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in RevocationCategory]),
                name="revocationrequest_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Révocation {self.document_id} ({self.get_status_display()})"


# --- who issues and who signs (issue 13, point 1) ----------------------------------------------

#: The document kinds whose issuer and signatories are the certificateur's data.
ISSUANCE_KINDS = (DocumentKind.PARCHEMIN, DocumentKind.CERTIFICAT_BLOC, DocumentKind.ATTESTATION)
ISSUANCE_KIND_VALUES = [k.value for k in ISSUANCE_KINDS]


class Issuer(models.TextChoices):
    CENTRE = "centre", "Le centre (établissement de formation)"
    CERTIFICATEUR = "certificateur", "Le certificateur, après réception du PV signé"


class IssuanceRule(models.Model):
    """Which body issues one document kind, and who signs it: the certificateur's default
    (``referentiel_code`` empty) or its override for one certification code (every version).

    National data owned by the certificateur, like ``referentiels.Enregistrement``: no tenant
    key. Where no rule exists the centre issues (today's behaviour, the seeds saying nothing)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    certificateur = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="issuance_rules"
    )
    referentiel_code = models.CharField("certification (vide : règle par défaut)", max_length=60, blank=True)
    kind = models.CharField("document", max_length=20, choices=DocumentKind.choices)
    issuer = models.CharField("émetteur", max_length=14, choices=Issuer.choices, default=Issuer.CENTRE)
    source = models.CharField("source (phrase du référentiel)", max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["certificateur", "referentiel_code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificateur", "referentiel_code", "kind"], name="issuancerule_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ISSUANCE_KIND_VALUES), name="issuancerule_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(issuer__in=["centre", "certificateur"]), name="issuancerule_issuer_valid"
            ),
            # The attestation de suivi is the établissement's (seed 004): never the certificateur's.
            models.CheckConstraint(
                condition=~Q(kind="attestation") | Q(issuer="centre"), name="issuancerule_attestation_centre"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.referentiel_code or '(défaut)'} : {self.get_issuer_display()}"
        )


class IssuanceSignatory(models.Model):
    """One signatory of a rule's document, in printing order: a title (« Le Président de CCI
    France ») and the person's name. ``named_by`` says who enters the name: the certificateur
    here (``name``), or each centre for its own signatory (« Le Président de la CCI dont dépend
    l'établissement de formation »: ``CentreSignatoryName``)."""

    class NamedBy(models.TextChoices):
        CERTIFICATEUR = "certificateur", "Le certificateur"
        CENTRE = "centre", "Chaque centre"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule = models.ForeignKey(IssuanceRule, on_delete=models.CASCADE, related_name="signatories")
    order = models.PositiveSmallIntegerField("ordre", default=0)
    title = models.CharField("qualité du signataire", max_length=200)
    name = models.CharField("nom du signataire", max_length=200, blank=True)
    named_by = models.CharField(
        "nom renseigné par", max_length=14, choices=NamedBy.choices, default=NamedBy.CERTIFICATEUR
    )

    class Meta:
        ordering = ["rule", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="issuancesignatory_has_title"),
            models.CheckConstraint(
                condition=Q(named_by__in=["certificateur", "centre"]), name="issuancesignatory_named_by_valid"
            ),
            # A centre-named signatory carries no certificateur-entered name.
            models.CheckConstraint(
                condition=~Q(named_by="centre") | Q(name=""), name="issuancesignatory_centre_no_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.name}".strip()


class CentreSignatoryName(TenantModel):
    """The centre's own signatory for a certificateur's document (its president's name)."""

    signatory = models.ForeignKey(IssuanceSignatory, on_delete=models.CASCADE, related_name="centre_names")
    name = models.CharField("nom du signataire", max_length=200)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "signatory"], name="centresignatoryname_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="centresignatoryname_has_name"),
        ]

    def __str__(self) -> str:
        return self.name
