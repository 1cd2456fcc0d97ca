from django.urls import path

from candidates import views

urlpatterns = [
    path("", views.candidate_list, name="candidate_list"),
    path("export.<str:fmt>", views.candidate_export, name="candidate_export"),
    path("nouveau/", views.candidate_create, name="candidate_create"),
    path("valider/", views.candidate_validate, name="candidate_validate"),
    path("<uuid:candidate_id>/", views.candidate_detail, name="candidate_detail"),
    path("<uuid:candidate_id>/modifier/", views.candidate_edit, name="candidate_edit"),
    path("<uuid:candidate_id>/rgpd/export/", views.candidate_rgpd_export, name="candidate_rgpd_export"),
    path("<uuid:candidate_id>/rgpd/effacer/", views.candidate_erase, name="candidate_erase"),
    path("<uuid:candidate_id>/dossiers/nouveau/", views.dossier_create, name="dossier_create"),
    path(
        "<uuid:candidate_id>/dossiers/nouveau/valider/",
        views.dossier_create_validate,
        name="dossier_create_validate",
    ),
    path("dossiers/<uuid:dossier_id>/", views.dossier_detail, name="dossier_detail"),
    path("dossiers/<uuid:dossier_id>/modifier/", views.dossier_edit, name="dossier_edit"),
    path(
        "dossiers/<uuid:dossier_id>/modifier/valider/",
        views.dossier_edit_validate,
        name="dossier_edit_validate",
    ),
    path("dossiers/<uuid:dossier_id>/plan/", views.dossier_plan, name="dossier_plan"),
    path(
        "dossiers/<uuid:dossier_id>/plan/valider/", views.dossier_plan_validate, name="dossier_plan_validate"
    ),
    path("dossiers/<uuid:dossier_id>/transition/", views.dossier_transition, name="dossier_transition"),
    path("dossiers/<uuid:dossier_id>/rattrapage/", views.dossier_rattrapage, name="dossier_rattrapage"),
    path("dossiers/<uuid:dossier_id>/pieces/", views.piece_upload, name="piece_upload"),
    path("pieces/<uuid:piece_id>/", views.piece_download, name="piece_download"),
    path("pieces/<uuid:piece_id>/supprimer/", views.piece_delete, name="piece_delete"),
    path("import/", views.import_page, name="candidate_import"),
    path("import/modele.csv", views.import_template, name="candidate_import_template"),
    path("import/<uuid:job_id>/", views.import_job, name="import_job"),
    path("import/<uuid:job_id>/confirmer/", views.import_job_confirm, name="import_job_confirm"),
]
