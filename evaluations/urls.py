from django.urls import path

from evaluations.views import avis as avis_views
from evaluations.views import grid as grid_views
from evaluations.views import results as results_views
from evaluations.views import sessions as sessions_views

urlpatterns = [
    path("sessions/", sessions_views.session_list, name="session_list"),
    path("sessions/<uuid:session_id>/", sessions_views.session_detail, name="session_detail"),
    path(
        "sessions/<uuid:session_id>/preparation-jury/",
        sessions_views.session_readiness,
        name="session_readiness",
    ),
    path(
        "sessions/<uuid:session_id>/controle-continu/",
        sessions_views.session_controle_continu,
        name="session_controle_continu",
    ),
    path("epreuves/<uuid:epreuve_id>/", sessions_views.epreuve_detail, name="epreuve_detail"),
    path("epreuves/<uuid:epreuve_id>/candidats/", sessions_views.epreuve_candidats, name="epreuve_candidats"),
    path("epreuves/<uuid:epreuve_id>/supprimer/", sessions_views.epreuve_delete, name="epreuve_delete"),
    path(
        "inscriptions/<uuid:inscription_id>/retirer/",
        sessions_views.inscription_remove,
        name="inscription_remove",
    ),
    path(
        "epreuves/<uuid:epreuve_id>/convocations/",
        sessions_views.epreuve_convocations,
        name="epreuve_convocations",
    ),
    path(
        "epreuves/<uuid:epreuve_id>/emargement.pdf",
        sessions_views.epreuve_emargement,
        name="epreuve_emargement",
    ),
    path("epreuves/<uuid:epreuve_id>/grille/", grid_views.epreuve_grid, name="epreuve_grid"),
    path("epreuves/<uuid:epreuve_id>/grille/saisie/", grid_views.epreuve_grid_cell, name="epreuve_grid_cell"),
    path(
        "epreuves/<uuid:epreuve_id>/grille/details/",
        grid_views.epreuve_grid_details,
        name="epreuve_grid_details",
    ),
    path("epreuves/<uuid:epreuve_id>/grille/valider/", grid_views.epreuve_validate, name="epreuve_validate"),
    path(
        "epreuves/<uuid:epreuve_id>/grille/resoudre/",
        grid_views.correction_resolve,
        name="correction_resolve",
    ),
    path(
        "convocations/<uuid:convocation_id>.pdf",
        sessions_views.convocation_download,
        name="convocation_download",
    ),
    path(
        "inscriptions/<uuid:inscription_id>/presence/", sessions_views.presence_record, name="presence_record"
    ),
    path(
        "inscriptions/<uuid:inscription_id>/incident/", sessions_views.incident_record, name="incident_record"
    ),
    path("mes-evaluations/", grid_views.evaluator_workspace, name="evaluator_workspace"),
    path("dossiers/<uuid:dossier_id>/resultats/", results_views.dossier_results, name="dossier_results"),
    path(
        "dossiers/<uuid:dossier_id>/commission/", results_views.dossier_commission, name="dossier_commission"
    ),
    path("avis/", avis_views.avis_list, name="avis_list"),
    path("avis/demandes/", avis_views.avis_requests, name="avis_requests"),
    path("avis/<uuid:avis_id>/", avis_views.avis_detail, name="avis_detail"),
    path("avis/<uuid:avis_id>/prolonger/", avis_views.avis_extend, name="avis_extend"),
]
