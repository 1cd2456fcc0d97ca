from django.urls import path

from evaluations import views

urlpatterns = [
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<uuid:session_id>/preparation-jury/", views.session_readiness, name="session_readiness"),
    path(
        "sessions/<uuid:session_id>/controle-continu/",
        views.session_controle_continu,
        name="session_controle_continu",
    ),
    path("epreuves/<uuid:epreuve_id>/", views.epreuve_detail, name="epreuve_detail"),
    path("epreuves/<uuid:epreuve_id>/candidats/", views.epreuve_candidats, name="epreuve_candidats"),
    path("epreuves/<uuid:epreuve_id>/supprimer/", views.epreuve_delete, name="epreuve_delete"),
    path("inscriptions/<uuid:inscription_id>/retirer/", views.inscription_remove, name="inscription_remove"),
    path("epreuves/<uuid:epreuve_id>/convocations/", views.epreuve_convocations, name="epreuve_convocations"),
    path("epreuves/<uuid:epreuve_id>/emargement.pdf", views.epreuve_emargement, name="epreuve_emargement"),
    path("epreuves/<uuid:epreuve_id>/grille/", views.epreuve_grid, name="epreuve_grid"),
    path("epreuves/<uuid:epreuve_id>/grille/saisie/", views.epreuve_grid_cell, name="epreuve_grid_cell"),
    path(
        "epreuves/<uuid:epreuve_id>/grille/details/", views.epreuve_grid_details, name="epreuve_grid_details"
    ),
    path("epreuves/<uuid:epreuve_id>/grille/valider/", views.epreuve_validate, name="epreuve_validate"),
    path("epreuves/<uuid:epreuve_id>/grille/resoudre/", views.correction_resolve, name="correction_resolve"),
    path("convocations/<uuid:convocation_id>.pdf", views.convocation_download, name="convocation_download"),
    path("inscriptions/<uuid:inscription_id>/presence/", views.presence_record, name="presence_record"),
    path("inscriptions/<uuid:inscription_id>/incident/", views.incident_record, name="incident_record"),
    path("mes-evaluations/", views.evaluator_workspace, name="evaluator_workspace"),
    path("dossiers/<uuid:dossier_id>/resultats/", views.dossier_results, name="dossier_results"),
    path("dossiers/<uuid:dossier_id>/commission/", views.dossier_commission, name="dossier_commission"),
    path("avis/", views.avis_list, name="avis_list"),
    path("avis/demandes/", views.avis_requests, name="avis_requests"),
    path("avis/<uuid:avis_id>/", views.avis_detail, name="avis_detail"),
    path("avis/<uuid:avis_id>/prolonger/", views.avis_extend, name="avis_extend"),
]
