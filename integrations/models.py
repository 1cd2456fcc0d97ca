"""What the API keeps for integrations: the answers to creating POSTs sent with an
``Idempotency-Key`` (24 h), the organisation's webhook endpoints and their deliveries.

Every table belongs to one organisation (row-level security, ``integrations/migrations``)."""

import secrets

from django.conf import settings
from django.db import models

from organisations.tenancy import TenantModel


class IdempotencyRecord(TenantModel):
    """The first answer to a POST sent with an ``Idempotency-Key``: a retry gets it back."""

    key = models.CharField("clé", max_length=255)
    fingerprint = models.CharField("empreinte de la requête", max_length=64)
    path = models.CharField("adresse", max_length=500)
    status_code = models.PositiveSmallIntegerField("statut HTTP")
    body = models.JSONField("réponse", null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="idempotency_unique_key"),
        ]


class Event(models.TextChoices):
    DOSSIER_TRANSITION = "dossier.transition", "Dossier : changement d'état"
    RESULTATS_VALIDES = "resultat.valide", "Résultat validé"
    AVIS_SOUMIS = "avis.soumis", "Avis de l'entreprise soumis"
    JURY_SIGNE = "jury.signe", "Jury : procès-verbal signé (figé)"
    DOCUMENT_EMIS = "document.emis", "Document délivré"
    DOCUMENT_REVOQUE = "document.revoque", "Document révoqué"
    DOCUMENT_REEDITE = "document.reedite", "Document réédité"
    ACCROCHAGE_RAPPORT = "accrochage.rapport_recu", "Accrochage : compte rendu reçu"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(TenantModel):
    url = models.URLField("adresse", max_length=500)
    description = models.CharField("description", max_length=200, blank=True)
    events = models.JSONField("événements", default=list)
    secret = models.CharField("secret de signature", max_length=80, default=new_secret)
    is_active = models.BooleanField("actif", default=True)
    consecutive_failures = models.PositiveIntegerField("échecs consécutifs", default=0)
    disabled_at = models.DateTimeField("désactivé le", null=True, blank=True)
    disabled_reason = models.CharField("motif de désactivation", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        SUCCEEDED = "succeeded", "Remis"
        FAILED = "failed", "En échec"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField("événement", max_length=40, choices=Event.choices)
    event_id = models.UUIDField("id de l'événement")
    payload = models.JSONField("contenu")
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_status_code = models.PositiveSmallIntegerField("dernier statut HTTP", null=True, blank=True)
    last_error = models.TextField("dernière erreur", blank=True)
    last_attempt_at = models.DateTimeField("dernière tentative", null=True, blank=True)
    delivered_at = models.DateTimeField("remis le", null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="webhookdelivery_recent")]
