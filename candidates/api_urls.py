from django.urls import path

from candidates import api

urlpatterns = [
    path("candidates/", api.CandidateListCreateView.as_view(), name="api-candidates"),
    path("candidates/<uuid:candidate_id>/", api.CandidateDetailView.as_view(), name="api-candidate"),
    path(
        "candidates/<uuid:candidate_id>/rgpd-export/",
        api.CandidateRgpdExportView.as_view(),
        name="api-candidate-rgpd-export",
    ),
    path(
        "candidates/<uuid:candidate_id>/erase/", api.CandidateEraseView.as_view(), name="api-candidate-erase"
    ),
    path("entreprises/", api.EntrepriseListCreateView.as_view(), name="api-entreprises"),
    path("entreprises/<uuid:entreprise_id>/", api.EntrepriseDetailView.as_view(), name="api-entreprise"),
    path("tuteurs/", api.TuteurListCreateView.as_view(), name="api-tuteurs"),
    path("tuteurs/<uuid:tuteur_id>/", api.TuteurDetailView.as_view(), name="api-tuteur"),
    path("dossiers/", api.DossierListCreateView.as_view(), name="api-dossiers"),
    path("dossiers/<uuid:dossier_id>/", api.DossierDetailView.as_view(), name="api-dossier"),
    path("dossiers/<uuid:dossier_id>/plan/", api.DossierPlanView.as_view(), name="api-dossier-plan"),
    path(
        "dossiers/<uuid:dossier_id>/transitions/",
        api.DossierTransitionView.as_view(),
        name="api-dossier-transitions",
    ),
    path(
        "dossiers/<uuid:dossier_id>/rattrapage/",
        api.DossierRattrapageView.as_view(),
        name="api-dossier-rattrapage",
    ),
    path(
        "dossiers/<uuid:dossier_id>/pieces/",
        api.DossierPieceListCreateView.as_view(),
        name="api-dossier-pieces",
    ),
    path("pieces/<uuid:piece_id>/", api.PieceDetailView.as_view(), name="api-piece"),
    path("imports/", api.ImportListCreateView.as_view(), name="api-imports"),
    path("imports/<uuid:job_id>/", api.ImportJobDetailView.as_view(), name="api-import"),
    path("imports/<uuid:job_id>/confirm/", api.ImportJobConfirmView.as_view(), name="api-import-confirm"),
]
