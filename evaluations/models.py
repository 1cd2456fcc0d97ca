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
    capacite = models.ForeignKey("referentiels.Capacite", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bloc = models.ForeignKey("referentiels.Bloc", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    composante = models.CharField(max_length=20, blank=True)
    etat = models.CharField("état", max_length=12, choices=Etat.choices, blank=True)
    controle_continu = models.DecimalField("contrôle continu", max_digits=7, decimal_places=2, null=True, blank=True)
    epreuves = models.DecimalField("épreuves", max_digits=7, decimal_places=2, null=True, blank=True)
    points = models.DecimalField("points", max_digits=7, decimal_places=2, null=True, blank=True)
    absence_non_justifiee = models.BooleanField("absence non justifiée", default=False)
    criteres_observes = models.JSONField("critères observés", default=list, blank=True)
    commentaire = models.TextField(blank=True)
    evaluateur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    valide = models.BooleanField("validé par la commission", default=False)
    valide_par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    valide_le = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dossier", "capacite"], condition=Q(kind="capacite"), name="resultat_unique_capacite"),
            models.UniqueConstraint(fields=["dossier", "bloc"], condition=Q(kind="bloc"), name="resultat_unique_bloc"),
            models.UniqueConstraint(fields=["dossier", "composante"], condition=Q(kind="composante"), name="resultat_unique_composante"),
            models.CheckConstraint(
                condition=(Q(kind="capacite") & Q(capacite__isnull=False) & Q(bloc__isnull=True) & Q(composante=""))
                | (Q(kind="bloc") & Q(bloc__isnull=False) & Q(capacite__isnull=True) & Q(composante=""))
                | (Q(kind="composante") & ~Q(composante="") & Q(capacite__isnull=True) & Q(bloc__isnull=True)),
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


class ResultatChange(TenantModel):
    """Append-only history of a result (the database refuses updates and deletes)."""

    resultat = models.ForeignKey(Resultat, on_delete=models.CASCADE, related_name="changes")
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
        "taux d'absence en formation (%)", max_digits=5, decimal_places=2, null=True, blank=True,
        help_text="Part du temps de formation manqué sans justification, pour la pénalité sur la note du tuteur.",
    )
    fraude = models.BooleanField("fraude constatée", default=False)
    fraude_motif = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(taux_absence__isnull=True) | (Q(taux_absence__gte=0) & Q(taux_absence__lte=100)), name="suivi_taux_range"),
        ]

    def __str__(self) -> str:
        return f"Suivi {self.dossier_id}"
