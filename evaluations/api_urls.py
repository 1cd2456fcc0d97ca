from django.urls import path

from evaluations import api

urlpatterns = [
    path("sessions/", api.SessionListCreateView.as_view(), name="api-sessions"),
    path("sessions/<uuid:session_id>/", api.SessionDetailView.as_view(), name="api-session"),
    path(
        "sessions/<uuid:session_id>/epreuves/",
        api.SessionEpreuveListCreateView.as_view(),
        name="api-session-epreuves",
    ),
    path(
        "sessions/<uuid:session_id>/readiness/",
        api.SessionReadinessView.as_view(),
        name="api-session-readiness",
    ),
    path("epreuves/<uuid:epreuve_id>/", api.EpreuveDetailView.as_view(), name="api-epreuve"),
    path(
        "epreuves/<uuid:epreuve_id>/inscriptions/",
        api.EpreuveInscriptionListCreateView.as_view(),
        name="api-epreuve-inscriptions",
    ),
    path(
        "epreuves/<uuid:epreuve_id>/inscriptions/<uuid:inscription_id>/",
        api.EpreuveInscriptionDetailView.as_view(),
        name="api-epreuve-inscription",
    ),
    path(
        "epreuves/<uuid:epreuve_id>/convocations/",
        api.EpreuveConvocationsView.as_view(),
        name="api-epreuve-convocations",
    ),
    path(
        "epreuves/<uuid:epreuve_id>/emargement/",
        api.EpreuveEmargementView.as_view(),
        name="api-epreuve-emargement",
    ),
    path("epreuves/<uuid:epreuve_id>/marks/", api.EpreuveMarkView.as_view(), name="api-epreuve-marks"),
    path(
        "epreuves/<uuid:epreuve_id>/resolutions/",
        api.EpreuveResolutionView.as_view(),
        name="api-epreuve-resolutions",
    ),
    path(
        "inscriptions/<uuid:inscription_id>/presence/",
        api.InscriptionPresenceView.as_view(),
        name="api-inscription-presence",
    ),
    path(
        "inscriptions/<uuid:inscription_id>/incidents/",
        api.InscriptionIncidentView.as_view(),
        name="api-inscription-incidents",
    ),
    path(
        "dossiers/<uuid:dossier_id>/resultats/",
        api.DossierResultatListCreateView.as_view(),
        name="api-dossier-resultats",
    ),
    path(
        "dossiers/<uuid:dossier_id>/commission/",
        api.DossierCommissionView.as_view(),
        name="api-dossier-commission",
    ),
    path(
        "dossiers/<uuid:dossier_id>/absences/",
        api.DossierAbsenceView.as_view(),
        name="api-dossier-absences",
    ),
    path(
        "dossiers/<uuid:dossier_id>/parcours/",
        api.DossierParcoursView.as_view(),
        name="api-dossier-parcours",
    ),
    path(
        "dossiers/<uuid:dossier_id>/fraude/",
        api.DossierFraudeView.as_view(),
        name="api-dossier-fraude",
    ),
    path(
        "dossiers/<uuid:dossier_id>/entretiens/",
        api.DossierEntretienView.as_view(),
        name="api-dossier-entretiens",
    ),
    path("resultats/bulk/", api.ResultatBulkView.as_view(), name="api-resultats-bulk"),
    path(
        "resultats/<uuid:resultat_id>/commission/",
        api.ResultatCommissionView.as_view(),
        name="api-resultat-commission",
    ),
    path(
        "resultats/<uuid:resultat_id>/validate/",
        api.ResultatValidateView.as_view(),
        name="api-resultat-validate",
    ),
    path(
        "resultats/<uuid:resultat_id>/history/",
        api.ResultatHistoryView.as_view(),
        name="api-resultat-history",
    ),
    path("avis/", api.AvisListCreateView.as_view(), name="api-avis-list"),
    path("avis/<uuid:avis_id>/", api.AvisDetailView.as_view(), name="api-avis"),
    path("avis/<uuid:avis_id>/prolongation/", api.AvisExtendView.as_view(), name="api-avis-extend"),
]
