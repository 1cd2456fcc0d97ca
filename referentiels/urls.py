from django.urls import path

from referentiels import views

urlpatterns = [
    path("", views.referentiel_list, name="referentiel_list"),
    path("importer/", views.referentiel_import_view, name="referentiel_import"),
    path("importer/<uuid:import_id>/", views.rncp_import_job_view, name="rncp_import_job"),
    path(
        "importer/<uuid:import_id>/confirmer/", views.rncp_import_job_confirm, name="rncp_import_job_confirm"
    ),
    path("comparer/", views.referentiel_compare, name="referentiel_compare"),
    path("habilitations/", views.habilitation_list, name="habilitation_list"),
    path("habilitations/<uuid:habilitation_id>/fin/", views.habilitation_end, name="habilitation_end"),
    path("<uuid:public_id>/", views.referentiel_detail, name="referentiel_detail"),
    path("<uuid:public_id>/export/", views.referentiel_export_view, name="referentiel_export"),
    path("<uuid:public_id>/publier/", views.referentiel_publish, name="referentiel_publish"),
    path("<uuid:public_id>/nouvelle-version/", views.referentiel_new_version, name="referentiel_new_version"),
    path("<uuid:public_id>/supprimer/", views.referentiel_delete, name="referentiel_delete"),
    path("<uuid:public_id>/capacites/<path:code>/", views.capacite_edit, name="capacite_edit"),
    path("<uuid:public_id>/blocs/", views.blocs_edit, name="referentiel_blocs"),
    path("<uuid:public_id>/modalites/", views.modalites_edit, name="referentiel_modalites"),
    path("<uuid:public_id>/regle/", views.regle_edit, name="referentiel_regle"),
    path("<uuid:public_id>/jury/", views.composition_edit, name="referentiel_composition"),
    path("<uuid:public_id>/enregistrement/", views.enregistrement_edit, name="referentiel_enregistrement"),
]
