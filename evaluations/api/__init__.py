"""Evaluations API: one ``APIView`` per operation; parse, call the service, serialize.

One module per sub-area; the views are re-exported here for the URLconf."""

from evaluations.api.avis import (
    AvisDetailView,
    AvisExtendView,
    AvisListCreateView,
)
from evaluations.api.results import (
    DossierAbsenceView,
    DossierCommissionView,
    DossierEntretienView,
    DossierFraudeView,
    DossierParcoursView,
    DossierResultatListCreateView,
    ResultatBulkView,
    ResultatCommissionView,
    ResultatHistoryView,
    ResultatValidateView,
)
from evaluations.api.sessions import (
    EpreuveConvocationsView,
    EpreuveDetailView,
    EpreuveEmargementView,
    EpreuveInscriptionDetailView,
    EpreuveInscriptionListCreateView,
    EpreuveMarkView,
    EpreuveResolutionView,
    InscriptionIncidentView,
    InscriptionPresenceView,
    SessionDetailView,
    SessionEpreuveListCreateView,
    SessionListCreateView,
    SessionReadinessView,
)

__all__ = [
    "AvisDetailView",
    "AvisExtendView",
    "AvisListCreateView",
    "DossierAbsenceView",
    "DossierParcoursView",
    "DossierCommissionView",
    "DossierEntretienView",
    "DossierFraudeView",
    "DossierResultatListCreateView",
    "EpreuveConvocationsView",
    "EpreuveDetailView",
    "EpreuveEmargementView",
    "EpreuveInscriptionDetailView",
    "EpreuveInscriptionListCreateView",
    "EpreuveMarkView",
    "EpreuveResolutionView",
    "InscriptionIncidentView",
    "InscriptionPresenceView",
    "ResultatBulkView",
    "ResultatCommissionView",
    "ResultatHistoryView",
    "ResultatValidateView",
    "SessionDetailView",
    "SessionEpreuveListCreateView",
    "SessionListCreateView",
    "SessionReadinessView",
]
